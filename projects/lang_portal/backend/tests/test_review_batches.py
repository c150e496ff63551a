"""Reviews arriving together on PostgreSQL are written in batches: each request still gets its own answer
(201, 404 or 409), every accepted review is stored once, and a review the database rejects fails alone."""
from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.models import WordReviewItem
from projects.lang_portal.backend.tests.conftest import as_user, settings_for, with_test_users
from projects.lang_portal.backend.tests.helpers import COLORS, GREETINGS, group_word_ids, start_session


@pytest.fixture
def portal(postgres_url) -> Iterator[FastAPI]:
    app = with_test_users(create_app(settings_for(postgres_url)))
    yield app
    app.state.engine.dispose()


def before_each_statement(app: FastAPI, check: Callable[[dict], None]) -> None:
    """Calls `check(values)` before every statement the app's async connections run (it may raise, as the
    database would)."""
    connections = app.state.async_connections
    real_fetch_all = connections.fetch_all

    async def fetch_all(sql: str, values: dict) -> list[tuple]:
        check(values)
        return await real_fetch_all(sql, values)

    connections.fetch_all = fetch_all


def session_and_words(app: FastAPI, user: str, group: int) -> tuple[int, list[int]]:
    client = TestClient(app)  # no lifespan needed: the database is migrated and seeded
    return start_session(client, group, user=user), group_word_ids(client, group, user=user)


async def post_reviews(app: FastAPI, requests: list[tuple[str, int, int]]) -> list[httpx.Response]:
    """(user, session id, word id) each POSTed at once, through the app's lifespan (cache listener on)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # a 500 is an answer to check
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            while not app.state.response_cache.enabled:
                await asyncio.sleep(0.02)
            return await asyncio.gather(*(
                client.post(f"/api/study_sessions/{session}/words/{word}/review", json={"correct": True},
                            headers=as_user(user)) for user, session, word in requests))


def stored_reviews(app: FastAPI) -> Counter:
    with app.state.engine.connect() as connection:
        rows = connection.execute(select(WordReviewItem.user_sub, func.count()).group_by(WordReviewItem.user_sub))
        return Counter(dict(rows.all()))


def test_concurrent_reviews_are_batched_and_each_gets_its_own_answer(portal):
    alice_session, greetings = session_and_words(portal, "alice", GREETINGS)
    bob_session, _ = session_and_words(portal, "bob", GREETINGS)
    _, colors = session_and_words(portal, "alice", COLORS)
    sizes: list[int] = []  # reviews per statement
    before_each_statement(portal, lambda values: sizes.append(len(values["word_id"])))
    requests = ([("alice", alice_session, word) for word in greetings * 3]
                + [("bob", bob_session, word) for word in greetings * 2]
                + [("bob", alice_session, greetings[0])]  # not bob's session
                + [("alice", alice_session, colors[0])])  # not in the session's group
    responses = asyncio.run(post_reviews(portal, requests))
    statuses = [response.status_code for response in responses]
    assert statuses == [201] * (len(requests) - 2) + [404, 409]
    assert responses[-2].json()["detail"] == f"study session {alice_session} not found"
    assert all(response.json()["word_id"] == word
               for response, (_, _, word) in zip(responses[:-2], requests[:-2]))
    assert stored_reviews(portal) == {"alice": 3 * len(greetings), "bob": 2 * len(greetings)}
    assert len(sizes) < len(requests) and max(sizes) > 1, sizes  # fewer statements than reviews
    assert sum(sizes) == len(requests)


def test_a_review_the_database_rejects_fails_alone(portal):
    session, words = session_and_words(portal, "alice", GREETINGS)
    poisoned = words[1]

    def reject_the_poisoned_word(values: dict) -> None:
        if poisoned in values["word_id"]:  # as if the word were deleted between check and write
            raise psycopg.errors.ForeignKeyViolation("insert violates foreign key constraint")

    before_each_statement(portal, reject_the_poisoned_word)
    responses = asyncio.run(post_reviews(portal, [("alice", session, word) for word in words]))
    statuses = {word: response.status_code for word, response in zip(words, responses)}
    assert statuses == {word: 500 if word == poisoned else 201 for word in words}
    assert responses[1].json()["detail"] == "internal error"  # logged with its request id, no stack trace
    assert stored_reviews(portal) == {"alice": len(words) - 1}


def test_an_unreachable_database_answers_every_review_of_the_batch_503(portal):
    session, words = session_and_words(portal, "alice", GREETINGS)

    def unreachable(values: dict) -> None:
        raise psycopg.OperationalError("connection refused")

    before_each_statement(portal, unreachable)
    responses = asyncio.run(post_reviews(portal, [("alice", session, word) for word in words]))
    assert {response.status_code for response in responses} == {503}
    assert responses[0].json()["detail"] == "the database is unavailable; try again shortly"
