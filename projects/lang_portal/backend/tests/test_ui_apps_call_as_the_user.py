"""A UI app behind the load balancer's sign-in calls a real Lang Portal API process in Cognito mode as the
signed-in user: the fake pool issues the access token to the ALB's app client, the ALB (modules/tests/alb.py) forwards
it with x-amzn-oidc-data, the app (modules.alb_identity, modules.service_client) verifies both and sends the token on
as `Authorization: Bearer`, and the review lands in that user's session, not another's. The app's request and the
API requests it makes are one trace (the API exports its spans to a collector's receiver the test runs)."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from starlette.middleware import Middleware
from starlette.responses import JSONResponse

from modules.alb_identity import SignedInUser, SignIn, SignInMiddleware, signed_in_user
from modules.auth import Principal
from modules.service_client import (LANG_PORTAL, ServiceCallFailed, ServiceClient, ServiceRefused,
                                    lang_portal_client)
from modules.settings import UiAppSettings
from modules.tests.alb import ALB_ARN, AlbKey, AlbKeyServer, AlbSigner
from modules.tests.fake_cognito import FakeCognito
from modules.tests.telemetry import OtlpReceiver, recorded  # noqa: F401
from modules.webapp import create_web_app
from projects.lang_portal.backend.tests.api_process import running_api

pytestmark = pytest.mark.slow  # a server process

PORTAL_CLIENT = "lang-portal-spa-client"
WRITING_ALB_CLIENT = "writing-practice-alb-client"  # the load balancer's client for writing.app-dw.net
UNLISTED_ALB_CLIENT = "some-other-alb-client"  # a UI app whose client the portal was not told about
API_KEY = "vocab-generator-service-key-0123456789"
WEATHER = {"group_name": "Weather", "words": [{"japanese": "雨", "romaji": "ame", "english": "rain"}]}


@pytest.fixture(scope="module")
def pool() -> Iterator[FakeCognito]:
    with FakeCognito(client_id=PORTAL_CLIENT) as cognito:
        yield cognito


@pytest.fixture(scope="module")
def collector() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def api_origin(tmp_path_factory, pool: FakeCognito, collector: OtlpReceiver) -> Iterator[str]:
    """The API as in AWS: COGNITO_CLIENT_IDS is the portal's client plus those of the apps that call it; its
    spans go to `collector`, and it samples only what its caller sampled (a root request is never sampled)."""
    settings = {"COGNITO_ISSUER": pool.issuer, "COGNITO_CLIENT_IDS": f"{PORTAL_CLIENT},{WRITING_ALB_CLIENT}",
                "LANG_PORTAL_API_KEY": API_KEY, "OTEL_SERVICE_NAME": "lang-portal-api",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.origin, "OTEL_TRACES_SAMPLER": "parentbased_always_off",
                "OTEL_BSP_SCHEDULE_DELAY": "200"}
    with running_api(tmp_path_factory, "lang-portal-api-for-ui-apps", settings) as origin:
        yield origin


@pytest.fixture(scope="module")
def alb_key_server() -> Iterator[AlbKeyServer]:
    with AlbKeyServer([AlbKey()]) as server:
        yield server


def stand_in_ui_app(api_origin: str, pool: FakeCognito, keys: AlbKeyServer) -> TestClient:
    """What Writing Practice does with the Lang Portal, in a few lines: every request through the sign-in, and
    the portal called as the user; a failed call is shown with its message."""
    settings = UiAppSettings(alb_arn=ALB_ARN, alb_public_key_url=keys.origin, cognito_issuer=pool.issuer,
                             cognito_client_ids=f"{WRITING_ALB_CLIENT},{UNLISTED_ALB_CLIENT}",
                             lang_portal_api_url=api_origin, log_level="WARNING")
    portal = lang_portal_client(settings)
    app = create_web_app(settings, title="UI app stand-in", version="1",
                         middleware=[Middleware(SignInMiddleware, sign_in=SignIn.from_settings(settings))])

    @app.exception_handler(ServiceCallFailed)
    async def failed(_, error: ServiceCallFailed) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=502)

    @app.post("/practice/{group_id}")
    def practice(group_id: int, user: SignedInUser = Depends(signed_in_user)) -> dict:
        as_user = portal.as_user(user)
        session = as_user.post("/api/study_activities", json={"group_id": group_id, "study_activity_id": 1})
        word = as_user.get(f"/api/groups/{group_id}/words/raw")["items"][0]
        as_user.post(f"/api/study_sessions/{session['id']}/words/{word['id']}/review", json={"correct": True})
        return {"session_id": session["id"], "word_id": word["id"]}

    @app.get("/sessions")
    def sessions(user: SignedInUser = Depends(signed_in_user)) -> dict:
        return portal.as_user(user).get("/api/study_sessions")

    return TestClient(app)


@pytest.fixture(scope="module")
def ui_app(api_origin, pool, alb_key_server) -> TestClient:
    return stand_in_ui_app(api_origin, pool, alb_key_server)


def signed_in(pool: FakeCognito, keys: AlbKeyServer, username: str, client_id: str = WRITING_ALB_CLIENT) -> dict:
    """The headers the load balancer adds for `username`, signed in through `client_id`."""
    [key] = keys.keys.values()
    signer = AlbSigner(key, client_id=client_id, issuer=pool.issuer)
    return signer.forwarded_headers(pool.sub_of(username), pool.access_token(username, client_id=client_id),
                                    email=f"{username}@example.com")


def directly_as(api_origin: str, pool: FakeCognito, username: str) -> ServiceClient:
    """The API called with the user's own token of the portal's client, as the SPA calls it."""
    user = SignedInUser(Principal.user(pool.sub_of(username)), None, pool.access_token(username), is_staff=False)
    return ServiceClient(LANG_PORTAL, api_origin).as_user(user)


def test_a_review_made_through_the_ui_app_lands_in_that_users_session(ui_app, api_origin, pool, alb_key_server):
    practiced = ui_app.post("/practice/1", headers=signed_in(pool, alb_key_server, "alice"))
    assert practiced.status_code == 200, practiced.text
    session_id = practiced.json()["session_id"]

    alice, bob = directly_as(api_origin, pool, "alice"), directly_as(api_origin, pool, "bob")
    session = alice.get(f"/api/study_sessions/{session_id}")
    assert (session["review_items_count"], session["correct_count"]) == (1, 1)
    with pytest.raises(ServiceRefused) as hidden:
        bob.get(f"/api/study_sessions/{session_id}")
    assert hidden.value.status == 404
    assert bob.get("/api/study_sessions")["pagination"]["total_items"] == 0
    through_the_app = ui_app.get("/sessions", headers=signed_in(pool, alb_key_server, "bob"))
    assert through_the_app.json()["pagination"]["total_items"] == 0
    assert ui_app.get("/sessions", headers=signed_in(pool, alb_key_server, "alice")).json()["items"][0]["id"] == \
        session_id


def test_a_client_the_portal_does_not_accept_is_refused_by_name(ui_app, pool, alb_key_server):
    """The app accepts its load balancer's client; the API, not told about it, refuses its tokens, and the app
    says which service refused and why."""
    refused = ui_app.post("/practice/1", headers=signed_in(pool, alb_key_server, "carol", UNLISTED_ALB_CLIENT))
    assert refused.status_code == 502
    assert refused.json() == {"detail": "the Lang Portal API answered 401 (token was issued for another client)"}


def test_the_service_key_imports_shared_vocabulary_and_nothing_else(api_origin, pool):
    service = ServiceClient(LANG_PORTAL, api_origin).with_api_key(API_KEY)
    assert service.post("/api/groups/import", json=WEATHER)["created"] is True
    with pytest.raises(ServiceRefused) as refused:
        service.post("/api/study_activities", json={"group_id": 1, "study_activity_id": 1})
    assert refused.value.status == 403
    names = {group["name"] for group in directly_as(api_origin, pool, "dave").get("/api/groups")["items"]}
    assert "Weather" in names  # shared: every learner sees it


def test_a_ui_app_request_and_the_portal_requests_it_makes_are_one_trace(api_origin, pool, alb_key_server,
                                                                         collector, recorded):
    ui_app = stand_in_ui_app(api_origin, pool, alb_key_server)  # made with telemetry on: it has the server span
    assert ui_app.post("/practice/1", headers=signed_in(pool, alb_key_server, "erin")).status_code == 200
    spans = recorded.spans()
    [request] = [s for s in spans if s.kind is trace.SpanKind.SERVER]
    assert request.name == "POST /practice/{group_id}"
    trace_id = request.context.trace_id
    calls = [s for s in spans if s.kind is trace.SpanKind.CLIENT and str(s.attributes.get("http.url", "")
                                                                         ).startswith(api_origin)]
    assert len(calls) == 3  # the session, the words, the review
    assert {(s.context.trace_id, s.parent.span_id) for s in calls} == {(trace_id, request.context.span_id)}

    def portal_requests() -> list[tuple[dict, Span]]:
        return [(resource, s) for resource, s in collector.spans()
                if s.kind == Span.SPAN_KIND_SERVER and s.trace_id == trace_id.to_bytes(16, "big")]

    deadline = time.monotonic() + 20
    while len(portal_requests()) < len(calls) and time.monotonic() < deadline:
        time.sleep(0.1)
    served = portal_requests()
    assert sorted(s.name for _, s in served) == ["GET /api/groups/{group_id}/words/raw", "POST /api/study_activities",
                                                 "POST /api/study_sessions/{session_id}/words/{word_id}/review"]
    # Each below the UI app's span of its call, in the API's own service.
    assert {s.parent_span_id for _, s in served} == {c.context.span_id.to_bytes(8, "big") for c in calls}
    assert {resource["service.name"] for resource, _ in served} == {"lang-portal-api"}
    # Only what the UI app sampled: the API's own (root) requests of the other tests are not there.
    assert {s.trace_id for _, s in collector.spans()} == {trace_id.to_bytes(16, "big")}
