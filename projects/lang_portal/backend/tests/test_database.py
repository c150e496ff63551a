"""Migrations on PostgreSQL, the seed loader, IAM auth tokens per connection, and health when the DB is down."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, event, func, inspect, select, text
from sqlalchemy.orm import Session

from modules.database import connect_async, create_db_engine
from projects.lang_portal.backend.migrate import MIGRATIONS
from projects.lang_portal.backend.models import Group, StudyActivity, Word, WordGroup
from projects.lang_portal.backend.seed import activity_urls, load_seed
from projects.lang_portal.backend.settings import LangPortalSettings
from modules.tests.conftest import settings_error
from modules.tests.databases import assert_health_says_the_database_is_down
from projects.lang_portal.backend.tests.helpers import SEED_GROUPS, SEED_WORDS

REPO = Path(__file__).parents[4]
TABLES = {"words", "groups", "words_groups", "study_activities", "study_sessions", "word_review_items"}


def test_migrations_upgrade_and_downgrade_on_postgresql(postgres):
    engine = create_engine(postgres.create())
    try:
        assert set(inspect(engine).get_table_names()) == set()
        MIGRATIONS.upgrade(engine)
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == TABLES | {"alembic_version"}
        assert {"ix_words_japanese", "ux_words_owner_content"} <= {i["name"] for i in inspector.get_indexes("words")}
        assert {"ix_reviews_user_word", "ix_reviews_session"} <= {
            i["name"] for i in inspector.get_indexes("word_review_items")}
        MIGRATIONS.downgrade(engine)
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        MIGRATIONS.upgrade(engine)  # and up again from base
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def counts(engine) -> tuple[int, int, int, int]:
    with Session(engine) as db:
        return tuple(db.execute(select(func.count()).select_from(model)).scalar_one()
                     for model in (Word, Group, WordGroup, StudyActivity))


def test_the_seed_is_idempotent(db_url):
    engine = create_engine(db_url)
    try:
        before = counts(engine)
        assert before == (SEED_WORDS, len(SEED_GROUPS), SEED_WORDS, 2)
        load_seed(engine)
        load_seed(engine)
        assert counts(engine) == before
    finally:
        engine.dispose()


def test_the_seed_runs_on_its_own(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/seeded.sqlite3", "PYTHONPATH": str(REPO)}
    for _ in range(2):
        result = subprocess.run([sys.executable, "-m", "projects.lang_portal.backend.seed"], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    engine = create_engine(env["DATABASE_URL"])
    assert counts(engine)[:2] == (SEED_WORDS, len(SEED_GROUPS))
    engine.dispose()


def test_a_bad_database_url_is_a_clear_startup_error(tmp_path):
    env = {**os.environ, "DATABASE_URL": "mysql://nope", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", "import projects.lang_portal.backend.main"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 3  # uvicorn's startup failure: its supervisor stops
    assert "DATABASE_URL: Value error, must be a sqlite:/// or postgresql:// URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_iam_auth_uses_a_fresh_token_as_the_password(postgres, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    url = postgres.create() + "?sslmode=disable"  # the test server has no TLS; RDS Proxy gets sslmode=require
    settings = LangPortalSettings(database_url=url, db_iam_auth=True, aws_region="us-east-1")
    engine = create_db_engine(settings)
    passwords = []
    event.listen(engine, "do_connect", lambda d, r, cargs, cparams: passwords.append(cparams["password"]))
    try:
        for _ in range(2):
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar_one() == 1
            engine.dispose()  # a new physical connection next time
    finally:
        engine.dispose()
    assert len(passwords) == 2

    async def async_password() -> str:  # the cache listener's and the review's connections
        connection = await connect_async(settings, engine, "test")
        password = connection.info.password
        await connection.close()
        return password

    passwords.append(asyncio.run(async_password()))
    for password in passwords:
        assert password.startswith(f"127.0.0.1:{engine.url.port}/?Action=connect&DBUser=postgres")
        assert "X-Amz-Signature=" in password


def test_health_reads_and_the_async_review_are_503_when_the_database_is_down(database_down):
    assert_health_says_the_database_is_down(database_down)
    assert database_down.get("/api/words").status_code == 503
    response = database_down.post("/api/study_sessions/1/words/1/review", json={"correct": True})
    assert response.status_code == 503
    assert response.json() == {"detail": "the database is unavailable; try again shortly"}
    assert not database_down.app.state.response_cache.enabled  # no listener: nothing is cached


def test_study_activity_addresses_come_from_the_configuration(db_url):
    configured = {"writing-practice": "https://writing.example.test", "haiku": "https://haiku.example.test/start"}
    engine = create_engine(db_url)
    try:
        load_seed(engine, activity_urls(configured))
        with Session(engine) as db:
            urls = dict(db.execute(select(StudyActivity.name, StudyActivity.url)).all())
        assert urls == {"Writing Practice": "https://writing.example.test",
                        "Haiku Generator": "https://haiku.example.test/start"}
        load_seed(engine)  # unconfigured (local mode): the apps on this machine, at their local ports
        with Session(engine) as db:
            urls = dict(db.execute(select(StudyActivity.name, StudyActivity.url)).all())
        assert urls == {"Writing Practice": "http://127.0.0.1:7860", "Haiku Generator": "http://127.0.0.1:5174"}
    finally:
        engine.dispose()


def test_a_configuration_missing_an_activity_or_with_a_bad_address_stops_the_start(tmp_path):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "STUDY_ACTIVITY_URLS": '{"haiku": "https://haiku.app-dw.net"}'}
    for urls, message in (('{"haiku": "https://haiku.app-dw.net"}',
                           "STUDY_ACTIVITY_URLS has no address for writing-practice (it names haiku)"),
                          ('{"haiku": "haiku.app-dw.net", "writing-practice": "https://w"}',
                           "STUDY_ACTIVITY_URLS: Value error, haiku: 'haiku.app-dw.net' is not an http(s):// address")):
        started = subprocess.run([sys.executable, "-c", "import projects.lang_portal.backend.main"], cwd=REPO,
                                 env={**env, "STUDY_ACTIVITY_URLS": urls}, capture_output=True, text=True, timeout=60)
        assert started.returncode == 3  # uvicorn's startup failure: its supervisor stops
        assert message in started.stderr and "Traceback" not in started.stderr


def test_a_short_service_key_is_refused_and_never_printed(monkeypatch):
    error = settings_error(monkeypatch, LangPortalSettings, {"LANG_PORTAL_API_KEY": "short-secret"})
    assert "LANG_PORTAL_API_KEY: Value error, must be at least 16 characters" in error
    assert "short-secret" not in error
