"""The database engine (SQLite locally, PostgreSQL via RDS Proxy in AWS) and the session dependency."""
from __future__ import annotations

from collections.abc import AsyncIterator

import boto3
from fastapi import Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from modules.aws import client_config
from projects.lang_portal.backend.settings import LangPortalSettings


def create_db_engine(settings: LangPortalSettings) -> Engine:
    if not settings.is_postgres:
        engine = create_engine(settings.database_url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    url = make_url(settings.database_url)
    connect_args: dict[str, object] = {"connect_timeout": settings.db_connect_timeout_seconds}
    if settings.db_iam_auth and "sslmode" not in url.query:
        connect_args["sslmode"] = "require"  # RDS Proxy accepts IAM tokens over TLS only
    # No pre-ping (a round trip per request): connections are recycled well inside RDS Proxy's idle
    # timeout, and a connection that still breaks is invalidated with its pool (answered as a 503).
    engine = create_engine(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                           pool_timeout=settings.db_pool_timeout_seconds, pool_recycle=900,
                           connect_args=connect_args)
    if settings.db_iam_auth:
        use_iam_auth_tokens(engine, boto3.client("rds", config=client_config(settings)))
    return engine


def use_iam_auth_tokens(engine: Engine, rds_client: object) -> None:
    """Each new connection gets a fresh 15-minute IAM token as its password (how RDS Proxy IAM auth works)."""
    url = engine.url

    @event.listens_for(engine, "do_connect")
    def provide_token(dialect, connection_record, cargs, cparams) -> None:
        cparams["password"] = rds_client.generate_db_auth_token(
            DBHostname=url.host, Port=url.port or 5432, DBUsername=url.username)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run while a writer commits; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Each statement commits on its own (driver autocommit): no BEGIN/ROLLBACK round trips around
    reads. Enough for reads and single-statement writes; several writes that belong together use
    `get_transaction`.

    Async although the session is used from worker threads: opening does no I/O and closing an
    autocommit or finished session only returns its connection to the pool, so neither is worth a
    thread hop."""
    # Nothing is read after a commit but what the request itself set, so no reload round trip.
    with Session(request.app.state.engine.execution_options(isolation_level="AUTOCOMMIT"),
                 expire_on_commit=False) as session:
        yield session


async def get_transaction(request: Request) -> AsyncIterator[Session]:
    """A session whose writes are one transaction: committed by the endpoint, rolled back otherwise."""
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session
