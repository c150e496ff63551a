"""Cognito JWT verification against a real JWKS served on 127.0.0.1, and the service API key."""
from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from modules.auth import Authenticator, JwksCache, KeysUnavailable, Principal, PrincipalKind, current_principal
from modules.settings import AppSettings, SettingsError
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

    @app.get("/groups")
    def groups(principal: Principal = Depends(current_principal)) -> list[str]:
        return sorted(principal.groups)

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
    assert get_me(client, **{"X-Api-Key": API_KEY}).json() == {"sub": "service:api-key", "service": True}
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


def test_a_failed_refresh_keeps_the_cached_keys_and_calls_no_new_kid_unknown(key):
    """While the endpoint is down a new kid may be a rotation it cannot show: 503 (try again), not 401."""
    with JwksServer([key]) as server:
        cache = JwksCache(server.url, ttl_seconds=60, min_refetch_seconds=0, timeout_seconds=2)
        cache.key("key-1")
    with pytest.raises(KeysUnavailable):
        cache.key("key-2")  # the refetch finds the server gone
    assert cache.key("key-1") is not None


def test_unreachable_jwks_is_503_not_500(key):
    with JwksServer([key]) as server:
        url = server.url
    response = get_me(make_client(url), key.token())  # server is gone
    assert response.status_code == 503
    assert "signing keys" in response.json()["detail"]


def test_local_mode_acts_as_the_local_user(caplog):
    authenticator = Authenticator.from_settings(AppSettings(local_mode=True), api_key=None)
    assert authenticator.authenticate(None, None) == Principal.user("local-user")
    assert any(r.levelname == "WARNING" and "LOCAL MODE" in r.getMessage() for r in caplog.records)


def test_no_authentication_unless_asked_for():
    with pytest.raises(SettingsError) as refused:
        Authenticator.from_settings(AppSettings(), api_key=None)
    assert "set COGNITO_ISSUER (and COGNITO_CLIENT_IDS)" in str(refused.value)
    assert "or LOCAL_MODE=true to run without authentication" in str(refused.value)


def test_a_verified_token_is_known_without_io_until_it_expires(jwks, key):
    authenticator = make_client(jwks.url).app.state.authenticator
    token = key.token(sub="remembered", expires_in=2)
    assert authenticator.known_principal(token, None) is None  # never verified: the full check must run
    assert authenticator.authenticate(token, None) == Principal.user("remembered")
    assert authenticator.known_principal(token, None) == Principal.user("remembered")
    assert authenticator.known_principal(key.token(sub="remembered") + "x", None) is None  # another string
    assert authenticator.known_principal(None, "wrong-key") is None
    assert authenticator.known_principal(None, API_KEY).is_service
    authenticator.verifier._clock = lambda: time.time() + 3  # past exp
    assert authenticator.known_principal(token, None) is None


# Claims of every JSON type the pool could sign: the verifier must answer 401, never fail.
ODD_VALUES = [[7], {"a": 1}, 7, 1.5, True, None]


@pytest.mark.parametrize("claim", ["client_id", "token_use", "scope", "cognito:groups", "sub"])
@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_access_token_claims_of_an_unexpected_type_are_401(client, key, claim, value):
    response = get_me(client, key.token(**{claim: value}))
    assert response.status_code == 401, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize("audience", ["other-client", [], ["other-client"], [CLIENT_ID, 7], {"a": CLIENT_ID}, 7,
                                      None], ids=repr)
def test_id_token_aud_that_is_not_a_list_with_a_configured_client_is_401(client, key, audience):
    assert get_me(client, key.token(token_use="id", aud=audience)).status_code == 401


def test_id_token_aud_may_be_a_list_containing_a_configured_client(client, key):
    response = get_me(client, key.token(token_use="id", aud=["another-app", CLIENT_ID], sub="listed"))
    assert response.json() == {"sub": "listed", "service": False}


def test_groups_and_scope_of_the_right_types_are_accepted(client, key):
    token = key.token(scope="openid email", **{"cognito:groups": ["staff", "learners"]})
    assert client.get("/groups", headers={"Authorization": f"Bearer {token}"}).json() == ["learners", "staff"]


@pytest.mark.parametrize("exp", [10 ** 400, 2 ** 63, "9999999999"], ids=["beyond a float", "beyond int64", "string"])
def test_an_unusual_but_valid_expiry_is_accepted_without_a_500(client, key, exp):
    response = get_me(client, key.token(exp=exp))
    assert response.status_code == 200, response.text
    assert get_me(client, key.token(exp=exp)).status_code == 200  # and remembered


@pytest.mark.parametrize("exp", [[1], {"a": 1}, "soon", None, float("nan")], ids=repr)
def test_an_expiry_that_is_not_a_number_is_401(client, key, exp):
    assert get_me(client, key.token(exp=exp)).status_code == 401


