"""The API with Cognito configured: real RS256 tokens against a JWKS served on 127.0.0.1."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from modules.tests.support import CLIENT_ID, ISSUER, JwksServer, SigningKey
from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.tests.conftest import API_KEY, settings_for


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey("pool-key")


@pytest.fixture
def cognito_client(db_url, key):
    with JwksServer([key]) as jwks:
        app = create_app(settings_for(db_url, cognito_issuer=ISSUER, cognito_jwks_url=jwks.url,
                                      cognito_client_ids=CLIENT_ID))
        with TestClient(app) as client:
            yield client
        app.state.engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_each_token_sub_is_its_own_user(cognito_client, key):
    alice, bob = bearer(key.token(sub="alice-sub")), bearer(key.token(sub="bob-sub", token_use="id"))
    started = cognito_client.post("/api/study_activities", json={"group_id": 1, "study_activity_id": 1},
                                  headers=alice)
    assert started.status_code == 201
    assert cognito_client.get("/api/study_sessions", headers=alice).json()["pagination"]["total_items"] == 1
    assert cognito_client.get("/api/study_sessions", headers=bob).json()["pagination"]["total_items"] == 0


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer not.a.jwt"},
    {"X-Api-Key": "wrong-key"},
])
def test_unauthenticated_calls_are_401_json(cognito_client, headers):
    response = cognito_client.get("/api/words", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_an_expired_or_foreign_token_is_401(cognito_client, key):
    for token in (key.token(expires_in=-600), key.token(audience="someone-else"), SigningKey("pool-key").token()):
        assert cognito_client.get("/api/groups", headers=bearer(token)).status_code == 401


def test_health_needs_no_auth(cognito_client):
    assert cognito_client.get("/health").status_code == 200
    assert cognito_client.get("/api/health").status_code == 200


SERVICE = {"X-Api-Key": API_KEY}
SHARED_GROUP = {"group_name": "Weather", "words": [{"japanese": "雨", "romaji": "ame", "english": "rain"}]}


REFUSED_TO_THE_SERVICE = [("GET", "/api/groups"), ("GET", "/api/groups/1/words/raw"), ("GET", "/api/study_sessions"),
                          ("POST", "/api/study_activities"), ("POST", "/api/study_sessions/1/words/1/review"),
                          ("POST", "/api/reset_history"), ("GET", "/api/capabilities")]


def test_the_service_key_does_nothing_but_import_shared_vocabulary(cognito_client):
    """apps.md: the key is only for the Vocab Generator's shared-vocabulary imports; the UI apps read and
    record as the signed-in user (their forwarded access token)."""
    for method, path in REFUSED_TO_THE_SERVICE:
        body = {"group_id": 1, "study_activity_id": 1} if path == "/api/study_activities" else {"correct": True}
        refused = cognito_client.request(method, path, headers=SERVICE, json=body if method == "POST" else None)
        assert refused.status_code == 403, path
        assert refused.json() == {"detail": "this endpoint is for users: call it with the signed-in user's access "
                                            "token, not the service API key"}


def test_a_service_import_is_shared_and_a_user_named_service_is_only_a_user(cognito_client, key):
    """The key's principal is `service:api-key`: a user whose subject is `service` is only that user (their
    import is their own), and no token may claim the service's key."""
    assert cognito_client.post("/api/groups/import", json=SHARED_GROUP, headers=SERVICE).status_code == 201
    named_service, other = bearer(key.token(sub="service")), bearer(key.token(sub="someone"))
    private = {**SHARED_GROUP, "group_name": "Mine"}
    assert cognito_client.post("/api/groups/import", json=private, headers=named_service).status_code == 201

    def names(headers: dict[str, str]) -> set[str]:
        return {group["name"] for group in cognito_client.get("/api/groups", headers=headers).json()["items"]}

    assert {"Weather", "Mine"} <= names(named_service)
    assert "Weather" in names(other) and "Mine" not in names(other)
    claiming = cognito_client.get("/api/study_sessions", headers=bearer(key.token(sub="service:api-key")))
    assert claiming.status_code == 401


def test_tokens_of_every_configured_client_are_accepted_and_no_other(db_url, key):
    """COGNITO_CLIENT_IDS holds the portal's client and those of the apps that call it (the load balancer's
    clients of the UI apps, whose access tokens those apps forward)."""
    with JwksServer([key]) as jwks:
        app = create_app(settings_for(db_url, cognito_issuer=ISSUER, cognito_jwks_url=jwks.url,
                                      cognito_client_ids=f"{CLIENT_ID},writing-practice-alb"))
        with TestClient(app) as client:
            for client_id, status in ((CLIENT_ID, 200), ("writing-practice-alb", 200), ("vocab-generator-alb", 401)):
                response = client.get("/api/groups", headers=bearer(key.token(audience=client_id)))
                assert response.status_code == status, client_id
        app.state.engine.dispose()


@pytest.mark.parametrize("claims", [{"client_id": [CLIENT_ID]}, {"token_use": ["access"]}, {"scope": ["openid"]},
                                    {"cognito:groups": "staff"}, {"sub": 42}, {"exp": [1]}], ids=str)
def test_claims_of_an_unexpected_type_are_401(cognito_client, key, claims):
    response = cognito_client.get("/api/words", headers=bearer(key.token(**claims)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
