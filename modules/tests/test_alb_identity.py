"""The load balancer's identity, verified: x-amzn-oidc-data signed with ES256 keys made here and served as PEMs on
127.0.0.1, the forwarded access token signed by a JWKS served beside them, through a real app (create_web_app
with SignInMiddleware) and through the plain function."""
from __future__ import annotations

import base64
import json
import logging

import jwt
import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from starlette.middleware import Middleware
from starlette.websockets import WebSocket, WebSocketDisconnect

from modules.alb_identity import (NotSignedIn, NotStaff, SignedInUser, SignIn, SignInMiddleware, SignInUnavailable,
                                  signed_in_user, staff_user)
from modules.app_metrics import AUTH_FAILURES, REASON
from modules.auth import MAX_KEY_SOURCES
from modules.settings import UiAppSettings, load_settings
from modules.tests.alb import ALB_ARN, ALB_CLIENT_ID, AlbKey, AlbKeyServer, AlbSigner
from modules.tests.conftest import settings_error
from modules.tests.support import ISSUER, JwksServer, SigningKey
from modules.tests.telemetry import recorded  # noqa: F401
from modules.webapp import create_web_app

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # a browser's navigation


@pytest.fixture(scope="module")
def alb_key() -> AlbKey:
    return AlbKey()


@pytest.fixture(scope="module")
def pool_key() -> SigningKey:
    return SigningKey("pool-key")


@pytest.fixture(scope="module")
def signer(alb_key) -> AlbSigner:
    return AlbSigner(alb_key)


@pytest.fixture
def key_server(alb_key):
    with AlbKeyServer([alb_key]) as server:
        yield server


@pytest.fixture
def jwks(pool_key):
    with JwksServer([pool_key]) as server:
        yield server


def ui_settings(key_server: AlbKeyServer, jwks: JwksServer, **overrides: object) -> UiAppSettings:
    return UiAppSettings(alb_arn=ALB_ARN, alb_public_key_url=key_server.origin, cognito_issuer=ISSUER,
                         cognito_jwks_url=jwks.url, cognito_client_ids=ALB_CLIENT_ID,
                         lang_portal_api_url="http://lang-portal-api.app-dw.internal:8000", log_level="WARNING",
                         **overrides)


def ui_app(settings: UiAppSettings, *, staff_only: bool = False) -> TestClient:
    """A UI app as the platform's are built: create_web_app, every request through SignInMiddleware."""
    sign_in = SignIn.from_settings(settings)
    app = create_web_app(settings, title="UI", version="1",
                         middleware=[Middleware(SignInMiddleware, sign_in=sign_in, staff_only=staff_only)])

    @app.get("/me")
    async def me(user: SignedInUser = Depends(signed_in_user)) -> dict:
        return {"sub": user.sub, "email": user.email, "groups": sorted(user.principal.groups),
                "is_staff": user.is_staff, "access_token": user.access_token}

    @app.get("/healthz")
    async def health() -> dict:
        return {"status": "ok"}

    @app.websocket("/ws")
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    return TestClient(app)


@pytest.fixture
def client(key_server, jwks) -> TestClient:
    return ui_app(ui_settings(key_server, jwks))


def forwarded(signer: AlbSigner, pool_key: SigningKey, sub: str = "user-1", groups: list[str] | None = None,
              **claims: object) -> dict[str, str]:
    access_token = pool_key.token(sub=sub, audience=ALB_CLIENT_ID, **({"cognito:groups": groups} if groups else {}))
    return {**signer.forwarded_headers(sub, access_token), **claims}


def test_a_signed_in_user_reaches_the_app_with_the_access_token_to_forward(client, signer, pool_key, key_server):
    headers = forwarded(signer, pool_key, "user-1", ["learners"])
    response = client.get("/me", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"sub": "user-1", "email": "user-1@example.com", "groups": ["learners"],
                               "is_staff": False, "access_token": headers["x-amzn-oidc-accesstoken"]}
    assert client.get("/me", headers=forwarded(signer, pool_key, "user-2")).json()["sub"] == "user-2"
    assert key_server.fetches == {f"/{signer.key.kid}": 1}  # the key is cached


def test_the_albs_padded_encoding_and_the_unpadded_one_both_verify(client, signer, pool_key):
    headers = forwarded(signer, pool_key)
    padded = headers["x-amzn-oidc-data"]
    assert any(part.endswith("=") for part in padded.split("."))  # what the ALB sends, which RFC 7515 forbids
    unpadded = signer.user_claims("user-1", padded=False)
    assert "=" not in unpadded
    for data in (padded, unpadded):
        assert client.get("/me", headers={**headers, "x-amzn-oidc-data": data}).status_code == 200


