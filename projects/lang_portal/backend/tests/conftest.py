"""A real PostgreSQL for the session (as the `postgres` user, own port and data dir) and a SQLite file;
every `db_url` test runs on both. Each test gets its own database copied from a migrated, seeded template."""
from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from modules.auth import Authenticator, Principal
from modules.tests.conftest import clear_app_environment
from modules.tests.postgres import PostgresMissing, TemporaryPostgres
from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.seed import prepare_database
from projects.lang_portal.backend.settings import LangPortalSettings

API_KEY = "lang-portal-test-api-key-0123456789"
_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """`postgresql+psycopg://postgres@127.0.0.1:<port>` of a cluster that lives for the test session."""
    try:
        with TemporaryPostgres() as server:
            yield server.url
    except PostgresMissing as missing:
        pytest.fail(str(missing), pytrace=False)


class PostgresDatabases:
    """Creates databases on the session's server, from a migrated and seeded template."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        self._template: str | None = None

    def create(self, template: str | None = None) -> str:
        name = f"lang_portal_{next(_database_numbers)}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        return f"{self.server}/{name}"

    def seeded(self) -> str:
        if self._template is None:
            url = self.create()
            _migrate_and_seed(url)
            self._template = url.rsplit("/", 1)[1]
        return self.create(template=self._template)

    def drop(self, url: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))


def _migrate_and_seed(url: str) -> None:
    engine = create_engine(url)
    prepare_database(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def postgres(postgres_server) -> PostgresDatabases:
    return PostgresDatabases(postgres_server)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    _migrate_and_seed(f"sqlite:///{path}")
    return path


@pytest.fixture
def postgres_url(postgres) -> Iterator[str]:
    """A seeded PostgreSQL database of its own, for tests that need PostgreSQL itself."""
    url = postgres.seeded()
    yield url
    postgres.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh, migrated and seeded database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "lang_portal.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    url = databases.seeded()
    yield url
    databases.drop(url)


@pytest.fixture(autouse=True)
def _no_app_environment(monkeypatch):
    clear_app_environment(monkeypatch, LangPortalSettings)


def settings_for(db_url: str, **overrides: object) -> LangPortalSettings:
    """Local mode unless `overrides` configure Cognito (cognito_issuer=...)."""
    return LangPortalSettings(**{"database_url": db_url, "migrate_on_startup": False, "log_level": "WARNING",
                                 "lang_portal_api_key": API_KEY, "local_mode": "cognito_issuer" not in overrides,
                                 **overrides})


class UsersByToken(Authenticator):
    """Tests act as any user: the bearer token is the user's sub, none is alice; the API key is checked
    for real (real token checks are in test_auth_integration.py). Replacing the app's authenticator,
    not the dependency, keeps the response cache keyed by the same caller the endpoints see."""

    def __init__(self) -> None:
        super().__init__(None, API_KEY, "alice")

    def authenticate(self, bearer_token: str | None, api_key: str | None) -> Principal:
        return self.known_principal(bearer_token, api_key) or super().authenticate(bearer_token, api_key)

    def known_principal(self, bearer_token: str | None, api_key: str | None) -> Principal | None:
        if api_key is not None:
            return super().known_principal(None, api_key)
        return Principal.user(bearer_token or "alice")


def with_test_users(application: FastAPI) -> FastAPI:
    application.state.authenticator = UsersByToken()
    return application


@pytest.fixture
def app(db_url):
    application = with_test_users(create_app(settings_for(db_url)))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def as_user(sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sub}"}


SERVICE = {"X-Api-Key": API_KEY}
