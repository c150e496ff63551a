"""The Lang Portal API's own test setup: its database (migrated and seeded), its settings, its service key. The
databases, the app and its client are projects/conftest.py's: every `db_url` test runs on a real PostgreSQL and
on SQLite, each test on its own database copied from the template."""
from __future__ import annotations

import pytest
from fastapi import FastAPI

from modules.tests.conftest import clear_app_environment
from modules.tests.databases import AppDatabase, prepared_with
from modules.tests.users import as_user  # noqa: F401 - the app's tests import it from here
from modules.tests.users import with_test_users as with_users
from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.seed import prepare_database
from projects.lang_portal.backend.settings import LangPortalSettings

API_KEY = "lang-portal-test-api-key-0123456789"


@pytest.fixture(scope="session")
def app_database() -> AppDatabase:
    """Migrated and seeded."""
    return AppDatabase("lang_portal", prepared_with(prepare_database))


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


@pytest.fixture(scope="session")
def build_app():
    return lambda db_url, **overrides: with_test_users(create_app(settings_for(db_url, **overrides)))


SERVICE = {"X-Api-Key": API_KEY}
