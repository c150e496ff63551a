"""The API's own PostgreSQL role, on a real PostgreSQL: the owner's migration creates it, the API
does its work as it, and it can create no role, drop no table and read no other project's data."""
from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from modules.database_roles import AppRole, OwnerMigrationSettings, ensure_app_role, migrate_as_owner
from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.seed import prepare_database
from projects.lang_portal.backend.tests.conftest import settings_for, with_test_users
from projects.lang_portal.backend.tests.helpers import GREETINGS, group_word_ids, review, start_session

REPO_ROOT = Path(__file__).parents[4]
ROLE = "lang_portal_app"
PASSWORD = "the-proxy-signs-in-with-this-0123456789"


def as_role(url: str, role: str = ROLE) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def owner_settings(url: str, **overrides) -> OwnerMigrationSettings:
    server = make_url(url)
    values = dict(database_url=as_role(url), db_owner_host=server.host, db_owner_port=server.port,
                  db_owner_username=server.username, db_owner_password="unused-the-test-server-trusts",
                  db_app_password=PASSWORD, db_owner_sslmode="disable")
    return OwnerMigrationSettings(**{**values, **overrides})


def scram_matches(verifier: str, password: str) -> bool:
    """RFC 5802/7677: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>."""
    method, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, _ = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return method == "SCRAM-SHA-256" and hashlib.sha256(client_key).digest() == base64.b64decode(stored_key)


@pytest.fixture
def migrated(postgres):
    """A database migrated and seeded by the owner's migration, which made the API's role."""
    url = postgres.create()
    sent: list[str] = []

    def record(connection, cursor, statement, *rest) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        migrate_as_owner(owner_settings(url), prepare_database)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    yield url, sent
    postgres.drop(url)


def test_the_owners_migration_creates_a_login_role_without_powers_and_never_sends_the_password(migrated):
    url, sent = migrated
    owner = create_engine(url)
    with owner.connect() as connection:
        role = connection.execute(text(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolreplication, rolbypassrls, "
            "rolpassword FROM pg_authid WHERE rolname = :role"), {"role": ROLE}).one()
    owner.dispose()
    assert role[:7] == (True, False, False, False, False, False, False)
    # Stored as a SCRAM verifier of the secret's password; the statements sent carried no password
    # (Aurora logs DDL statements).
    assert scram_matches(role.rolpassword, PASSWORD)
    assert any("ALTER ROLE" in statement for statement in sent)
    assert not [statement for statement in sent if PASSWORD in statement]


def test_the_api_does_its_work_as_its_role(migrated):
    url, _ = migrated
    application = with_test_users(create_app(settings_for(as_role(url))))
    try:
        with TestClient(application) as client:
            assert client.get("/api/health").status_code == 200
            assert client.get("/api/groups").status_code == 200
            session_id = start_session(client)
            for word_id in group_word_ids(client, GREETINGS)[:3]:
                review(client, session_id, word_id, correct=True)
            assert client.get("/api/dashboard/quick-stats").json()["total_study_sessions"] == 1
            imported = client.post("/api/groups/import", json={"group_name": "Mine", "words": [
                {"japanese": "猫", "romaji": "neko", "english": "cat", "parts": {"type": "noun"}}]})
            assert imported.status_code == 201, imported.text
            assert client.post("/api/full_reset").status_code == 200  # deletes the caller's rows
    finally:
        application.state.engine.dispose()


def role_connection(url: str, database: str | None = None) -> psycopg.Connection:
    target = make_url(as_role(url))
    return psycopg.connect(host=target.host, port=target.port, user=ROLE, dbname=database or target.database,
                           autocommit=True)


@pytest.mark.parametrize("statement", [
    "CREATE ROLE intruder LOGIN SUPERUSER",
    "DROP TABLE words",
    "TRUNCATE word_review_items",
    "ALTER TABLE words ADD COLUMN note text",
    "CREATE TABLE stash (secret text)",
    "UPDATE alembic_version SET version_num = '0000'",
])
def test_the_role_cannot_change_roles_schema_or_migrations(migrated, statement):
    url, _ = migrated
    with role_connection(url) as connection, pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute(statement)


def test_the_role_reads_no_other_projects_schema_or_database(migrated, postgres):
    url, _ = migrated
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    with owner.connect() as connection:
        connection.execute(text("CREATE SCHEMA haiku"))
        connection.execute(text("CREATE TABLE haiku.poems (body text)"))
    owner.dispose()
    with role_connection(url) as connection, pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute("SELECT body FROM haiku.poems")
    # Another project's database, made by its own migration: only its role may connect.
    other = postgres.create()
    engine = create_engine(other)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE poems (body text)"))
        ensure_app_role(connection, AppRole("haiku_app", PASSWORD, make_url(other).database))
    engine.dispose()
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            role_connection(url, make_url(other).database)
    finally:
        postgres.drop(other)


def test_a_second_run_keeps_the_role_and_grants_what_a_new_migration_added(migrated):
    url, _ = migrated
    owner = create_engine(url)
    with owner.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id serial PRIMARY KEY, body text)"))  # a later migration
    owner.dispose()
    migrate_as_owner(owner_settings(url), prepare_database)
    with role_connection(url) as connection:
        connection.execute("INSERT INTO notes (body) VALUES ('granted')")
        assert connection.execute("SELECT count(*) FROM notes").fetchone() == (1,)


def test_missing_settings_stop_the_migration_with_a_message_naming_them():
    completed = subprocess.run([sys.executable, "-m", "projects.lang_portal.backend.owner_migration"],
                               capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, cwd=REPO_ROOT, timeout=60)
    assert completed.returncode == 2
    assert "migration cannot start" in completed.stderr and "DB_OWNER_HOST" in completed.stderr
    assert "Traceback" not in completed.stderr
