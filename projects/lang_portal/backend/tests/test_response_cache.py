"""The response cache in the running app, on SQLite and PostgreSQL: hits are the misses' bytes, no write
leaves an answer stale (for the writer, across users, across app instances), and a lost change listener
turns the cache off instead of serving stale answers."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text

from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.tests.conftest import SERVICE, as_user, settings_for, with_test_users
from projects.lang_portal.backend.tests.helpers import GREETINGS, generated_group, group_word_ids, import_group, \
    review, start_session


@contextmanager
def running(db_url: str) -> Iterator[tuple[FastAPI, TestClient]]:
    """An app with its lifespan running (so PostgreSQL's change listener is on) and its cache usable."""
    app = with_test_users(create_app(settings_for(db_url)))
    with TestClient(app) as client:
        wait_until(lambda: app.state.response_cache.enabled)
        yield app, client
    app.state.engine.dispose()


def wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(app.state.engine, "before_cursor_execute", record)


def counts(client: TestClient, word_id: int, user: str = "alice") -> tuple[int, int]:
    page = client.get(f"/api/groups/{GREETINGS}/words", headers=as_user(user)).json()
    word = next(item for item in page["items"] if item["id"] == word_id)
    return word["correct_count"], word["wrong_count"]


def test_a_hit_answers_the_same_bytes_without_the_database(db_url):
    with running(db_url) as (app, client):
        miss = client.get("/api/words?page=1&sort_by=english", headers=as_user("alice"))
        with statements(app) as seen:
            hit = client.get("/api/words?page=1&sort_by=english", headers=as_user("alice"))
        assert seen == []
        assert hit.status_code == miss.status_code == 200
        assert hit.content == miss.content
        assert hit.headers["content-type"] == miss.headers["content-type"] == "application/json"
        assert hit.headers["x-request-id"] != miss.headers["x-request-id"]  # per request, not cached
        for answer in (miss, hit):  # the security headers once each, on hits too (added outside the cache)
            assert answer.headers.get_list("x-content-type-options") == ["nosniff"]
            assert answer.headers.get_list("cache-control") == ["no-store"]


def test_errors_and_health_are_not_cached(db_url):
    with running(db_url) as (app, client):
        assert client.get("/api/words?page=0", headers=as_user("alice")).status_code == 422
        assert client.get("/api/groups/999", headers=as_user("alice")).status_code == 404
        client.get("/api/health")
        assert len(app.state.response_cache) == 0


def test_a_review_shows_at_once_in_the_writers_lists_and_stats(db_url):
    with running(db_url) as (_, client):
        word = group_word_ids(client)[0]
        session = start_session(client)
        for expected_correct, correct in enumerate((True, True), start=1):
            before = client.get("/api/dashboard/quick-stats", headers=as_user("alice")).json()
            counts(client, word)  # cached now
            review(client, session, word, correct)
            assert counts(client, word) == (expected_correct, 0)
            after = client.get("/api/dashboard/quick-stats", headers=as_user("alice")).json()
            assert after["success_rate"] == 100.0
            assert before != after or expected_correct == 2
        review(client, session, word, False)
        assert counts(client, word) == (2, 1)
        assert client.get("/api/dashboard/quick-stats", headers=as_user("alice")).json()["success_rate"] == 66.7


def test_one_users_cached_answers_are_never_served_to_another(db_url):
    with running(db_url) as (_, client):
        word = group_word_ids(client)[0]
        assert counts(client, word, "bob") == (0, 0)  # bob's answer cached
        review(client, start_session(client), word, True)
        assert counts(client, word, "alice") == (1, 0)
        assert counts(client, word, "bob") == (0, 0)
        sessions = client.get("/api/study_sessions", headers=as_user("bob")).json()
        assert sessions["pagination"]["total_items"] == 0


def test_other_writes_invalidate_their_owner_or_everyone(db_url):
    with running(db_url) as (_, client):
        def group_names(user: str) -> list[str]:
            return [g["name"] for g in client.get("/api/groups", headers=as_user(user)).json()["items"]]

        assert "Private" not in group_names("alice") and "Weather" not in group_names("bob")
        import_group(client, generated_group("Private", 2))  # alice's own
        assert "Private" in group_names("alice") and "Private" not in group_names("bob")
        import_group(client, generated_group("Weather", 2, prefix="天"), SERVICE)  # shared: everyone's answers change
        assert "Weather" in group_names("alice") and "Weather" in group_names("bob")
        review(client, start_session(client), group_word_ids(client)[0], True)
        assert client.get("/api/study_sessions", headers=as_user("alice")).json()["pagination"]["total_items"] == 1
        assert client.post("/api/reset_history", headers=as_user("alice")).status_code == 200
        assert client.get("/api/study_sessions", headers=as_user("alice")).json()["pagination"]["total_items"] == 0
        assert client.post("/api/full_reset", headers=as_user("alice")).status_code == 200
        assert "Private" not in group_names("alice")


def test_a_write_through_one_instance_is_read_at_once_through_another(postgres_url):
    """Two workers (or ECS tasks): each has its own cache; a POST answered by one is seen by the next GET
    on the other, every time (no waiting for the notification to arrive by chance)."""
    with running(postgres_url) as (_, writer), running(postgres_url) as (_, reader):
        words = group_word_ids(writer)
        session = start_session(writer)
        for round_number in range(1, 21):
            word = words[round_number % len(words)]
            expected = counts(reader, word)  # cached on the reader
            review(writer, session, word, True)
            assert counts(reader, word) == (expected[0] + 1, 0), f"stale answer in round {round_number}"


def test_a_lost_listener_turns_the_cache_off_until_it_is_back(postgres_url):
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with running(postgres_url) as (_, writer), running(postgres_url) as (reader_app, reader):
        word = group_word_ids(writer)[0]
        session = start_session(writer)
        assert counts(reader, word) == (0, 0)  # cached on the reader
        with admin.connect() as connection:
            killed = connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'lang-portal-cache-listener' AND datname = current_database()")).all()
        assert len(killed) == 2
        review(writer, session, word, True)  # its notification reaches no listener
        assert counts(reader, word) == (1, 0)
        assert not reader_app.state.response_cache.enabled
        wait_until(lambda: reader_app.state.response_cache.enabled)  # reconnected, probed, on again
        assert counts(reader, word) == (1, 0)
        review(writer, session, word, True)
        assert counts(reader, word) == (2, 0)
    admin.dispose()
