"""The database every app with one shares: its settings (`DatabaseSettings`), the engine (SQLite locally,
PostgreSQL via RDS Proxy in AWS, signing in with IAM tokens), async connections made the same way, and
the session dependencies."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Annotated

import boto3
import psycopg
from fastapi import Depends, Request
import sqlalchemy as sa
from sqlalchemy import URL, Engine, Executable, Select, create_engine, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from pydantic import Field, field_validator, model_validator
from starlette.concurrency import run_in_threadpool

from modules.aws import client_config
from modules.settings import AppSettings
from modules.telemetry import instrument_connection

RECYCLE_SECONDS = 900  # well inside RDS Proxy's idle client timeout
_URL_SCHEMES = {"postgres://": "postgresql+psycopg://", "postgresql://": "postgresql+psycopg://",
                "postgresql+psycopg://": "postgresql+psycopg://", "sqlite://": "sqlite://"}


class DatabaseSettings(AppSettings):
    """The shared settings plus the database's. Each app sets its own `database_url` default (a local
    SQLite file)."""

    database_url: str = "sqlite:///./app.sqlite3"
    # RDS Proxy with IAM auth: the password is a fresh generate_db_auth_token per new connection.
    db_iam_auth: bool = False
    db_pool_size: int = Field(10, ge=1, le=100)
    db_max_overflow: int = Field(10, ge=0, le=100)
    db_connect_timeout_seconds: int = Field(5, ge=1, le=60)
    db_pool_timeout_seconds: float = Field(10, gt=0, le=60)
    health_timeout_seconds: float = Field(2.0, gt=0, le=10)
    migrate_on_startup: bool = True

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        for prefix, driver in _URL_SCHEMES.items():
            if value.startswith(prefix):
                return driver + value[len(prefix):]
        raise ValueError("must be a sqlite:/// or postgresql:// URL")

    @model_validator(mode="after")
    def _iam_needs_postgres(self) -> "DatabaseSettings":
        if self.db_iam_auth and not self.is_postgres:
            raise ValueError("DB_IAM_AUTH needs a postgresql:// DATABASE_URL")
        if self.db_iam_auth and not self.aws_region:
            raise ValueError("DB_IAM_AUTH needs AWS_DEFAULT_REGION")
        return self

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


class UTCDateTime(sa.types.TypeDecorator):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def create_db_engine(settings: DatabaseSettings) -> Engine:
    if not settings.is_postgres:
        engine = create_engine(settings.database_url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    url = make_url(settings.database_url)
    connect_args = _connect_args(settings, url)
    # No pre-ping (a round trip per request): connections are recycled well inside RDS Proxy's idle
    # timeout, and a connection that still breaks is invalidated with its pool (answered as a 503).
    engine = create_engine(url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow,
                           pool_timeout=settings.db_pool_timeout_seconds, pool_recycle=RECYCLE_SECONDS,
                           connect_args=connect_args)
    if settings.db_iam_auth:
        use_iam_auth_tokens(engine, boto3.client("rds", config=client_config(settings)))
    return engine


def _connect_args(settings: DatabaseSettings, url: URL) -> dict[str, object]:
    connect_args: dict[str, object] = {"connect_timeout": settings.db_connect_timeout_seconds}
    if settings.db_iam_auth and "sslmode" not in url.query:
        connect_args["sslmode"] = "require"  # RDS Proxy accepts IAM tokens over TLS only
    return connect_args


def use_iam_auth_tokens(engine: Engine, rds_client: object) -> None:
    """Each new connection gets a fresh 15-minute IAM token as its password (how RDS Proxy IAM auth works)."""
    @event.listens_for(engine, "do_connect")
    def provide_token(dialect, connection_record, cargs, cparams) -> None:
        cparams["password"] = _iam_token(rds_client, engine.url)


def _iam_token(rds_client, url: URL) -> str:
    return rds_client.generate_db_auth_token(DBHostname=url.host, Port=url.port or 5432, DBUsername=url.username)


async def connect_async(settings: DatabaseSettings, engine: Engine, application_name: str, *,
                        traced: bool = False) -> psycopg.AsyncConnection:
    """An async autocommit connection to the engine's database, made as the pool makes its connections
    (for the response cache's change listener and `AsyncConnections`); named for pg_stat_activity.
    `traced`: its statements are spans of the request that runs them (not the cache listener's round trips,
    which serve every cached read and belong to no request of their own)."""
    url = engine.url
    parameters = {**_connect_args(settings, url), **url.translate_connect_args(username="user", database="dbname"),
                  **url.query, "application_name": application_name}
    if settings.db_iam_auth:  # making the client reads files: not on the event loop
        parameters["password"] = await run_in_threadpool(
            lambda: _iam_token(boto3.client("rds", config=client_config(settings)), url))
    connection = await psycopg.AsyncConnection.connect(autocommit=True, **parameters)
    return instrument_connection(connection) if traced else connection


class AsyncConnections:
    """A few async psycopg connections for hot single-statement writes (the review batches): they run on
    the event loop, with no thread hop (whose GIL hand-offs with the loop cost more than the statement)
    and no ORM. Opened on demand, at most `size` at once, reused; dropped after an error or when older
    than `recycle_seconds`."""

    def __init__(self, connect: Callable[[], Awaitable[psycopg.AsyncConnection]], size: int,
                 recycle_seconds: float = RECYCLE_SECONDS) -> None:
        self._connect = connect
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[psycopg.AsyncConnection, float]] = []
        self.recycle_seconds = recycle_seconds

    async def fetch_all(self, sql: str, values: dict[str, object]) -> list[tuple]:
        """Run one statement in its own transaction (autocommit); its rows."""
        async with self._slots:
            connection, opened = self._idle.pop() if self._idle else (await self._connect(), time.monotonic())
            try:
                rows = await (await connection.execute(sql, values)).fetchall()
            except BaseException:
                await connection.close()  # state unknown (broken, or cancelled mid-statement)
                raise
            if time.monotonic() - opened < self.recycle_seconds:
                self._idle.append((connection, opened))
            else:
                await connection.close()
            return rows

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection, _ in idle:
            await connection.close()


def async_connections_for(settings: DatabaseSettings, engine: Engine, application_name: str) -> AsyncConnections | None:
    """The app's `AsyncConnections` (as many as its pool holds, their statements traced) on PostgreSQL; None on
    SQLite, where the engine on a worker thread does (local runs)."""
    if engine.dialect.name != "postgresql":
        return None
    return AsyncConnections(partial(connect_async, settings, engine, application_name, traced=True), settings.db_pool_size)


class CompiledRead:
    """One hot SELECT, compiled once and run where it costs least: on PostgreSQL on the event loop through
    `AsyncConnections` (no thread hop, no ORM; the thread hops' GIL hand-offs with the loop are what a busy
    worker's requests queue on), elsewhere through the engine on a worker thread (SQLite: local runs). Rows are
    tuples in the select's column order, with the driver's types: PostgreSQL's timestamps come back in the
    session's time zone, not converted to UTC by `UTCDateTime`."""

    def __init__(self, statement: Select) -> None:
        self.statement = statement
        self.sql = postgres_sql(statement)

    async def rows(self, connections: AsyncConnections | None, engine: Engine, **values: object) -> list[tuple]:
        """The rows for `values`: one for each of the statement's `bindparam`s, by name."""
        if connections is not None:
            return await connections.fetch_all(self.sql, values)
        return await run_in_threadpool(self._engine_rows, engine, values)

    def _engine_rows(self, engine: Engine, values: dict[str, object]) -> list[tuple]:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(self.statement, values)]


def postgres_sql(statement: Executable) -> str:
    """A Core statement as psycopg SQL with named placeholders, for `AsyncConnections`."""
    return str(statement.compile(dialect=postgresql.psycopg.dialect()))


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


DbSession = Annotated[Session, Depends(get_session)]
DbTransaction = Annotated[Session, Depends(get_transaction)]  # committed by the endpoint, rolled back otherwise
