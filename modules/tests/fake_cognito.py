"""A fake Cognito user pool with its hosted UI, on 127.0.0.1, for the sign-in tests (the Lang Portal SPA's browser
tests; the UI apps' tokens as the load balancer forwards them, with modules/tests/alb.py).

It speaks the parts of Cognito the Lang Portal uses, with Cognito's rules: `/oauth2/authorize`
(authorization code + PKCE S256 only, for the one registered app client and its callback URL), a sign-in
form that starts a hosted UI session (a cookie), `/oauth2/token` (single-use codes checked against their
PKCE challenge; refresh tokens that are not rotated), `/logout` (ends the session, back to a registered
sign-out URL) and the pool's JWKS under its issuer. Tokens are RS256 JWTs with the claims Cognito puts in
them, so the real API verifies them exactly as it verifies Cognito's.

Its authorize, token and logout requests are recorded, so a test asserts on what the browser really sent.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from typing import TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

from modules.tests.support import LocalServer, SigningKey, send_json

SESSION_COOKIE = "fake-cognito-session"  # the hosted UI's session, shared by every app of the pool
CODE_SECONDS = 300  # Cognito's authorization codes are valid for five minutes
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 section 4.1
T = TypeVar("T")


@dataclass
class TokenRequest:
    """One POST to /oauth2/token and how it was answered."""
    grant_type: str
    at: float
    error: str | None = None  # None: tokens were issued
    issued: dict[str, str] = field(default_factory=dict)  # the tokens of the answer by name


@dataclass
class _Grant:
    """What an authorization code or a refresh token stands for."""
    username: str
    scope: str
    auth_time: int
    code_challenge: str = ""
    redirect_uri: str = ""
    issued_at: float = field(default_factory=time.time)


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier: base64url(SHA-256), no padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _one_at_a_time(method: Callable[..., T]) -> Callable[..., T]:
    """The server answers on many threads; the pool's state changes under its lock."""
    @functools.wraps(method)
    def locked(self: "FakeCognito", *args: object) -> T:
        with self._lock:
            return method(self, *args)
    return locked


