"""Calls to another app's API against a real HTTP server on 127.0.0.1 that answers what each test asks for."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from modules.alb_identity import SignedInUser
from modules.auth import Principal
from modules.service_client import (LANG_PORTAL, ServiceAnswerInvalid, ServiceClient, ServiceRateLimited,
                                    ServiceRefused, ServiceUnavailable, lang_portal_client)
from modules.settings import UiAppSettings
from modules.tests.postgres import free_port
from modules.tests.support import LocalServer

USER = SignedInUser(Principal.user("user-1"), "user-1@example.com", "the-access-token", is_staff=False)


class ScriptedServer(LocalServer):
    """Answers every request with `status`, `body` (bytes) and `headers`; records what it was sent; `hang`
    makes it wait until the test ends."""

    def __init__(self) -> None:
        self.status, self.body, self.headers = 200, b'{"ok": true}', {"Content-Type": "application/json"}
        self.requests: list[dict] = []
        self.hang = threading.Event()
        self._released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                        "body": self.rfile.read(length) if length else b""})
                if server.hang.is_set():
                    server._released.wait(10)
                    return
                self.send_response(server.status)
                for name, value in server.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    def answer(self, status: int, payload: object = None, raw: bytes | None = None, **headers: str) -> None:
        self.status = status
        self.body = raw if raw is not None else json.dumps(payload).encode()
        self.headers = {"Content-Type": "application/json", **headers}

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        super().__exit__(*exc)


@pytest.fixture
def server():
    with ScriptedServer() as scripted:
        yield scripted


@pytest.fixture
def portal(server) -> ServiceClient:
    return ServiceClient(LANG_PORTAL, server.origin + "/", timeout_seconds=2)


def test_a_user_call_carries_their_access_token_and_returns_the_json(portal, server):
    server.answer(200, {"items": [1, 2]})
    assert portal.as_user(USER).get("/api/groups", params={"page": 2}) == {"items": [1, 2]}
    [request] = server.requests
    assert request["path"] == "/api/groups?page=2"
    assert request["headers"]["Authorization"] == "Bearer the-access-token"
    assert "X-Api-Key" not in request["headers"]


def test_the_local_user_sends_no_credentials_and_the_service_sends_only_its_key(portal, server):
    local = SignedInUser(Principal.user("local-user"), None, None, is_staff=True)
    portal.as_user(local).post("/api/study_activities", json={"group_id": 1})
    portal.with_api_key("service-key-0123456789").post("/api/groups/import", json={"group_name": "g"})
    first, second = server.requests
    assert "Authorization" not in first["headers"] and json.loads(first["body"]) == {"group_id": 1}
    assert second["headers"]["X-Api-Key"] == "service-key-0123456789" and "Authorization" not in second["headers"]


def test_an_unreachable_service_is_named():
    gone = ServiceClient(LANG_PORTAL, f"http://127.0.0.1:{free_port()}", timeout_seconds=2)  # nothing listens there
    with pytest.raises(ServiceUnavailable) as failed:
        gone.as_user(USER).get("/api/groups")
    assert str(failed.value) == "the Lang Portal API cannot be reached right now"
    assert failed.value.service == LANG_PORTAL


def test_a_service_that_does_not_answer_in_time_is_named(server):
    server.hang.set()
    slow = ServiceClient(LANG_PORTAL, server.origin, timeout_seconds=0.3)
    with pytest.raises(ServiceUnavailable, match=r"^the Lang Portal API did not answer within 0.3 seconds$"):
        slow.as_user(USER).get("/api/groups")


@pytest.mark.parametrize("status,payload,error,message", [
    (503, {"detail": "the database is unavailable; try again shortly"}, ServiceUnavailable,
     "the Lang Portal API is unavailable right now: 503 (the database is unavailable; try again shortly); try again "
     "shortly"),
    (502, None, ServiceUnavailable, "the Lang Portal API is unavailable right now: 502; try again shortly"),
    (404, {"detail": "group 7 not found"}, ServiceRefused, "the Lang Portal API answered 404 (group 7 not found)"),
    (401, {"detail": "token has expired"}, ServiceRefused, "the Lang Portal API answered 401 (token has expired)"),
    (422, {"detail": [{"loc": ["body", "group_name"], "msg": "String should have at least 1 character"},
                      {"loc": ["query", "page"], "msg": "Input should be greater than 0"}]}, ServiceRefused,
     "the Lang Portal API answered 422 (group_name: String should have at least 1 character; query.page: Input "
     "should be greater than 0)"),
    (500, {"detail": "internal error", "request_id": "abc"}, ServiceRefused,
     "the Lang Portal API answered 500 (internal error)"),
])
def test_error_answers_are_typed_and_say_what_the_service_said(portal, server, status, payload, error, message):
    server.answer(status, payload)
    with pytest.raises(error) as failed:
        portal.as_user(USER).get("/api/groups/7")
    assert str(failed.value) == message
    assert failed.value.status == status


def test_rate_limiting_says_how_long_to_wait(portal, server):
    server.answer(429, {"detail": "too many AI requests"}, **{"Retry-After": "60"})
    with pytest.raises(ServiceRateLimited) as limited:
        portal.as_user(USER).post("/api/words/1/example_sentence")
    assert limited.value.retry_after_seconds == 60
    assert str(limited.value) == ("the Lang Portal API is limiting requests: try again in 60 seconds "
                                  "(too many AI requests)")


def test_an_answer_that_is_not_json_or_a_redirect_is_not_taken(portal, server):
    server.answer(200, raw=b"<html>proxy login</html>", **{"Content-Type": "text/html"})
    with pytest.raises(ServiceAnswerInvalid, match="the Lang Portal API answered something that is not JSON"):
        portal.as_user(USER).get("/api/groups")
    server.answer(302, raw=b"", Location="https://elsewhere.example/")
    with pytest.raises(ServiceRefused, match="answered 302"):
        portal.as_user(USER).get("/api/groups")
    assert len(server.requests) == 2  # the redirect was not followed


def test_a_long_error_text_is_cut(portal, server):
    server.answer(400, raw=("x " * 1000).encode(), **{"Content-Type": "text/plain"})
    with pytest.raises(ServiceRefused) as refused:
        portal.as_user(USER).get("/api/groups")
    assert len(refused.value.detail) == 300 and refused.value.detail.endswith("...")


def test_the_lang_portal_client_is_configured_from_the_ui_settings():
    settings = UiAppSettings(local_mode=True, lang_portal_api_url="http://127.0.0.1:8123/")
    client = lang_portal_client(settings)
    assert (client.service, client.base_url, client.timeout_seconds) == (LANG_PORTAL, "http://127.0.0.1:8123", 30)
