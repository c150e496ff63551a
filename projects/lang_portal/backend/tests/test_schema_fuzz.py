"""Schemathesis against the OpenAPI schema, in-process (ASGI), on both databases: whatever it generates,
no answer is a 5xx and every documented answer matches its schema. The AWS helpers are excluded
(in local mode they answer 503 by design; test_assist.py covers them).

Driven with hypothesis directly: schemathesis' pytest plugin does not work with this pytest. Shrinking and
hypothesis' explain phase are off - they multiply the run time, and a failure prints its curl line anyway."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.tests.conftest import settings_for, with_test_users

EXAMPLES_PER_OPERATION = 30


def test_no_server_errors(db_url):
    app = create_app(settings_for(db_url))
    with_test_users(app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(
        path_regex=r"/(audio|picture|example_sentence)$")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 24
    try:
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def fuzz(case) -> None:
                case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

            fuzz()
    finally:
        app.state.engine.dispose()
