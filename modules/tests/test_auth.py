"""Cognito JWT verification against a real JWKS served on 127.0.0.1, and the service API key."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from modules.auth import Authenticator, JwksCache, Principal, current_principal
from modules.settings import AppSettings
from modules.tests.support import CLIENT_ID, ISSUER, JwksServer, SigningKey

API_KEY = "service-key-0123456789abcdef"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey("key-1")


@pytest.fixture
def jwks(key):
    with JwksServer([key]) as server:
        yield server


def make_client(jwks_url: str, **settings: object) -> TestClient:
    app_settings = AppSettings(cognito_issuer=ISSUER, cognito_jwks_url=jwks_url, cognito_client_ids=CLIENT_ID,
                               **settings)
    app = FastAPI()
    app.state.authenticator = Authenticator.from_settings(app_settings, API_KEY)

    @app.get("/me")
    def me(principal: Principal = Depends(current_principal)) -> dict:
        return {"sub": principal.sub, "service": principal.is_service}

    return TestClient(app)


@pytest.fixture
def client(jwks) -> TestClient:
    return make_client(jwks.url)


def get_me(client: TestClient, token: str | None = None, **headers: str):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.get("/me", headers=headers)


def test_access_token_gives_the_sub(client, key):
    response = get_me(client, key.token(sub="abc-123"))
    assert response.status_code == 200
    assert response.json() == {"sub": "abc-123", "service": False}


def test_id_token_is_checked_against_aud(client, key):
    assert get_me(client, key.token(token_use="id")).status_code == 200
    assert get_me(client, key.token(token_use="id", audience="other-client")).status_code == 401


def unverified_token(header: dict, claims: dict, signature: bytes = b"") -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    return ".".join([part(json.dumps(header).encode()), part(json.dumps(claims).encode()), part(signature)])


@pytest.fixture(scope="module")
def rejected_tokens(key: SigningKey) -> dict[str, str]:
    good = key.token()
    claims = jwt.decode(good, options={"verify_signature": False})
    forger = SigningKey(key.kid)  # same kid, different private key
    return {
        "forged signature": forger.token(),
        "tampered claims": unverified_token({"alg": "RS256", "kid": key.kid}, {**claims, "sub": "admin"},
                                            base64.urlsafe_b64decode(good.split(".")[2] + "==")),
        "wrong issuer": key.token(issuer="https://cognito-idp.us-east-1.amazonaws.com/other"),
        "wrong client_id": key.token(audience="another-client"),
        "expired": key.token(expires_in=-120),
        "alg none": unverified_token({"alg": "none", "kid": key.kid}, claims),
        "HS256 with public key": jwt.encode(claims, "shared-secret-that-is-long-enough-for-hs256",
                                            algorithm="HS256", headers={"kid": key.kid}),
        "unknown kid": SigningKey("key-unknown").token(),
        "bad token_use": key.token(token_use="refresh"),
        "not a jwt": "not-a-token",
    }


REJECTED = ["forged signature", "tampered claims", "wrong issuer", "wrong client_id", "expired", "alg none",
            "HS256 with public key", "unknown kid", "bad token_use", "not a jwt"]


@pytest.mark.parametrize("case", REJECTED)
def test_bad_tokens_are_401_json(client, rejected_tokens, case):
    response = get_me(client, rejected_tokens[case])
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"]


def test_leeway_accepts_a_token_just_expired(client, key):
    assert get_me(client, key.token(expires_in=-5)).status_code == 200


def test_missing_or_non_bearer_header_is_401(client):
    assert get_me(client).json() == {"detail": "missing bearer token in the Authorization header"}
    assert get_me(client).status_code == 401
    assert get_me(client, Authorization="Basic dXNlcjpwYXNz").status_code == 401


def test_api_key(client):
    assert get_me(client, **{"X-Api-Key": API_KEY}).json() == {"sub": "service", "service": True}
    wrong = get_me(client, **{"X-Api-Key": API_KEY[:-1] + "x"})
    assert wrong.status_code == 401
    assert wrong.json() == {"detail": "API key is not valid"}


def test_key_rotation_refetches_the_jwks(key):
    new_key = SigningKey("key-2")
    with JwksServer([key]) as server:
        client = make_client(server.url, jwks_min_refetch_seconds=0)
        assert get_me(client, key.token()).status_code == 200
        assert get_me(client, key.token()).status_code == 200
        assert server.fetches == 1  # cached
        server.keys = [new_key]
        assert get_me(client, new_key.token()).status_code == 200
        assert server.fetches == 2


def test_unknown_kids_refetch_at_most_once_per_interval(key):
    with JwksServer([key]) as server:
        client = make_client(server.url, jwks_min_refetch_seconds=300)
        for n in range(5):
            assert get_me(client, SigningKey(f"random-{n}").token()).status_code == 401
        assert server.fetches == 1


def test_cached_keys_expire_after_their_lifetime(key):
    now = [1000.0]
    with JwksServer([key]) as server:
        cache = JwksCache(server.url, ttl_seconds=60, min_refetch_seconds=0, timeout_seconds=2, clock=lambda: now[0])
        cache.key("key-1")
        now[0] += 59
        cache.key("key-1")
        assert server.fetches == 1
        now[0] += 2
        cache.key("key-1")
        assert server.fetches == 2


def test_unreachable_jwks_is_503_not_500(key):
    with JwksServer([key]) as server:
        url = server.url
    response = get_me(make_client(url), key.token())  # server is gone
    assert response.status_code == 503
    assert "signing keys" in response.json()["detail"]


def test_local_mode_acts_as_the_local_user(caplog):
    authenticator = Authenticator.from_settings(AppSettings(), api_key=None)
    assert authenticator.authenticate(None, None) == Principal(sub="local-user")
    assert any(r.levelname == "WARNING" and "LOCAL MODE" in r.getMessage() for r in caplog.records)


def test_a_verified_token_is_known_without_io_until_it_expires(jwks, key):
    authenticator = make_client(jwks.url).app.state.authenticator
    token = key.token(sub="remembered", expires_in=2)
    assert authenticator.known_principal(token, None) is None  # never verified: the full check must run
    assert authenticator.authenticate(token, None) == Principal(sub="remembered")
    assert authenticator.known_principal(token, None) == Principal(sub="remembered")
    assert authenticator.known_principal(key.token(sub="remembered") + "x", None) is None  # another string
    assert authenticator.known_principal(None, "wrong-key") is None
    assert authenticator.known_principal(None, API_KEY).is_service
    authenticator.verifier._clock = lambda: time.time() + 3  # past exp
    assert authenticator.known_principal(token, None) is None
