"""Databases for an app's tests on the session's one PostgreSQL server: each test gets its own, copied from a
template the app prepared (migrated, seeded) once per session."""
from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

_database_numbers = itertools.count()


@dataclass(frozen=True)
class AppDatabase:
    """An app's database in its tests (projects/conftest.py): databases are named `<name>_<n>`; `prepare(url)`
    makes one ready (migrated, seeded)."""

    name: str
    prepare: Callable[[str], None]


class PostgresDatabases:
    """Creates databases named `<prefix>_<n>` on `server`; `seeded()` copies the template `prepare(url)` made."""

    def __init__(self, server: str, prefix: str, prepare: Callable[[str], None]) -> None:
        self.server = server
        self.prefix = prefix
        self.prepare = prepare
        self.admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        self._template: str | None = None

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{next(_database_numbers)}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        return f"{self.server}/{name}"

    def seeded(self) -> str:
        if self._template is None:
            url = self.create()
            self.prepare(url)
            self._template = url.rsplit("/", 1)[1]
        return self.create(template=self._template)

    def drop(self, url: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def prepared_with(prepare_engine: Callable[..., None]) -> Callable[[str], None]:
    """`prepare(url)` from a function that prepares an engine (migrate, seed)."""

    def prepare(url: str) -> None:
        engine = create_engine(url)
        try:
            prepare_engine(engine)
        finally:
            engine.dispose()

    return prepare


class SqliteTemplate:
    """A SQLite file `prepare(url)` made once; `copy(directory)` is a fresh database from it."""

    def __init__(self, directory: Path, name: str, prepare: Callable[[str], None]) -> None:
        self.path = directory / f"{name}-template.sqlite3"
        self.name = name
        prepare(f"sqlite:///{self.path}")

    def copy(self, directory: Path) -> str:
        path = directory / f"{self.name}.sqlite3"
        shutil.copy(self.path, path)
        return f"sqlite:///{path}"


@contextmanager
def fresh_database(backend: str, directory: Path, sqlite: Callable[[], SqliteTemplate],
                   postgres: Callable[[], PostgresDatabases]) -> Iterator[str]:
    """A prepared database of its own on `backend` ("sqlite" or "postgresql"), dropped afterwards. The templates
    are asked for only when needed, so a SQLite-only run starts no PostgreSQL."""
    if backend == "sqlite":
        yield sqlite().copy(directory)
        return
    databases = postgres()
    url = databases.seeded()
    try:
        yield url
    finally:
        databases.drop(url)


def assert_health_says_the_database_is_down(client) -> None:
    """Both health paths (the container's and the load balancer's) are 503, naming the database."""
    for path in ("/health", "/api/health"):
        response = client.get(path)
        assert response.status_code == 503
        body = response.json()
        assert (body["status"], body["checks"]) == ("unavailable", {"database": "failed: OperationalError"})
