"""Request ids and JSON logs, the body size limit, health responses and the JSON error handlers, in the app
every API starts from (modules.webapp)."""
from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from modules.aws import AwsFeatureDisabled, AwsThrottled, AwsUnavailable, GuardrailBlocked
from modules.health import database_check, health_response
from modules.settings import AppSettings
from modules.webapp import create_web_app


def build_app() -> FastAPI:
    app = create_web_app(AppSettings(local_mode=True, max_request_bytes=1024, service_name="test-service"),
                         title="test", version="1")

    @app.get("/log")
    def log() -> dict:
        logging.getLogger("test").info("inside", extra={"word": "水"})
        return {}

    @app.post("/echo")
    async def echo(body: dict) -> dict:
        return body

    errors = {"disabled": AwsFeatureDisabled("speech", ["AWS_DEFAULT_REGION"]), "blocked": GuardrailBlocked(),
              "throttled": AwsThrottled("Polly"), "unavailable": AwsUnavailable("S3", "AccessDenied"),
              "bug": ZeroDivisionError("x")}

    @app.get("/raise/{name}")
    def fail(name: str) -> None:
        raise errors[name]

    return app


@pytest.fixture
def client():
    return TestClient(build_app(), raise_server_exceptions=False)


@pytest.fixture
def json_logs(client):
    """The JSON lines the app (configured by create_web_app) logs during one test, as a reader."""
    output = io.StringIO()
    logging.getLogger().handlers[0].setStream(output)
    yield lambda: [json.loads(line) for line in output.getvalue().splitlines()]
    logging.getLogger().handlers[0].setStream(sys.stdout)


def test_request_id_is_generated_returned_and_logged(client, json_logs):
    response = client.get("/log")
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    lines = json_logs()
    inside = next(line for line in lines if line["message"] == "inside")
    assert inside["request_id"] == request_id and inside["word"] == "水" and inside["level"] == "INFO"
    assert inside["service"] == "test-service"
    access = next(line for line in lines if line["message"] == "request")
    assert access["status"] == 200 and access["path"] == "/log" and access["request_id"] == request_id


def test_a_sane_incoming_request_id_is_kept_and_others_replaced(client):
    assert client.get("/log", headers={"X-Request-Id": "Root=1-abc"}).headers["x-request-id"] == "Root=1-abc"
    assert client.get("/log", headers={"X-Request-Id": "bad id\twith spaces"}).headers["x-request-id"] != "bad id"


def test_body_size_limit(client):
    assert client.post("/echo", json={"a": "x" * 100}).status_code == 200
    response = client.post("/echo", json={"a": "x" * 2000})
    assert response.status_code == 413
    assert response.json() == {"detail": "request body is larger than 1024 bytes"}

    def chunks():  # no Content-Length: the streamed bytes are counted
        yield b'{"a": "'
        yield b"x" * 2000
        yield b'"}'
    assert client.post("/echo", content=chunks(), headers={"Content-Type": "application/json"}).status_code == 413


@pytest.mark.parametrize("name,status,detail", [
    ("disabled", 503, "speech is not available: set AWS_DEFAULT_REGION to enable it"),
    ("blocked", 422, "the request was blocked by the content guardrail"),
    ("throttled", 429, "Polly is rate limiting requests; try again in a few seconds"),
    ("unavailable", 503, "S3 failed: AccessDenied"),
    ("bug", 500, "internal error"),
])
def test_errors_are_json_without_stack_traces(client, name, status, detail):
    response = client.get(f"/raise/{name}")
    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert "Traceback" not in response.text


def test_health_ok_failure_and_timeout(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    ok = asyncio.run(health_response({"database": database_check(engine)}, 1.0))
    assert (ok.status_code, json.loads(ok.body)) == (200, {"status": "ok", "checks": {"database": "ok"}})

    broken = create_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    failed = asyncio.run(health_response({"database": database_check(broken)}, 1.0))
    assert failed.status_code == 503
    assert json.loads(failed.body)["checks"]["database"] == "failed: OperationalError"

    slow = asyncio.run(health_response({"database": lambda: time.sleep(0.5)}, 0.1))
    assert (slow.status_code, json.loads(slow.body)["checks"]["database"]) == (503, "timed out after 0.1s")