def tampered(token: str, **changes: object) -> str:
    """The token with claims changed in its payload and its signature kept."""
    header, payload, signature = token.split(".")
    claims = {**json.loads(base64.urlsafe_b64decode(payload)), **changes}
    return ".".join([header, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode(), signature])


def other_alg(signer: AlbSigner, pool_key: SigningKey, alg: str) -> str:
    header = {"kid": signer.key.kid, "signer": ALB_ARN, "client": ALB_CLIENT_ID}
    claims = {"sub": "user-1", "exp": 4_000_000_000}
    if alg == "none":
        return jwt.encode(claims, None, algorithm="none", headers=header)
    if alg == "HS256":  # what a key-confusion forgery would send
        return jwt.encode(claims, "shared-secret-that-is-long-enough-for-hs256", algorithm="HS256", headers=header)
    return jwt.encode(claims, pool_key.private, algorithm=alg, headers=header)


def with_data(signer: AlbSigner, pool_key: SigningKey, data: str) -> dict[str, str]:
    """A valid user's headers with another x-amzn-oidc-data."""
    return forwarded(signer, pool_key, **{"x-amzn-oidc-data": data})


OTHER_ALB = ALB_ARN.replace("0123456789abcdef", "fedcba9876543210")
# How each refused request is made (from the signer and the pool's key), what its refusal says, and the reason it
# is counted under in the authentication failures.
REFUSALS = {
    "no x-amzn-oidc-data": (lambda s, k: {"x-amzn-oidc-accesstoken": k.token(audience=ALB_CLIENT_ID)},
                            "the request has no x-amzn-oidc-data header", "missing_credentials"),
    "no access token": (lambda s, k: {"x-amzn-oidc-data": s.user_claims("user-1")},
                        "the request has no x-amzn-oidc-accesstoken header", "missing_credentials"),
    "wrong signer": (lambda s, k: with_data(s, k, s.user_claims("user-1", header={"signer": OTHER_ALB})),
                     "signed by another load balancer than ALB_ARN", "wrong_load_balancer"),
    "no signer": (lambda s, k: with_data(s, k, s.user_claims("user-1", header={"signer": None})),
                  "signed by another load balancer than ALB_ARN", "wrong_load_balancer"),
    "another client": (lambda s, k: with_data(s, k, s.user_claims("user-1", header={"client": "vocab-alb-client"})),
                       "issued for an app client not in COGNITO_CLIENT_IDS", "wrong_client"),
    "expired": (lambda s, k: with_data(s, k, s.user_claims("user-1", expires_in=-120)),
                "x-amzn-oidc-data has expired", "expired"),
    "header exp expired": (lambda s, k: with_data(s, k, s.user_claims("user-1", header={"exp": 1_000_000_000},
                                                                      claims={"exp": None})),
                           "x-amzn-oidc-data has expired", "expired"),
    "no exp at all": (lambda s, k: with_data(s, k, s.user_claims("user-1", header={"exp": None}, claims={"exp": None})),
                      "x-amzn-oidc-data has no expiry (exp)", "invalid_claims"),
    "RS256": (lambda s, k: with_data(s, k, other_alg(s, k, "RS256")), "x-amzn-oidc-data must be signed with ES256",
              "wrong_algorithm"),
    "HS256": (lambda s, k: with_data(s, k, other_alg(s, k, "HS256")), "x-amzn-oidc-data must be signed with ES256",
              "wrong_algorithm"),
    "alg none": (lambda s, k: with_data(s, k, other_alg(s, k, "none")), "x-amzn-oidc-data must be signed with ES256",
                 "wrong_algorithm"),
    "unknown kid": (lambda s, k: with_data(s, k, AlbSigner(AlbKey()).user_claims("user-1")),
                    "x-amzn-oidc-data: token is signed with an unknown key", "unknown_key"),
    "kid not a UUID": (lambda s, k: with_data(s, k, AlbSigner(AlbKey("../jwks")).user_claims("user-1")),
                       "token key id (kid) is not a UUID", "malformed_token"),
    "tampered payload": (lambda s, k: with_data(s, k, tampered(s.user_claims("admin"), sub="user-1")),
                         "x-amzn-oidc-data signature is invalid", "bad_signature"),
    "forged with the same kid": (lambda s, k: with_data(s, k, AlbSigner(AlbKey(s.key.kid)).user_claims("user-1")),
                                 "x-amzn-oidc-data signature is invalid", "bad_signature"),
    "not a JWT": (lambda s, k: with_data(s, k, "not-a-token"), "x-amzn-oidc-data is not a well-formed JWT",
                  "malformed_token"),
    "access token of another user": (
        lambda s, k: {**forwarded(s, k, "user-1"), "x-amzn-oidc-accesstoken": k.token(sub="user-2",
                                                                                      audience=ALB_CLIENT_ID)},
        "x-amzn-oidc-accesstoken belongs to another user than x-amzn-oidc-data", "mismatched_user"),
    "access token of another client": (lambda s, k: {**forwarded(s, k), "x-amzn-oidc-accesstoken": k.token()},
                                       "x-amzn-oidc-accesstoken: token was issued for another client", "wrong_client"),
    "access token forged": (  # the pool's kid, another private key
        lambda s, k: {**forwarded(s, k), "x-amzn-oidc-accesstoken": SigningKey(k.kid).token(audience=ALB_CLIENT_ID)},
        "x-amzn-oidc-accesstoken: token signature is invalid", "bad_signature"),
    "service subject": (lambda s, k: forwarded(s, k, "service:api-key"),
                        "must not start with 'service:' (reserved for services)", "invalid_claims"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_each_refusal_is_a_401_page_saying_why_and_counted_by_reason(client, signer, pool_key, case, recorded):
    make_headers, reason, counted_as = REFUSALS[case]
    failures_before = recorded.points(AUTH_FAILURES.name)
    headers = make_headers(signer, pool_key)
    page = client.get("/me", headers={**headers, **HTML})
    assert page.status_code == 401, page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert reason in page.text.replace("&#x27;", "'")
    assert "<h1>Sign-in required</h1>" in page.text and "Traceback" not in page.text
    assert page.headers["www-authenticate"].startswith("ALB-Cognito")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    answer = client.get("/me", headers=headers)  # not a browser: the same refusal as JSON
    assert answer.status_code == 401 and reason in answer.json()["detail"]
    assert counted(recorded.points(AUTH_FAILURES.name), failures_before) == {counted_as: 2}


def counted(points: dict[tuple, float], before: dict[tuple, float]) -> dict[str, float]:
    """The authentication failures counted between `before` and `points`, by reason."""
    return {dict(key)[REASON]: value - before.get(key, 0) for key, value in points.items()
            if value != before.get(key, 0)}


def test_a_refused_request_fetches_no_key_unless_its_signer_is_ours(client, signer, pool_key, key_server):
    for case in ("wrong signer", "another client", "RS256", "kid not a UUID"):
        make_headers, _, _ = REFUSALS[case]
        assert client.get("/me", headers=make_headers(signer, pool_key)).status_code == 401
    assert key_server.total_fetches == 0


def test_a_header_sent_twice_is_not_the_albs(client, signer, pool_key):
    headers = list(forwarded(signer, pool_key).items()) + [("X-Amzn-Oidc-Data", signer.user_claims("admin"))]
    response = client.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "the request has more than one x-amzn-oidc-data header"


def test_health_checks_pass_without_an_identity(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/me").status_code == 401


def test_a_websocket_without_an_identity_is_closed_before_it_opens(client, signer, pool_key):
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws"):
        pass
    assert closed.value.code == 1008
    with client.websocket_connect("/ws", headers=forwarded(signer, pool_key)) as socket:
        assert socket.receive_text() == "hello"


def test_unknown_kids_are_fetched_at_most_once_per_interval(key_server, jwks, signer, pool_key):
    client = ui_app(ui_settings(key_server, jwks, jwks_min_refetch_seconds=300))
    stranger = AlbSigner(AlbKey())
    for _ in range(4):
        headers = forwarded(signer, pool_key, **{"x-amzn-oidc-data": stranger.user_claims("user-1")})
        assert client.get("/me", headers=headers).status_code == 401
    assert key_server.fetches == {f"/{stranger.key.kid}": 1}
    assert client.get("/me", headers=forwarded(signer, pool_key)).status_code == 200  # a kid of its own: fetched
    assert key_server.fetches[f"/{signer.key.kid}"] == 1


def test_a_new_key_of_the_alb_is_fetched_when_it_first_signs(key_server, jwks, signer, pool_key):
    client = ui_app(ui_settings(key_server, jwks, jwks_min_refetch_seconds=0))
    assert client.get("/me", headers=forwarded(signer, pool_key)).status_code == 200
    rotated = AlbKey()
    key_server.keys[rotated.kid] = rotated
    headers = forwarded(signer, pool_key, **{"x-amzn-oidc-data": AlbSigner(rotated).user_claims("user-1")})
    assert client.get("/me", headers=headers).status_code == 200
    assert key_server.total_fetches == 2


def test_random_kids_cannot_make_it_fetch_without_bound(key_server, jwks, signer, pool_key):
    client = ui_app(ui_settings(key_server, jwks, jwks_min_refetch_seconds=300))
    for _ in range(MAX_KEY_SOURCES + 10):
        headers = forwarded(signer, pool_key, **{"x-amzn-oidc-data": AlbSigner(AlbKey()).user_claims("user-1")})
        assert client.get("/me", headers=headers).status_code == 401
    assert key_server.total_fetches == MAX_KEY_SOURCES


def test_unreachable_keys_are_a_503_page(jwks, signer, pool_key):
    with AlbKeyServer([]) as gone:
        settings = ui_settings(gone, jwks)
    page = ui_app(settings).get("/me", headers={**forwarded(signer, pool_key), **HTML})  # the key server is gone
    assert page.status_code == 503 and page.headers["retry-after"] == "5"
    assert "<h1>Sign-in unavailable</h1>" in page.text
    assert "signing keys could not be fetched" in page.text


def test_staff_come_from_the_access_tokens_groups(key_server, jwks, signer, pool_key):
    client = ui_app(ui_settings(key_server, jwks), staff_only=True)
    staff = client.get("/me", headers=forwarded(signer, pool_key, "user-1", ["staff"]))
    assert staff.status_code == 200 and staff.json()["is_staff"] is True
    # A groups claim in the userinfo (x-amzn-oidc-data) counts for nothing: only the pool's signed token says.
    claimed = forwarded(signer, pool_key, "user-2", ["learners"], **{
        "x-amzn-oidc-data": signer.user_claims("user-2", claims={"cognito:groups": ["staff"]})})
    page = client.get("/me", headers={**claimed, **HTML})
    assert page.status_code == 403 and "<h1>Staff only</h1>" in page.text
    assert "you are signed in as user-2@example.com, who is not in the staff group" in page.text


def test_the_group_named_staff_is_configurable(key_server, jwks, signer, pool_key):
    client = ui_app(ui_settings(key_server, jwks, staff_group="teachers"), staff_only=True)
    assert client.get("/me", headers=forwarded(signer, pool_key, groups=["teachers"])).status_code == 200
    assert client.get("/me", headers=forwarded(signer, pool_key, groups=["staff"])).status_code == 403


def test_the_plain_function_takes_any_headers_mapping(key_server, jwks, signer, pool_key):
    """Streamlit's `st.context.headers` is a mapping with the names as the browser's request had them."""
    sign_in = SignIn.from_settings(ui_settings(key_server, jwks))
    headers = {name.title(): value for name, value in forwarded(signer, pool_key, "user-1", ["staff"]).items()}
    user = sign_in.identify(headers, staff_only=True)
    assert (user.sub, user.email, user.is_staff) == ("user-1", "user-1@example.com", True)
    with pytest.raises(NotStaff):
        sign_in.identify({**forwarded(signer, pool_key, "user-2")}, staff_only=True)
    with pytest.raises(NotSignedIn, match="the request has no x-amzn-oidc-data header"):
        sign_in.identify({})


def test_the_dependency_alone_verifies_and_refuses_with_the_page(key_server, jwks, signer, pool_key):
    settings = ui_settings(key_server, jwks)
    app = create_web_app(settings, title="UI", version="1")
    app.state.sign_in = SignIn.from_settings(settings)

    @app.get("/staff")
    async def staff_only(user: SignedInUser = Depends(staff_user)) -> dict:
        return {"sub": user.sub}

    client = TestClient(app)
    assert client.get("/staff", headers=forwarded(signer, pool_key, "user-1", ["staff"])).json() == {"sub": "user-1"}
    learner = client.get("/staff", headers={**forwarded(signer, pool_key, "user-2"), **HTML})
    assert learner.status_code == 403 and "Staff only" in learner.text
    assert client.get("/staff").json() == {"detail": "the request has no x-amzn-oidc-data header: it did not come "
                                                     "through the load balancer's sign-in"}


# Header and claim values of every JSON type the ALB could have signed: always a 401, never a 500. (Left out:
# REFUSALS covers the signer and exp; a missing email is no email.)
ODD_VALUES = [[7], {"a": 1}, 7, 1.5, True, float("nan"), float("inf")]


@pytest.mark.parametrize("part,name", [("header", "kid"), ("header", "exp"), ("header", "client"),
                                       ("header", "signer"), ("claims", "sub"), ("claims", "email"),
                                       ("claims", "exp")])
@pytest.mark.parametrize("value", ODD_VALUES, ids=repr)
def test_odd_values_in_the_signed_token_are_401(client, signer, pool_key, part, name, value):
    data = signer.user_claims("user-1", **{part: {name: value}})
    response = client.get("/me", headers=forwarded(signer, pool_key, **{"x-amzn-oidc-data": data}))
    assert response.status_code == 401, response.text
    assert response.json()["detail"]


def test_an_expiry_beyond_any_float_is_valid_not_a_500(client, signer, pool_key):
    data = signer.user_claims("user-1", header={"exp": 10 ** 400}, claims={"exp": 10 ** 400})
    assert client.get("/me", headers=with_data(signer, pool_key, data)).status_code == 200


def test_local_mode_is_the_one_local_user_who_is_staff_and_says_so(caplog):
    with caplog.at_level(logging.WARNING):
        sign_in = SignIn.from_settings(UiAppSettings(local_mode=True))
    user = sign_in.identify({}, staff_only=True)
    assert (user.sub, user.is_staff, user.access_token) == ("local-user", True, None)
    assert any("LOCAL MODE" in record.getMessage() and "counts as staff" in record.getMessage()
               for record in caplog.records)


def test_the_key_endpoint_is_the_albs_regions_unless_configured(monkeypatch):
    environment = {"ALB_ARN": ALB_ARN.replace("us-east-1", "eu-west-1"), "COGNITO_ISSUER": ISSUER,
                   "COGNITO_CLIENT_IDS": ALB_CLIENT_ID, "LANG_PORTAL_API_URL": "http://api.internal:8000/"}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(UiAppSettings)
    assert settings.alb_keys_url == "https://public-keys.auth.elb.eu-west-1.amazonaws.com"
    assert settings.lang_portal_api_url == "http://api.internal:8000"
    monkeypatch.setenv("ALB_PUBLIC_KEY_URL", "http://127.0.0.1:9999/keys/")
    assert load_settings(UiAppSettings).alb_keys_url == "http://127.0.0.1:9999/keys"


@pytest.mark.parametrize("env,message", [
    ({}, "ALB_ARN, COGNITO_ISSUER, LANG_PORTAL_API_URL are required behind the load balancer's sign-in, or "
         "LOCAL_MODE=true"),
    ({"ALB_ARN": ALB_ARN, "COGNITO_ISSUER": ISSUER, "COGNITO_CLIENT_IDS": "a"}, "LANG_PORTAL_API_URL is required"),
    ({"LOCAL_MODE": "true", "ALB_ARN": ALB_ARN}, "LOCAL_MODE=true and ALB_ARN contradict each other"),
    ({"ALB_ARN": "arn:aws:elasticloadbalancing:us-east-1:123:loadbalancer/net/x/1"}, "ALB_ARN: String should match"),
    ({"ALB_ARN": ALB_ARN, "COGNITO_ISSUER": ISSUER, "COGNITO_CLIENT_IDS": "a", "LANG_PORTAL_API_URL": "http://a:1",
      "AWS_DEFAULT_REGION": "eu-west-1"}, "ALB_ARN is in us-east-1, but AWS_DEFAULT_REGION is eu-west-1"),
    ({"LOCAL_MODE": "true", "ALB_PUBLIC_KEY_URL": "http://10.0.0.1/keys"}, "ALB_PUBLIC_KEY_URL: Value error, must be"),
    ({"LOCAL_MODE": "true", "LANG_PORTAL_API_URL": "ftp://api.internal"}, "must be an http:// or https:// URL"),
    ({"LOCAL_MODE": "true", "LANG_PORTAL_API_URL": "http://u:p@api.internal"}, "must not contain a user name"),
    ({"LOCAL_MODE": "true", "LANG_PORTAL_API_URL": "http://api.internal/?x=1"}, "must not contain a query"),
    ({"LOCAL_MODE": "true", "STAFF_GROUP": "staff group"}, "STAFF_GROUP: String should match"),
])
def test_ui_settings_name_what_is_wrong(monkeypatch, env, message):
    assert message in settings_error(monkeypatch, UiAppSettings, env)


def test_refusals_are_typed_by_what_the_app_should_answer():
    assert (NotSignedIn.status, NotStaff.status, SignInUnavailable.status) == (401, 403, 503)