def test_no_token_can_act_as_the_service(client, key):
    """The API key's principal is `service:api-key`; a user whose subject is `service` is just a user, and a
    token claiming the service's key itself is refused."""
    service = get_me(client, **{"X-Api-Key": API_KEY}).json()
    named_service = get_me(client, key.token(sub="service")).json()
    assert named_service == {"sub": "service", "service": False} and named_service["sub"] != service["sub"]
    for sub in (service["sub"], "service:anything"):
        refused = get_me(client, key.token(sub=sub))
        assert refused.status_code == 401
        assert "reserved for services" in refused.json()["detail"]


def test_principal_kinds_keep_their_namespaces():
    assert Principal.service("api-key").kind is PrincipalKind.SERVICE
    with pytest.raises(ValueError):
        Principal.user("service:api-key")
    with pytest.raises(ValueError):
        Principal(PrincipalKind.SERVICE, "api-key")


def test_a_subject_too_long_or_with_control_characters_is_401(client, key):
    for sub in ("x" * 129, "line\nbreak", "nul\x00"):
        assert get_me(client, key.token(sub=sub)).status_code == 401


async def _get_all(app: FastAPI, tokens: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api") as asgi:
        return await asyncio.gather(*(asgi.get("/me", headers={"Authorization": f"Bearer {token}"})
                                      for token in tokens))


def test_first_time_checks_share_one_jwks_fetch(key):
    with JwksServer([key]) as server:
        app = make_client(server.url).app
        server.hold()

        async def run() -> list[httpx.Response]:
            requests = asyncio.ensure_future(_get_all(app, [key.token(sub=f"user-{n}") for n in range(8)]))
            await asyncio.to_thread(server.fetch_arrived.wait, 5)
            await asyncio.sleep(0.2)  # the other seven reach the cache meanwhile
            server.release()
            return await requests

        responses = asyncio.run(run())
    assert [response.status_code for response in responses] == [200] * 8
    assert server.fetches == 1


def test_a_slow_key_refetch_holds_up_no_caller_whose_key_is_cached(key):
    with JwksServer([key]) as server:
        app = make_client(server.url, jwks_min_refetch_seconds=0).app
        assert asyncio.run(_get_all(app, [key.token()]))[0].status_code == 200  # keys cached
        server.hold()

        async def run() -> tuple[httpx.Response, httpx.Response]:
            refetching = asyncio.ensure_future(_get_all(app, [SigningKey("key-new").token()]))
            await asyncio.to_thread(server.fetch_arrived.wait, 5)
            # The refetch is in flight (the server holds it); a token signed with the cached key is checked now.
            [cached] = await asyncio.wait_for(_get_all(app, [key.token(sub="other")]), timeout=5)
            server.release()
            return cached, (await refetching)[0]

        cached, refetched = asyncio.run(run())
    assert cached.status_code == 200 and refetched.status_code == 401  # key-new is still unknown
    assert server.fetches == 2


def test_callers_wait_for_a_hung_fetch_no_longer_than_its_timeout(key):
    with JwksServer([key]) as server:
        app = make_client(server.url, jwks_fetch_timeout_seconds=0.5).app
        server.hold()  # released only when the server stops
        started = time.monotonic()
        responses = asyncio.run(_get_all(app, [key.token(sub=f"user-{n}") for n in range(3)]))
        waited = time.monotonic() - started
    assert [response.status_code for response in responses] == [503] * 3
    assert server.fetches == 1 and waited < 5  # one fetch's timeout (plus slack), not one per caller


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                        max_size=3), max_leaves=6)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60)


def test_no_token_content_makes_the_check_fail_with_anything_but_401(client, key):
    """Signed tokens whose claims are replaced by any JSON value or left out, and arbitrary Authorization
    headers: always 200 or 401."""
    valid = {"sub": "user-1", "token_use": "access", "client_id": CLIENT_ID, "aud": CLIENT_ID, "scope": "openid",
             "cognito:groups": ["staff"], "exp": int(time.time()) + 600, "iss": ISSUER, "nbf": 0, "iat": 0}
    names = st.sampled_from(sorted(valid))
    seen: set[int] = set()

    @given(replaced=st.dictionaries(names, json_values, max_size=3), dropped=st.sets(names, max_size=2),
           raw=header_text)
    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def check(replaced: dict, dropped: set, raw: str) -> None:
        claims = {name: value for name, value in {**valid, **replaced}.items() if name not in dropped}
        # Signed as JWS over our own JSON: PyJWT's jwt.encode would refuse some of these claims.
        token = jwt.api_jws.encode(json.dumps(claims).encode(), key.private, algorithm="RS256",
                                   headers={"kid": key.kid})
        for authorization in (f"Bearer {token}", raw, f"Bearer {raw}"):
            response = client.get("/me", headers={"Authorization": authorization.encode("latin-1")})
            assert response.status_code in (200, 401), (claims, authorization, response.text)
            seen.add(response.status_code)

    check()
    assert seen == {200, 401}
