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


def test_a_service_with_the_api_key_reads_groups_and_words(cognito_client):
    groups = cognito_client.get("/api/groups", headers={"X-Api-Key": API_KEY})
    assert groups.status_code == 200
    raw = cognito_client.get("/api/groups/1/words/raw", headers={"X-Api-Key": API_KEY})
    assert len(raw.json()["items"]) == 10


def test_a_user_named_service_shares_nothing_with_the_service(cognito_client, key):
    """The API key caller's rows and cached answers are keyed `service:api-key`; a user whose subject is
    `service` is only that user, and no token may claim the service's key."""
    service, user = {"X-Api-Key": API_KEY}, bearer(key.token(sub="service"))
    started = cognito_client.post("/api/study_activities", json={"group_id": 1, "study_activity_id": 1},
                                  headers=service)
    assert started.status_code == 201
    assert cognito_client.get("/api/study_sessions", headers=service).json()["pagination"]["total_items"] == 1
    assert cognito_client.get("/api/study_sessions", headers=user).json()["pagination"]["total_items"] == 0
    assert cognito_client.get(f"/api/study_sessions/{started.json()['id']}", headers=user).status_code == 404
    assert cognito_client.post("/api/reset_history", headers=user).status_code == 200
    assert cognito_client.get("/api/study_sessions", headers=service).json()["pagination"]["total_items"] == 1
    claiming = cognito_client.get("/api/study_sessions", headers=bearer(key.token(sub="service:api-key")))
    assert claiming.status_code == 401


@pytest.mark.parametrize("claims", [{"client_id": [CLIENT_ID]}, {"token_use": ["access"]}, {"scope": ["openid"]},
                                    {"cognito:groups": "staff"}, {"sub": 42}, {"exp": [1]}], ids=str)
def test_claims_of_an_unexpected_type_are_401(cognito_client, key, claims):
    response = cognito_client.get("/api/words", headers=bearer(key.token(**claims)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
