"""Cognito sign-in in a real browser: the built SPA with a config.json naming a fake Cognito hosted UI
(modules/tests/fake_cognito.py) and the real API checking that pool's RS256 tokens. Authorization code + PKCE, the
refused callback, tokens kept out of storage, refresh before expiry, refresh and retry on a 401, and
sign-out through /logout."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from playwright.sync_api import Page, expect

from modules.tests.fake_cognito import FakeCognito, OAuthError, s256
from page_helpers import settled
from portal_api import call_api, seed_ids

pytestmark = pytest.mark.slow

REFRESH_MARGIN_SECONDS = 120  # src/auth/session.ts REFRESH_MARGIN_MS
PENDING_SIGN_IN_KEY = "lang-portal.pending-sign-in"  # src/auth/hostedUi.ts


@pytest.fixture
def cognito(fake_cognito: FakeCognito, cognito_portal_url: str) -> FakeCognito:
    """The fake pool with no requests recorded and default token lifetimes."""
    fake_cognito.reset()
    return fake_cognito


@pytest.fixture
def new_page(open_context, cognito_portal_url: str) -> Callable[[], Page]:
    """A page in a fresh browser profile (nobody signed in) on the Cognito-mode site."""
    return lambda: open_context(cognito_portal_url).new_page()


@dataclass
class ApiCall:
    path: str
    bearer: str | None
    status: int


def record_api_calls(page: Page) -> list[ApiCall]:
    """Every /api answer the page gets, with the bearer token its request carried."""
    calls: list[ApiCall] = []

    def seen(response) -> None:
        if urlsplit(response.url).path.startswith("/api/"):
            authorization = response.request.headers.get("authorization", "")
            bearer = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else None
            calls.append(ApiCall(urlsplit(response.url).path, bearer, response.status))

    page.on("response", seen)
    return calls


def wait_for(page: Page, condition: Callable[[], bool], what: str, seconds: float = 10) -> None:
    """Polls through Playwright, so the page's events keep arriving while we wait."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        page.wait_for_timeout(100)


def hosted_ui_sign_in(cognito: FakeCognito) -> re.Pattern:
    return re.compile(rf"^{re.escape(cognito.origin)}/oauth2/authorize\?")


def sign_in(page: Page, cognito: FakeCognito, username: str, path: str = "/dashboard") -> None:
    """Opens `path` signed out, signs in on the hosted UI's form, and waits to be back on `path`."""
    page.goto(path)
    expect(page).to_have_url(hosted_ui_sign_in(cognito))
    page.get_by_label("Username").fill(username)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"{username}@example.com")).to_be_visible()  # the id token's email, in the header
    expect(page).to_have_url(urljoin(cognito.sign_out_url, path))  # the sign-out URL is the app's root


def test_fake_pool_checks_pkce_and_uses_each_code_once(cognito: FakeCognito) -> None:
    """The browser tests rely on these checks of the fake; it must refuse what Cognito refuses."""
    verifier = "v" * 43
    query = {"client_id": cognito.client_id, "redirect_uri": cognito.callback_url, "response_type": "code",
             "code_challenge_method": "S256", "code_challenge": s256(verifier), "state": "s",
             "scope": "openid"}

    def code() -> str:
        return parse_qs(urlsplit(cognito.authorize(query, "alice")).query)["code"][0]

    exchange = {"grant_type": "authorization_code", "client_id": cognito.client_id,
                "redirect_uri": cognito.callback_url, "code_verifier": verifier}
    with pytest.raises(OAuthError, match="code_verifier"):
        cognito.token({**exchange, "code": code(), "code_verifier": "w" * 43})
    used = code()
    assert cognito.token({**exchange, "code": used})["access_token"]
    with pytest.raises(OAuthError, match="used"):
        cognito.token({**exchange, "code": used})


def test_sign_in_with_pkce_and_each_user_sees_their_own_data(cognito: FakeCognito, cognito_portal_url: str,
                                                            new_page) -> None:
    lookup_token = cognito.access_token("alice")
    groups = call_api(cognito_portal_url, "GET", "/groups?sort_by=name", token=lookup_token)["items"]
    activity = seed_ids(cognito_portal_url, token=lookup_token)["activity"]
    studied = {"alice": groups[0], "bob": groups[1]}
    for username, group in studied.items():
        call_api(cognito_portal_url, "POST", "/study_activities",
                 {"group_id": group["id"], "study_activity_id": activity}, token=cognito.access_token(username))

    for username, group in studied.items():
        cognito.reset()  # only this user's requests
        page = new_page()
        api_calls = record_api_calls(page)
        sign_in(page, cognito, username)

        authorize = cognito.authorize_requests[0]
        assert authorize["redirect_uri"] == f"{cognito_portal_url}/auth/callback"
        assert authorize["code_challenge_method"] == "S256"
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", authorize["code_challenge"]), "not a base64url SHA-256"
        assert len(authorize["state"]) >= 32
        exchanges = cognito.grants("authorization_code")
        assert len(exchanges) == 1, "the code + verifier was not exchanged exactly once"

        last_session = page.get_by_role("region", name="Last study session")
        expect(last_session.get_by_role("link", name=group["name"], exact=True)).to_be_visible()
        assert api_calls, "the dashboard made no API call"
        assert {(call.bearer, call.status) for call in api_calls} == {(exchanges[0].issued["access_token"], 200)}


