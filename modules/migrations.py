"""Alembic upgrade/downgrade of an app's migrations on an engine, the lock that keeps concurrent starters
from racing, and the body of every app's Alembic `env.py`.

Every worker of every task migrates at startup; the lock (a PostgreSQL advisory lock keyed by the app,
or a lock on the SQLite file's directory) makes the others wait.
"""
from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from modules.database import DatabaseSettings, create_db_engine
from modules.settings import load_settings


@dataclass(frozen=True)
class Migrations:
    """One app's Alembic scripts (`directory`, holding env.py and versions/); `name` keys its lock."""

    directory: Path
    name: str

    @property
    def lock_key(self) -> int:
        return zlib.crc32(self.name.encode())  # stable across processes, unlike hash()

    def _config(self, connection: Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory))
        config.attributes["connection"] = connection
        return config

    def upgrade(self, engine: Engine, revision: str = "head") -> None:
        with engine.begin() as connection:
            command.upgrade(self._config(connection), revision)

    def downgrade(self, engine: Engine, revision: str = "base") -> None:
        with engine.begin() as connection:
            command.downgrade(self._config(connection), revision)

    @contextmanager
    def exclusive(self, engine: Engine) -> Iterator[None]:
        """Hold a lock that only one process at a time can hold for this app's database."""
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self.lock_key})
                try:
                    yield
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.lock_key})
                    connection.commit()
            return
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        # A lock on the file's directory: nothing new is written anywhere, and migrations of other
        # SQLite files in the same directory merely take turns.
        directory = os.open(Path(database).resolve().parent, os.O_RDONLY)
        try:
            fcntl.flock(directory, fcntl.LOCK_EX)
            yield
        finally:
            os.close(directory)  # releases the lock

    def prepare(self, engine: Engine) -> None:
        """Migrate to head, holding the lock so concurrent starters take turns."""
        with self.exclusive(engine):
            self.upgrade(engine)


def run_environment(settings_class: type[DatabaseSettings]) -> None:
    """An app's Alembic env.py: migrate on the connection `Migrations` hands over, or - from the alembic
    CLI - on the DATABASE_URL of `settings_class`."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(load_settings(settings_class))
    try:
        with engine.begin() as cli_connection:
            _run(cli_connection)
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()
