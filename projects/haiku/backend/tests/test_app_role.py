"""The Haiku API as its own PostgreSQL role, which the owner's migration makes: it reads and writes haikus, their
chat and their leases, and can change no table."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from modules.database_roles import OwnerMigrationSettings, migrate_as_owner
from modules.tests.users import as_user, with_test_users
from projects.haiku.backend.app import create_app
from projects.haiku.backend.chat import store_turn
from projects.haiku.backend.migrate import MIGRATIONS
from projects.haiku.backend.tests.conftest import settings_for

REPO_ROOT = Path(__file__).parents[4]
ROLE = "haiku_app"


def test_the_api_does_its_work_as_the_role_the_owners_migration_made(postgres):
    url = postgres.create()
    server = make_url(url)
    as_role = server.set(username=ROLE, password=None).render_as_string(hide_password=False)
    migrate_as_owner(OwnerMigrationSettings(
        database_url=as_role, db_owner_host=server.host, db_owner_port=server.port, db_owner_username=server.username,
        db_owner_password="unused-the-test-server-trusts", db_app_password="the-proxy-signs-in-with-this-0123",
        db_owner_sslmode="disable"), MIGRATIONS.prepare)
    application = with_test_users(create_app(settings_for(as_role)))
    try:
        with TestClient(application) as client:  # the media worker polls and leases as the role too
            alice = as_user("alice")
            haiku_id = client.post("/api/haiku", headers=alice).json()["haiku_id"]
            assert store_turn(application.state.engine, haiku_id, "a pond", "Haiku:\nA\nB\nC") is not None
            assert client.get(f"/api/chat/{haiku_id}/history", headers=alice).json()["items"][1]["message"]
            assert client.get("/api/haiku", headers=alice).json()["total"] == 1
            assert client.delete(f"/api/haiku/{haiku_id}", headers=alice).status_code == 204
    finally:
        application.state.engine.dispose()
    with psycopg.connect(host=server.host, port=server.port, user=ROLE, dbname=server.database,
                         autocommit=True) as connection, pytest.raises(psycopg.errors.InsufficientPrivilege):
        connection.execute("DROP TABLE chat_history")
    postgres.drop(url)


def test_missing_settings_stop_the_migration_with_a_message_naming_them():
    completed = subprocess.run([sys.executable, "-m", "projects.haiku.backend.owner_migration"], capture_output=True,
                               text=True, env={"PATH": "/usr/bin:/bin"}, cwd=REPO_ROOT, timeout=60)
    assert completed.returncode == 2
    assert "migration cannot start" in completed.stderr and "DB_OWNER_HOST" in completed.stderr
    assert "Traceback" not in completed.stderr
