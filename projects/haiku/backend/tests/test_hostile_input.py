"""Hostile input on every route of the Haiku API (modules.tests.hostile), on both databases, as `make run-haiku`
runs it: local mode, its real authenticator."""
from __future__ import annotations

import pytest

from modules.tests.hostile import check_hostile_requests
from projects.haiku.backend.app import create_app
from projects.haiku.backend.tests.conftest import settings_for

EXAMPLES = 300  # per database: about 30 per operation


@pytest.fixture
def app(db_url):
    application = create_app(settings_for(db_url))
    yield application
    application.state.engine.dispose()


def test_no_hostile_request_gets_a_5xx_or_a_stack_trace(app):
    statuses = check_hostile_requests(app, examples=EXAMPLES, min_operations=10, explicit=[
        {"method": "POST", "url": "/api/chat/" + "a" * 32, "content": b'{"message": "\\ud800"}',
         "headers": {"Content-Type": "application/json"}},
        {"method": "POST", "url": "/api/chat/" + "a" * 32 + "/stream", "content": b'{"message": NaN}',
         "headers": {"Content-Type": "application/json"}},
        {"method": "DELETE", "url": "/api/haiku/%ED%A0%80", "content": None, "headers": {}}])
    assert {201, 404, 422} <= statuses, "the examples reach the endpoints, not only the validation"
