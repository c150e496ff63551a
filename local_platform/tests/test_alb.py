"""The load balancer's sign-in stand-in in front of an app that echoes what reaches it: a browser without a session
goes through the hosted UI with the ALB's confidential client, comes back signed in, and the app receives headers
that modules/alb_identity.py verifies for real (ES256 key fetched from the key server, the pool's RS256 access
token); whatever identity headers the client sent itself never reach the app."""
from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from local_platform.alb import AlbKey, AlbKeyServer, AlbSigner, AlbSignInProxy, HostedUi
from local_platform.identity import AppClient, IdentityServer, User
from local_platform.serving import LocalServer, send_json
from local_platform.tests.flows import sign_in_form
from modules.alb_identity import SignIn
from modules.settings import UiAppSettings, load_settings

ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/app-dw-local/00000000000000aa"
SECRET = "s" * 40


class Echo(LocalServer):
    """An app answering every request with the headers it received."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                send_json(self, 200, {"path": self.path, "headers": dict(self.headers.items())})

        super().__init__(Handler)


@dataclass
class Front:
    pool: IdentityServer
    proxy: AlbSignInProxy
    keys: AlbKeyServer

    def sign_in(self, settings_client: str = "alb-client") -> SignIn:
        """The app's own verification, configured as `make run-apps` configures a UI app."""
        return SignIn.from_settings(load_settings(
            UiAppSettings, alb_arn=ALB_ARN, alb_public_key_url=self.keys.origin, cognito_issuer=self.pool.issuer,
            cognito_client_ids=(settings_client,), lang_portal_api_url="http://127.0.0.1:9"))


@pytest.fixture(scope="module")
def front() -> Iterator[Front]:
    client = AppClient("alb-client", secret=SECRET)
    users = [User("ana", "ana-password"), User("sam", "sam-password", ("staff",))]
    key = AlbKey()
    with IdentityServer([client], users) as pool, AlbKeyServer([key]) as keys, Echo() as app:
        signer = AlbSigner(key, alb_arn=ALB_ARN, client_id=client.client_id, issuer=pool.issuer)
        with AlbSignInProxy(app.port, HostedUi(pool.origin, client.client_id, SECRET), signer) as proxy:
            client.callback_urls = [proxy.callback_url]
            yield Front(pool, proxy, keys)


def signed_in_browser(front: Front, username: str, password: str, path: str = "/page?x=1",
                      back_to: str = "/page?x=1") -> httpx.Client:
    """A browser that asked for `path` (sent as written), went through the hosted UI, and was sent back to
    `back_to`."""
    browser = httpx.Client(timeout=10)
    asked = http.client.HTTPConnection("127.0.0.1", front.proxy.port, timeout=10)
    asked.request("GET", path)
    first = asked.getresponse()
    authorize = first.getheader("location", "")
    asked.close()
    assert first.status == 302 and authorize.startswith(f"{front.pool.origin}/oauth2/authorize?")
    back = sign_in_form(browser, authorize, username, password)
    assert back.headers["location"].startswith(front.proxy.callback_url)
    landed = browser.get(back.headers["location"])
    assert (landed.status_code, landed.headers["location"]) == (302, back_to), landed.text
    return browser


def test_a_signed_in_browser_reaches_the_app_with_headers_the_app_verifies(front: Front):
    browser = signed_in_browser(front, "sam", "sam-password")
    seen = browser.get(f"{front.proxy.origin}/page?x=1", headers={
        "x-amzn-oidc-data": "forged", "x-amzn-oidc-identity": "someone-else"}).json()
    browser.close()
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers["host"] == f"127.0.0.1:{front.proxy.port}"  # kept, as the ALB keeps it
    assert headers["x-forwarded-port"] == str(front.proxy.port)
    user = front.sign_in().identify(headers, staff_only=True)
    assert (user.sub, user.email, user.is_staff) == (front.pool.sub_of("sam"), "sam@example.com", True)
    assert headers["x-amzn-oidc-identity"] == user.sub
    assert user.access_token == headers["x-amzn-oidc-accesstoken"]


def test_a_learner_is_not_staff_and_another_client_is_refused(front: Front):
    from modules.alb_identity import NotSignedIn, NotStaff

    browser = signed_in_browser(front, "ana", "ana-password")
    headers = browser.get(f"{front.proxy.origin}/").json()["headers"]
    browser.close()
    with pytest.raises(NotStaff):
        front.sign_in().identify(headers, staff_only=True)
    with pytest.raises(NotSignedIn, match="app client"):
        front.sign_in(settings_client="another-client").identify(headers)


def test_wrong_passwords_unknown_states_and_missing_secrets_are_refused(front: Front):
    with httpx.Client(timeout=10) as browser:
        authorize = browser.get(f"{front.proxy.origin}/").headers["location"]
        page = browser.get(authorize).text
        action = page.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        refused = browser.post(front.pool.origin + action, data={"username": "ana", "password": "wrong"})
        assert refused.status_code == 401 and "Incorrect username or password." in refused.text
        assert "local-hosted-ui-session" not in refused.headers.get("set-cookie", "")
        unknown = browser.get(f"{front.proxy.callback_url}?code=abc&state=made-up")
        assert unknown.status_code == 401 and "state is unknown" in unknown.json()["detail"]
    no_secret = httpx.post(f"{front.pool.origin}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": "alb-client", "code": "x", "redirect_uri": "y"})
    assert no_secret.status_code == 400 and no_secret.json()["error"] == "invalid_client"


def test_the_way_back_after_signing_in_stays_on_the_app(front: Front):
    # "/\\host" is "//host" to a browser (http.server already folds a leading "//").
    signed_in_browser(front, "ana", "ana-password", path="/\\evil.example/x", back_to="/evil.example/x").close()


def test_userinfo_names_the_user_of_a_valid_access_token_only(front: Front):
    token = front.pool.access_token("ana", client_id="alb-client")
    info = httpx.get(f"{front.pool.origin}/oauth2/userInfo", headers={"Authorization": f"Bearer {token}"}).json()
    assert info == {"sub": front.pool.sub_of("ana"), "email_verified": "true", "email": "ana@example.com",
                    "username": "ana"}
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    refused = httpx.get(f"{front.pool.origin}/oauth2/userInfo", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401 and json.loads(refused.text)["error"] == "invalid_token"


def test_an_expired_access_token_is_refreshed_with_the_refresh_token(front: Front):
    front.pool.access_token_seconds = 7  # the proxy refreshes 5 s before expiry
    try:
        browser = signed_in_browser(front, "ana", "ana-password")
        first = browser.get(f"{front.proxy.origin}/").json()["headers"]
        time.sleep(2.2)
        front.pool.reset()
        second = browser.get(f"{front.proxy.origin}/").json()["headers"]
        browser.close()
    finally:
        front.pool.access_token_seconds = 3600
    assert [request.client_id for request in front.pool.grants("refresh_token")] == ["alb-client"]
    assert second["x-amzn-oidc-accesstoken"] != first["x-amzn-oidc-accesstoken"]
    assert front.sign_in().identify(second).sub == front.pool.sub_of("ana")
