"""The hardening every API gets from create_web_app, through HTTP: refused input is a writable 422, the
last-resort 500 carries the headers and is logged once, security headers and no CORS grant, docs only in
local mode under their own CSP, strict JSON bodies on every route, one bounded access line per request."""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from modules.routing import StrictJsonRoute
from modules.settings import AppSettings
from modules.tests.postgres import free_port
from modules.tests.support import ISSUER, CLIENT_ID, stop_process
from modules.webapp import create_web_app

REPO = Path(__file__).resolve().parents[2]
LOCAL = AppSettings(local_mode=True, max_request_bytes=4096)


class Item(BaseModel):
    count: int
    name: str


class Broken(Exception):
    pass


def build_app(settings: AppSettings = LOCAL) -> FastAPI:
    app = create_web_app(settings, title="test", version="1")

    @app.post("/items")
    async def add_item(item: Item) -> dict:
        return item.model_dump()

    @app.post("/anything")
    async def anything(value: dict[str, Any]) -> dict:  # validation accepts any JSON object
        return {"keys": len(value)}

    @app.get("/count")
    async def count(n: int = 0) -> dict:
        return {"n": n}

    @app.get("/cached")
    async def cached() -> Response:
        return Response('{"public": true}', media_type="application/json", headers={"Cache-Control": "max-age=60"})

    @app.get("/broken-handler")
    async def broken_handler() -> None:
        raise Broken()

    async def failing_handler(_request, _error) -> None:
        raise RuntimeError("the error handler itself failed")

    app.add_exception_handler(Broken, failing_handler)
    return app


app = build_app()  # served by uvicorn in test_a_real_server_logs_one_access_line_and_one_error_per_failure


@pytest.fixture
def client():
    with TestClient(build_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def post_json(client: TestClient, path: str, body: bytes) -> httpx.Response:
    return client.post(path, content=body, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("body,reason", [
    (b'{"count": NaN, "name": "x"}', "expected value"),
    (b'{"count": Infinity, "name": "x"}', "expected value"),
    (b'{"count": -Infinity, "name": "x"}', "invalid number"),
    (b'{"count": 1e999, "name": "x"}', "beyond the range of a 64-bit float"),
    (b'{"count": -1e999, "name": "x"}', "beyond the range of a 64-bit float"),
    (b'{"count": 1, "name": "x", "extra": ' + b"9" * 400 + b".5}", "beyond the range of a 64-bit float"),
    (b'{"count": 1, "name": "\\ud800"}', "hex escape"),
    (b'{"count": 1, "name": "\\udc00x"}', "lone leading surrogate"),
    (b'{"count": 1, "\\ud800": 1, "name": "x"}', "hex escape"),
    (b'{"count": 1, "name": "\xed\xa0\x80"}', "invalid unicode code point"),
    (b'{"count": 1, "name": "\xff"}', "invalid unicode code point"),
    (b"[" * 300 + b"]" * 300, "recursion limit exceeded"),
])
def test_json_that_cannot_be_written_back_is_422_saying_where_and_why(client, body, reason):
    for path in ("/items", "/anything"):  # /anything would accept NaN or a surrogate if they were parsed
        response = post_json(client, path, body)
        assert response.status_code == 422, response.text
        [problem] = response.json()["detail"]
        assert problem["loc"][0] == "body" and problem["type"] == "json_invalid"
        assert reason in problem["msg"], problem
        assert set(problem) == {"loc", "msg", "type"}


def test_a_number_beyond_a_float_is_refused_wherever_it_is_nested(client):
    response = post_json(client, "/anything", b'{"a": [1, {"b": [2.5, 1e400]}]}')
    assert response.status_code == 422
    assert "beyond the range" in response.json()["detail"][0]["msg"]


def test_refused_values_are_not_echoed_and_field_names_are_bounded(client):
    response = client.post("/items", json={"count": "x" * 3000, "name": 5})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "count"], "msg": "Input should be a valid integer, unable to parse string as an integer",
         "type": "int_parsing"},
        {"loc": ["body", "name"], "msg": "Input should be a valid string", "type": "string_type"}]
    assert len(response.content) < 500

    nested = client.post("/items", json={"count": {"\u2028" + "k" * 500: 1}, "name": "x"})
    assert nested.status_code == 422 and len(nested.content) < 1000