class FakeCognito(LocalServer):
    """Start with `with FakeCognito() as cognito:`; register the app client's URLs before signing in."""

    def __init__(self, pool_id: str = "eu-west-1_E2ePool", client_id: str = "lang-portal-e2e-client",
                 groups: Mapping[str, Sequence[str]] | None = None) -> None:
        self.pool_id = pool_id
        self.client_id = client_id
        self.groups = {username: list(names) for username, names in (groups or {}).items()}  # e.g. staff
        self.callback_url: str | None = None
        self.sign_out_url: str | None = None
        self._published_key = SigningKey("e2e-key-1")
        # A key the JWKS does not list: what a pool's old key looks like to the API after a rotation.
        self._unpublished_key = SigningKey("e2e-key-0")
        self._lock = threading.RLock()  # re-entered: issuing tokens looks up subs
        self._subs: dict[str, str] = {}
        self._codes: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, _Grant] = {}
        self.reset()
        super().__init__(_handler(self))

    @property
    def issuer(self) -> str:
        """What the API takes as COGNITO_ISSUER; the JWKS is at <issuer>/.well-known/jwks.json, as in AWS
        (where the issuer is on cognito-idp's host, not the hosted UI's: one origin is enough here)."""
        return f"{self.origin}/{self.pool_id}"

    def reset(self) -> None:
        """Forgets what earlier tests did and set; users keep their subs, so their data stays theirs."""
        with self._lock:
            self.access_token_seconds = 3600
            self.unverifiable_access_tokens = 0  # how many next access tokens to sign with the unpublished key
            self.authorize_requests: list[dict[str, str]] = []
            self.token_requests: list[TokenRequest] = []
            self.logout_requests: list[dict[str, str]] = []

    def sub_of(self, username: str) -> str:
        with self._lock:
            return self._subs.setdefault(username, str(uuid.uuid4()))

    def access_token(self, username: str, scope: str = "openid email profile", client_id: str | None = None) -> str:
        """A token as the hosted UI would issue it, for a test to call the API as that user directly; to another
        app client of the pool when `client_id` names one (the load balancer's, which forwards it to a UI app)."""
        return self._access_token(_Grant(username, scope, int(time.time())), self._published_key, client_id)

    def grants(self, grant_type: str) -> list[TokenRequest]:
        """The token requests of one grant type that were answered with tokens."""
        return [request for request in self.token_requests if request.grant_type == grant_type and not request.error]

    def _access_token(self, grant: _Grant, key: SigningKey, client_id: str | None = None) -> str:
        return key.token(issuer=self.issuer, token_use="access", audience=client_id or self.client_id,
                         sub=self.sub_of(grant.username), expires_in=self.access_token_seconds,
                         scope=grant.scope, username=grant.username, auth_time=grant.auth_time,
                         jti=str(uuid.uuid4()), origin_jti=str(uuid.uuid4()), event_id=str(uuid.uuid4()),
                         **self._group_claim(grant.username))

    def _group_claim(self, username: str) -> dict[str, list[str]]:
        """Cognito names a user's groups in both tokens, and leaves the claim out for a user in none."""
        return {"cognito:groups": self.groups[username]} if self.groups.get(username) else {}

    def _tokens(self, grant: _Grant) -> dict[str, object]:
        key = self._published_key
        if self.unverifiable_access_tokens > 0:
            self.unverifiable_access_tokens -= 1
            key = self._unpublished_key
        id_token = self._published_key.token(
            issuer=self.issuer, token_use="id", audience=self.client_id, sub=self.sub_of(grant.username),
            expires_in=self.access_token_seconds, auth_time=grant.auth_time, jti=str(uuid.uuid4()),
            email=f"{grant.username}@example.com", email_verified=True, **{"cognito:username": grant.username},
            **self._group_claim(grant.username))
        return {"access_token": self._access_token(grant, key), "id_token": id_token,
                "expires_in": self.access_token_seconds, "token_type": "Bearer"}

    # --- the endpoints' rules ----------------------------------------------------------------------

    def jwks(self) -> dict[str, object]:
        return {"keys": [self._published_key.jwk]}

    @_one_at_a_time
    def authorize(self, query: dict[str, str], username: str | None) -> str | None:
        """The callback URL with a fresh code for a signed-in user; None when the sign-in form is needed."""
        self.authorize_requests.append(query)
        self._check_client(query.get("client_id"))
        if query.get("redirect_uri") != self.callback_url:
            raise OAuthError("redirect_mismatch", "redirect_uri is not a callback URL of this app client")
        if query.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "only the authorization code grant is enabled")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise OAuthError("invalid_request", "a public client must send a S256 code_challenge")
        if not query.get("state"):
            raise OAuthError("invalid_request", "state is required")
        scopes = query.get("scope", "").split()
        if not scopes or not set(scopes) <= {"openid", "email", "profile"}:
            raise OAuthError("invalid_scope", f"scope {query.get('scope')!r} is not allowed for this client")
        if username is None:
            return None
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Grant(username, " ".join(scopes), int(time.time()), query["code_challenge"],
                                   query["redirect_uri"])
        return f"{self.callback_url}?{urlencode({'code': code, 'state': query['state']})}"

    @_one_at_a_time
    def token(self, form: dict[str, str]) -> dict[str, object]:
        request = TokenRequest(form.get("grant_type", ""), time.time())
        self.token_requests.append(request)
        try:
            self._check_client(form.get("client_id"))
            if request.grant_type == "authorization_code":
                grant = self._codes.pop(form.get("code", ""), None)  # single use, even when the rest is wrong
                if grant is None or time.time() - grant.issued_at > CODE_SECONDS:
                    raise OAuthError("invalid_grant", "unknown, used or expired code")
                if form.get("redirect_uri") != grant.redirect_uri:
                    raise OAuthError("invalid_grant", "redirect_uri differs from the authorize request's")
                verifier = form.get("code_verifier", "")
                if not PKCE_VERIFIER.fullmatch(verifier) or s256(verifier) != grant.code_challenge:
                    raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
                tokens = self._tokens(grant)
                refresh_token = secrets.token_urlsafe(48)
                self._refresh_tokens[refresh_token] = grant
                tokens["refresh_token"] = refresh_token
            elif request.grant_type == "refresh_token":
                grant = self._refresh_tokens.get(form.get("refresh_token", ""))
                if grant is None:
                    raise OAuthError("invalid_grant", "unknown or revoked refresh token")
                tokens = self._tokens(grant)  # Cognito does not rotate refresh tokens by default
            else:
                raise OAuthError("unsupported_grant_type", f"grant_type {request.grant_type!r}")
        except OAuthError as error:
            request.error = error.error
            raise
        request.issued = {name: str(value) for name, value in tokens.items() if name.endswith("_token")}
        return tokens

    @_one_at_a_time
    def logout(self, query: dict[str, str]) -> str:
        self.logout_requests.append(query)
        self._check_client(query.get("client_id"))
        if query.get("logout_uri") != self.sign_out_url:
            raise OAuthError("invalid_request", "logout_uri is not a sign-out URL of this app client")
        return query["logout_uri"]

    def _check_client(self, client_id: str | None) -> None:
        if client_id != self.client_id:
            raise OAuthError("invalid_client", "unknown client_id")