def test_a_callback_with_another_state_is_refused(cognito: FakeCognito, cognito_portal_url: str, new_page) -> None:
    page = new_page()
    page.goto("/dashboard")
    expect(page).to_have_url(hosted_ui_sign_in(cognito))  # this tab now waits for its own state

    page.goto(f"{cognito_portal_url}/auth/callback?code=someone-elses-code&state=forged-state")
    expect(page.get_by_role("alert")).to_have_text(
        "Sign-in could not be completed: the answer from the sign-in page did not match this tab.")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page).to_have_url(f"{cognito_portal_url}/")
    assert cognito.token_requests == [], "the app exchanged a code it did not ask for"
    assert page.evaluate(f"sessionStorage.getItem('{PENDING_SIGN_IN_KEY}')") is None


def test_tokens_stay_in_memory_only(cognito: FakeCognito, new_page) -> None:
    page = new_page()
    sign_in(page, cognito, "alice")
    tokens = cognito.grants("authorization_code")[0].issued
    assert set(tokens) == {"access_token", "id_token", "refresh_token"}

    stored = page.evaluate("""() => JSON.stringify({local: {...localStorage}, session: {...sessionStorage},
                                                     cookies: document.cookie})""")
    assert PENDING_SIGN_IN_KEY not in stored, "the PKCE verifier outlived the callback"
    for name, token in tokens.items():
        assert token not in stored, f"the {name} is in browser storage"


def test_refreshes_before_expiry_and_keeps_working(cognito: FakeCognito, new_page) -> None:
    cognito.access_token_seconds = REFRESH_MARGIN_SECONDS + 4  # the refresh is due 4 s after sign-in
    page = new_page()
    api_calls = record_api_calls(page)
    sign_in(page, cognito, "alice")
    settled(page)
    signed_in = cognito.grants("authorization_code")[0]

    wait_for(page, lambda: cognito.grants("refresh_token"), "refresh_token grant")
    refreshed_after = cognito.grants("refresh_token")[0].at - signed_in.at
    # Not before the margin (so not on every request; 1 s of slack for a busy machine), and well before the
    # access token expires.
    assert 3 <= refreshed_after < cognito.access_token_seconds, refreshed_after

    calls_before = len(api_calls)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("heading", level=1, name="Study Sessions")).to_be_visible()
    wait_for(page, lambda: len(api_calls) > calls_before, "API call after the refresh")
    refreshed_tokens = {grant.issued["access_token"] for grant in cognito.grants("refresh_token")}
    for call in api_calls[calls_before:]:
        assert call.bearer in refreshed_tokens, f"{call.path} did not use a refreshed token"
    assert {call.status for call in api_calls} == {200}


def test_a_refused_token_is_refreshed_once_and_the_request_retried(cognito: FakeCognito, new_page,
                                                                   console_errors) -> None:
    # Chromium logs every non-2xx fetch; these 401s are what the test provokes.
    console_errors.expect(lambda error: "status of 401" in error and "/api/" in error)
    # The API cannot verify the token the sign-in yields (its key is not in the pool's JWKS), though the
    # app believes it valid for an hour: like a key rotation or a revocation the app cannot know about.
    cognito.unverifiable_access_tokens = 1
    page = new_page()
    api_calls = record_api_calls(page)
    sign_in(page, cognito, "alice", "/study_sessions")  # a page that makes one API call
    wait_for(page, lambda: len(api_calls) >= 2, "retry of the refused request")
    settled(page)
    expect(page.get_by_role("alert")).to_have_count(0)

    refused_token = cognito.grants("authorization_code")[0].issued["access_token"]
    refreshes = cognito.grants("refresh_token")
    assert len(refreshes) == 1, f"{len(refreshes)} refresh_token grants for one refused token"
    fresh_token = refreshes[0].issued["access_token"]
    assert api_calls == [ApiCall("/api/study_sessions", refused_token, 401),
                         ApiCall("/api/study_sessions", fresh_token, 200)]


def test_sign_out_ends_the_hosted_ui_session(cognito: FakeCognito, cognito_portal_url: str, new_page) -> None:
    page = new_page()
    api_calls = record_api_calls(page)
    sign_in(page, cognito, "alice")
    settled(page)  # every API call of the dashboard answered before signing out
    token_requests_before = len(cognito.token_requests)
    calls_before = len(api_calls)

    page.get_by_role("button", name="Sign out").click()
    # /logout ends the hosted UI session and returns to the app, which must ask for a sign-in again.
    expect(page).to_have_url(hosted_ui_sign_in(cognito))
    expect(page.get_by_label("Username")).to_be_visible()
    assert cognito.logout_requests == [{"client_id": cognito.client_id, "logout_uri": f"{cognito_portal_url}/"}]

    authorize_requests_before = len(cognito.authorize_requests)
    page.go_back()  # to the app, which has no tokens left and sends the browser to the hosted UI again
    wait_for(page, lambda: len(cognito.authorize_requests) > authorize_requests_before, "new authorize request")
    expect(page).to_have_url(hosted_ui_sign_in(cognito))
    expect(page.get_by_label("Username")).to_be_visible()
    assert len(cognito.token_requests) == token_requests_before, "tokens were issued without a sign-in"
    assert api_calls[calls_before:] == [], "the app called the API after signing out"
