"""Fixtures every app's tests share: one PostgreSQL server for the whole test session (the S3 emulator is the
root conftest's), and for an app with a database its databases (a fresh one per test, on SQLite and on
PostgreSQL), the app on one, its TestClient and the app whose database is down.

An app's conftest says what is its own: `app_database` (a modules.tests.databases.AppDatabase) and `build_app` (the
app on a database URL, with settings overridden, acting as test users)."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from modules.tests.databases import AppDatabase, PostgresDatabases, SqliteTemplate, fresh_database
from modules.tests.postgres import PostgresMissing, TemporaryPostgres, free_port

AppBuilder = Callable[..., FastAPI]  # (database_url, **settings) -> the app


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """`postgresql+psycopg://postgres@127.0.0.1:<port>` of a cluster that lives for the test session; each app
    makes its databases on it (modules.tests.databases)."""
    try:
        with TemporaryPostgres() as server:
            yield server.url
    except PostgresMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="session")
def _templates() -> dict[tuple[str, str], PostgresDatabases | SqliteTemplate]:
    """Each app's prepared databases, made once a session. Kept here by app: a session fixture is made once per
    session, whichever app's `app_database` the test that first asks for it sees."""
    return {}


@pytest.fixture
def postgres(postgres_server, app_database: AppDatabase, _templates) -> PostgresDatabases:
    key = ("postgresql", app_database.name)
    if key not in _templates:
        _templates[key] = PostgresDatabases(postgres_server, app_database.name, app_database.prepare)
    return _templates[key]


@pytest.fixture
def sqlite_template(tmp_path_factory, app_database: AppDatabase, _templates) -> SqliteTemplate:
    key = ("sqlite", app_database.name)
    if key not in _templates:
        _templates[key] = SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"), app_database.name,
                                         app_database.prepare)
    return _templates[key]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh, prepared database on each backend (PostgreSQL starts only when a test asks for it)."""
    with fresh_database(request.param, tmp_path, lambda: request.getfixturevalue("sqlite_template"),
                        lambda: request.getfixturevalue("postgres")) as url:
        yield url


@pytest.fixture
def postgres_url(postgres: PostgresDatabases) -> Iterator[str]:
    """A prepared PostgreSQL database of its own, for tests that need PostgreSQL itself."""
    url = postgres.seeded()
    yield url
    postgres.drop(url)


@pytest.fixture
def app(db_url: str, build_app: AppBuilder) -> Iterator[FastAPI]:
    """The app on a fresh database, in local mode."""
    application = build_app(db_url)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def database_down(build_app: AppBuilder) -> Iterator[TestClient]:
    """A TestClient of the app whose PostgreSQL nothing answers (a free port), giving up connecting after 1 s."""
    application = build_app(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing",
                            db_connect_timeout_seconds=1)
    with TestClient(application) as test_client:
        yield test_client
    application.state.engine.dispose()
