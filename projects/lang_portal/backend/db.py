"""The database engine (SQLite locally, PostgreSQL via RDS Proxy in AWS) and the session dependency."""
from __future__ import annotations

from collections.abc import Iterator

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
    engine = create_engine(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                           pool_pre_ping=True, pool_recycle=900, connect_args=connect_args)
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


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session
