"""Reviews arriving together on PostgreSQL are written in batches: each request still gets its own answer
(201, 404 or 409), every accepted review is stored once, cached reads see them, and a review the database
rejects fails alone."""
from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.models import WordReviewItem
from projects.lang_portal.backend.tests.conftest import as_user, settings_for, with_test_users
from projects.lang_portal.backend.tests.helpers import COLORS, GREETINGS, WRITING_PRACTICE


@pytest.fixture
def postgres_url(postgres) -> Iterator[str]:
    url = postgres.seeded()
    yield url
    postgres.drop(url)


def count_statements(app: FastAPI) -> list[int]:
    """Wraps the async connections: the batch size of every statement they run."""
    connections = app.state.async_connections
    sizes: list[int] = []
    real_fetch_all = connections.fetch_all

    async def fetch_all(sql: str, values: dict) -> list[tuple]:
        sizes.append(len(values["word_id"]))
        return await real_fetch_all(sql, values)

    connections.fetch_all = fetch_all
    return sizes


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


async def start(app: FastAPI, user: str, group: int) -> tuple[int, list[int]]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        session = await client.post("/api/study_activities", json={"group_id": group,
                                                                    "study_activity_id": WRITING_PRACTICE},
                                    headers=as_user(user))
        words = await client.get(f"/api/groups/{group}/words/raw", headers=as_user(user))
    return session.json()["id"], [word["id"] for word in words.json()["items"]]


def stored_reviews(app: FastAPI) -> Counter:
    with app.state.engine.connect() as connection:
        rows = connection.execute(select(WordReviewItem.user_sub, func.count()).group_by(WordReviewItem.user_sub))
        return Counter(dict(rows.all()))


def test_concurrent_reviews_are_batched_and_each_gets_its_own_answer(postgres_url):
    app = with_test_users(create_app(settings_for(postgres_url)))
    try:
        alice_session, greetings = asyncio.run(start(app, "alice", GREETINGS))
        bob_session, _ = asyncio.run(start(app, "bob", GREETINGS))
        _, colors = asyncio.run(start(app, "alice", COLORS))
        sizes = count_statements(app)
        requests = ([("alice", alice_session, word) for word in greetings * 3]
                    + [("bob", bob_session, word) for word in greetings * 2]
                    + [("bob", alice_session, greetings[0])]  # not bob's session
                    + [("alice", alice_session, colors[0])])  # not in the session's group
        responses = asyncio.run(post_reviews(app, requests))
        statuses = [response.status_code for response in responses]
        assert statuses == [201] * (len(requests) - 2) + [404, 409]
        assert responses[-2].json()["detail"] == f"study session {alice_session} not found"
        assert all(response.json()["word_id"] == word
                   for response, (_, _, word) in zip(responses[:-2], requests[:-2]))
        assert stored_reviews(app) == {"alice": 3 * len(greetings), "bob": 2 * len(greetings)}
        assert len(sizes) < len(requests) and max(sizes) > 1, sizes  # fewer statements than reviews
        assert sum(sizes) == len(requests)
    finally:
        app.state.engine.dispose()


def test_a_review_the_database_rejects_fails_alone(postgres_url):
    app = with_test_users(create_app(settings_for(postgres_url)))
    try:
        session, words = asyncio.run(start(app, "alice", GREETINGS))
        poisoned = words[1]
        connections = app.state.async_connections
        real_fetch_all = connections.fetch_all

        async def fetch_all(sql: str, values: dict) -> list[tuple]:
            if poisoned in values["word_id"]:  # as if the word were deleted between check and write
                raise psycopg.errors.ForeignKeyViolation("insert violates foreign key constraint")
            return await real_fetch_all(sql, values)

        connections.fetch_all = fetch_all
        responses = asyncio.run(post_reviews(app, [("alice", session, word) for word in words]))
        statuses = {word: response.status_code for word, response in zip(words, responses)}
        assert statuses == {word: 500 if word == poisoned else 201 for word in words}
        assert responses[1].json()["detail"] == "internal error"  # logged with its request id, no stack trace
        assert stored_reviews(app) == {"alice": len(words) - 1}
    finally:
        app.state.engine.dispose()


def test_an_unreachable_database_answers_every_review_of_the_batch_503(postgres_url):
    app = with_test_users(create_app(settings_for(postgres_url)))
    try:
        session, words = asyncio.run(start(app, "alice", GREETINGS))

        async def fetch_all(sql: str, values: dict) -> list[tuple]:
            raise psycopg.OperationalError("connection refused")

        app.state.async_connections.fetch_all = fetch_all
        responses = asyncio.run(post_reviews(app, [("alice", session, word) for word in words]))
        assert {response.status_code for response in responses} == {503}
        assert responses[0].json()["detail"] == "the database is unavailable; try again shortly"
    finally:
        app.state.engine.dispose()
