"""Hostile input on every route of the Lang Portal API (modules.tests.hostile), on both databases. The app runs
as `make run-lang-portal` runs it: local mode, its real authenticator."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from modules.tests.hostile import check_hostile_requests
from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.tests.conftest import API_KEY, settings_for

EXAMPLES = 500  # per database: about 20 per operation; a few seconds each
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def app(db_url) -> Iterator[FastAPI]:
    application = create_app(settings_for(db_url))
    yield application
    application.state.engine.dispose()


def test_no_hostile_request_gets_a_5xx_or_a_stack_trace(app):
    statuses = check_hostile_requests(app, examples=EXAMPLES, api_key=API_KEY, min_operations=26, explicit=[
        {"method": "POST", "url": "/api/study_sessions/1/words/1/review", "content": b'{"correct": NaN}',
         "headers": JSON},
        {"method": "POST", "url": "/api/groups/import", "content": b'{"group_name": "\\ud800", "words": []}',
         "headers": JSON},
        {"method": "POST", "url": "/api/groups/import", "content":
         b'{"group_name": "g", "words": [{"japanese": "a", "romaji": "a", "english": "a", "parts": {"n": 1e999}}]}',
         "headers": JSON},
        {"method": "POST", "url": "/api/study_activities", "content": b'{"group_id": Infinity, "study_activity_id": 1}',
         "headers": {}},
        {"method": "GET", "url": "/api/words?page=%ED%A0%80&sort_by=%FF", "content": None,
         "headers": {"X-Request-Id": "\xff\x00", "Authorization": "Bearer \xe9"}}])
    assert {200, 404, 422} <= statuses, "the examples reach the endpoints, not only the validation"