SIGN_IN_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title><link rel="icon" href="data:,"></head>
<body><h1>Sign in</h1>
<form method="post" action="/login?{query}">
<label>Username <input name="username" autocomplete="username" required></label>
<button type="submit">Sign in</button>
</form></body></html>"""


def _handler(cognito: FakeCognito) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:  # keeps pytest output readable
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            query = _single_values(url.query)
            try:
                if url.path == f"/{cognito.pool_id}/.well-known/jwks.json":
                    send_json(self, 200, cognito.jwks())
                elif url.path == "/oauth2/authorize":
                    callback = cognito.authorize(query, self._session_user())
                    if callback is None:
                        self._send(200, "text/html; charset=utf-8",
                                   SIGN_IN_FORM.format(query=html.escape(url.query)).encode())
                    else:
                        self._redirect(callback)
                elif url.path == "/logout":
                    # Ending the hosted UI session is what makes the next authorize ask again.
                    self._redirect(cognito.logout(query),
                                   f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
                else:
                    self._send(404, "text/plain", b"not found")
            except OAuthError as error:
                self._send(400, "text/plain", f"{error.error}: {error}".encode())

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = _single_values(self.rfile.read(length).decode())
            if url.path == "/login" and form.get("username"):
                # The form posts back the authorize query, which now finds a signed-in user.
                self._redirect(f"/oauth2/authorize?{url.query}",
                               f"{SESSION_COOKIE}={form['username']}; Path=/; HttpOnly; SameSite=Lax")
            elif url.path == "/oauth2/token":
                # The SPA calls from its own origin, so the answer must allow it to read the body (CORS).
                cors = {"Access-Control-Allow-Origin": self.headers.get("Origin", "*")}
                try:
                    send_json(self, 200, cognito.token(form), **cors, **{"Cache-Control": "no-store"})
                except OAuthError as error:
                    send_json(self, 400, {"error": error.error, "error_description": str(error)}, **cors)
            else:
                self._send(404, "text/plain", b"not found")

        def _session_user(self) -> str | None:
            morsel = SimpleCookie(self.headers.get("Cookie", "")).get(SESSION_COOKIE)
            return morsel.value if morsel and morsel.value else None

        def _redirect(self, location: str, cookie: str | None = None) -> None:
            self.send_response(303 if self.command == "POST" else 302)
            self.send_header("Location", location)
            if cookie:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _single_values(query: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(query).items()}