@pytest.mark.parametrize("query", ["n=%ED%A0%80", "n=%FF%FE", "n=" + "9" * 5000, "n=1e999", "n=NaN", "n=%00"])
def test_odd_query_strings_are_422(client, query):
    response = client.get(f"/count?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "n"]


def test_a_body_without_a_content_type_is_422_not_a_decoding_failure(client):
    response = client.post("/items", content=b"\xff\xfe not utf-8")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_an_error_handler_that_fails_is_a_json_500_with_the_usual_headers_logged_once(client, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/broken-handler")
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json() == {"detail": "internal error", "request_id": request_id}
    assert response.headers["x-content-type-options"] == "nosniff"
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [(record.getMessage(), record.exc_info[0]) for record in errors] == [("unhandled error", RuntimeError)]
    [access] = [record for record in caplog.records if record.name == "access"]
    assert access.status == 500


EXPECTED_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY",
                    "cross-origin-resource-policy": "same-origin",
                    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
                                               "form-action 'none'",
                    "cache-control": "no-store"}


@pytest.mark.parametrize("method,path,body,status", [
    ("GET", "/count", None, 200), ("GET", "/missing", None, 404), ("DELETE", "/count", None, 405),
    ("POST", "/items", b"{", 422), ("POST", "/items", b"x" * 5000, 413), ("GET", "/broken-handler", None, 500),
])
def test_every_answer_carries_the_security_headers(client, method, path, body, status):
    response = client.request(method, path, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert {name: response.headers.get(name) for name in EXPECTED_HEADERS} == EXPECTED_HEADERS
    assert response.headers["strict-transport-security"].startswith("max-age=63072000")


def test_an_answer_with_its_own_cache_control_keeps_it(client):
    assert client.get("/cached").headers["cache-control"] == "max-age=60"


def test_a_foreign_origin_gets_no_cors_grant(client):
    evil = {"Origin": "https://evil.example"}
    simple = client.get("/count", headers=evil)
    assert simple.status_code == 200
    preflight = client.options("/items", headers={**evil, "Access-Control-Request-Method": "POST",
                                                  "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 405
    for response in (simple, preflight):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")]


def test_local_mode_serves_the_docs_under_a_policy_that_allows_exactly_their_scripts(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and client.get("/openapi.json").status_code == 200
    policy = dict(part.split(" ", 1) for part in docs.headers["content-security-policy"].split("; "))
    [inline] = re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    [bundle] = re.findall(r'<script src="([^"]+)"', docs.text)
    assert policy["script-src"] == f"{bundle} 'sha256-{digest}'"
    assert policy["default-src"] == "'none'" and policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    [stylesheet] = re.findall(r'rel="stylesheet" href="([^"]+)"', docs.text)
    assert policy["style-src"] == f"{stylesheet} 'unsafe-inline'"
    assert client.get("/redoc").status_code == 404  # one docs page: fewer CDN sources to allow


def test_outside_local_mode_there_are_no_docs():
    settings = AppSettings(cognito_issuer=ISSUER, cognito_client_ids=CLIENT_ID)
    with TestClient(build_app(settings)) as cognito_client:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            assert cognito_client.get(path).status_code == 404, path


def test_a_route_that_would_parse_json_leniently_stops_the_start():
    application = build_app()
    lenient = APIRouter()  # FastAPI's default route class

    @lenient.post("/lenient")
    async def lenient_route(item: Item) -> dict:
        return {}

    strict = APIRouter(route_class=StrictJsonRoute)

    @strict.post("/strict")
    async def strict_route(item: Item) -> dict:
        return {}

    application.include_router(strict)
    with TestClient(application):
        pass
    application.include_router(lenient)
    with pytest.raises(RuntimeError, match=r"routes \['POST /lenient'\] would accept NaN"):
        with TestClient(application):
            pass


def test_the_access_line_bounds_the_path_and_the_query(client, caplog):
    with caplog.at_level(logging.INFO, logger="access"):
        client.get("/count?n=1&pad=" + "x" * 5000)
        client.get("/" + "p" * 3000)
    first, second = [record for record in caplog.records if record.name == "access"]
    assert first.path == "/count" and first.query.startswith("n=1&pad=xxx")
    assert first.query.endswith("... (5008 characters)") and len(first.query) < 250
    assert second.path.endswith("... (3001 characters)") and len(second.path) < 1100


def test_a_real_server_logs_one_access_line_and_one_error_per_failure(tmp_path):
    """Plain uvicorn, its access log on by default: each request is still one line, the app's, and a
    failure one ERROR line with its stack trace (uvicorn does not log it a second time)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "modules.tests.test_webapp:app", "--host", "127.0.0.1",
                               "--port", str(port)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        origin = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{origin}/count", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the server did not start: {server.stdout.read() if server.poll() else ''}")
                time.sleep(0.1)
        assert httpx.get(f"{origin}/count?n=2").json() == {"n": 2}
        assert httpx.get(f"{origin}/broken-handler").status_code == 500
    finally:
        output = stop_process(server, signal.SIGINT, timeout=20)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    served = [(line["path"], line.get("query"), line["status"]) for line in lines
              if line["logger"] == "access" and (line.get("query") or line["path"] == "/broken-handler")]
    assert served == [("/count", "n=2", 200), ("/broken-handler", None, 500)]
    [error] = [line for line in lines if line["level"] == "ERROR"]
    assert error["logger"] == "modules.errors" and "RuntimeError: the error handler itself failed" in error["exception"]
    assert "Traceback" not in "\n".join(line for line in output.splitlines() if not line.startswith("{"))
