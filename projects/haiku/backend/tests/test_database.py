"""Migrations on PostgreSQL, the database's own hold on one haiku in progress per learner, health without it."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from modules.tests.databases import assert_health_says_the_database_is_down
from projects.haiku.backend.migrate import MIGRATIONS
from projects.haiku.backend.models import Haiku


def test_migrations_upgrade_and_downgrade_on_postgresql(postgres):
    engine = create_engine(postgres.create())
    try:
        MIGRATIONS.upgrade(engine)
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == {"haiku", "chat_history", "alembic_version"}
        assert {"ux_haiku_one_in_progress", "ix_haiku_owner_created"} <= {
            index["name"] for index in inspector.get_indexes("haiku")}
        MIGRATIONS.downgrade(engine)
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        MIGRATIONS.prepare(engine)
        assert "haiku" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_the_database_refuses_a_second_haiku_in_progress_of_one_learner(db_url):
    engine = create_engine(db_url)
    try:
        with Session(engine) as db:
            db.add_all([Haiku(haiku_id="a" * 32, owner_sub="alice", status="in progress"),
                        Haiku(haiku_id="b" * 32, owner_sub="alice", status="completed"),
                        Haiku(haiku_id="c" * 32, owner_sub="bob", status="in progress")])
            db.commit()
            db.add(Haiku(haiku_id="d" * 32, owner_sub="alice", status="in progress"))
            with pytest.raises(IntegrityError):
                db.commit()
            db.rollback()
            db.add(Haiku(haiku_id="e" * 32, owner_sub="alice", status="bogus"))
            with pytest.raises(IntegrityError):  # the status check constraint
                db.commit()
    finally:
        engine.dispose()


def test_health_and_reads_are_503_when_the_database_is_down(database_down):
    assert_health_says_the_database_is_down(database_down)
    assert database_down.get("/api/haiku").status_code == 503
