"""A real PostgreSQL for the session (as the `postgres` user, own port and data dir) and a SQLite file;
every `db_url` test runs on both. Each test gets its own database copied from a migrated, seeded template."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from modules.tests.conftest import clear_app_environment
from modules.tests.databases import PostgresDatabases, SqliteTemplate, fresh_database, prepared_with
from modules.tests.users import as_user  # noqa: F401 - the app's tests import it from here
from modules.tests.users import with_test_users as with_users
from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.seed import prepare_database
from projects.lang_portal.backend.settings import LangPortalSettings

API_KEY = "lang-portal-test-api-key-0123456789"


def _migrate_and_seed(url: str) -> None:
    prepared_with(prepare_database)(url)


@pytest.fixture(scope="session")
def postgres(postgres_server) -> PostgresDatabases:
    return PostgresDatabases(postgres_server, "lang_portal", _migrate_and_seed)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"), "lang_portal", _migrate_and_seed)


@pytest.fixture
def postgres_url(postgres) -> Iterator[str]:
    """A seeded PostgreSQL database of its own, for tests that need PostgreSQL itself."""
    url = postgres.seeded()
    yield url
    postgres.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh, migrated and seeded database on each backend."""
    with fresh_database(request.param, tmp_path, lambda: request.getfixturevalue("sqlite_template"),
                        lambda: request.getfixturevalue("postgres")) as url:
        yield url


@pytest.fixture(autouse=True)
def _no_app_environment(monkeypatch):
    clear_app_environment(monkeypatch, LangPortalSettings)


def settings_for(db_url: str, **overrides: object) -> LangPortalSettings:
    """Local mode unless `overrides` configure Cognito (cognito_issuer=...)."""
    return LangPortalSettings(**{"database_url": db_url, "migrate_on_startup": False, "log_level": "WARNING",
                                 "lang_portal_api_key": API_KEY, "local_mode": "cognito_issuer" not in overrides,
                                 **overrides})


def with_test_users(application: FastAPI) -> FastAPI:
    return with_users(application, API_KEY)


@pytest.fixture
def app(db_url):
    application = with_test_users(create_app(settings_for(db_url)))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


SERVICE = {"X-Api-Key": API_KEY}
