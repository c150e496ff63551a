"""A Cognito user pool with its hosted UI, on 127.0.0.1: what `auth.app-dw.net` and the pool are to the apps.

It speaks the parts of Cognito the apps use, with Cognito's rules:
- `/oauth2/authorize`: the authorization code grant only, for a registered app client and one of its callback URLs;
  a public client (an SPA) must send a PKCE S256 challenge, a confidential one (the load balancer's) need not;
- the sign-in form, which starts the hosted UI's session (a cookie holding a random id): a second app that sends
  its user to authorize finds them signed in, which is how one sign-in covers every app;
- `/oauth2/token`: single-use codes (five minutes) checked against their PKCE challenge or the client's secret
  (HTTP Basic or the form's `client_secret`, as Cognito takes it); refresh tokens, not rotated;
- `/oauth2/userInfo` (what the load balancer reads the user's claims from), `/logout` (ends the hosted UI session,
  back to a registered sign-out URL), the pool's JWKS under its issuer.

Tokens are RS256 JWTs with the claims Cognito puts in them (`cognito:groups` in both tokens for a user in groups),
so the apps verify them exactly as they verify Cognito's. A user's `sub` is derived from the pool and the name, so
it is the same in every run (their data in a kept database stays theirs). Its authorize, token and logout requests
are recorded, so a test asserts on what a browser really sent.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from typing import TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from local_platform.serving import LocalServer, send_json

SESSION_COOKIE = "local-hosted-ui-session"  # the hosted UI's session, shared by every app client of the pool
CODE_SECONDS = 300  # Cognito's authorization codes are valid for five minutes
PKCE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 section 4.1
SCOPES = frozenset({"openid", "email", "profile"})
SUB_NAMESPACE = uuid.UUID("9b0c1f5e-6d1b-4f39-9f5e-5d6c2a7d6e10")  # subs: uuid5(this, "<pool>/<username>")
T = TypeVar("T")


class SigningKey:
    """An RSA key with a kid: signs RS256 JWTs and publishes its public half as a JWK."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def jwk(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def token(self, *, issuer: str, audience: str, token_use: str = "access", sub: str = "user-1",
              expires_in: int = 3600, **extra: object) -> str:
        """A Cognito-shaped token: an access token names its app client in `client_id`, an id token in `aud`."""
        now = int(time.time())
        claims = {"sub": sub, "iss": issuer, "token_use": token_use, "iat": now, "exp": now + expires_in,
                  **({"client_id": audience} if token_use == "access" else {"aud": audience}), **extra}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


@dataclass
class AppClient:
    """An app client of the pool. `secret` None: a public client (an SPA, PKCE required); set: a confidential one
    (the load balancer's, which authenticates at the token endpoint with it)."""
    client_id: str
    callback_urls: list[str] = field(default_factory=list)
    sign_out_urls: list[str] = field(default_factory=list)
    secret: str | None = None


@dataclass(frozen=True)
class User:
    """A user of the pool. `password` None: signs in by name alone (test pools)."""
    username: str
    password: str | None = None
    groups: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


@dataclass
class TokenRequest:
    """One POST to /oauth2/token and how it was answered."""
    grant_type: str
    at: float
    client_id: str | None = None
    error: str | None = None  # None: tokens were issued
    issued: dict[str, str] = field(default_factory=dict)  # the tokens of the answer by name


@dataclass
class _Grant:
    """What an authorization code or a refresh token stands for."""
    username: str
    client_id: str
    scope: str
    auth_time: int
    code_challenge: str = ""
    redirect_uri: str = ""
    issued_at: float = field(default_factory=time.time)


class OAuthError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error


class SignInFailed(Exception):
    """The form's username and password do not name a user; `str()` is what the form says."""


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier: base64url(SHA-256), no padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _one_at_a_time(method: Callable[..., T]) -> Callable[..., T]:
    """The server answers on many threads; the pool's state changes under its lock."""
    @functools.wraps(method)
    def locked(self: "IdentityServer", *args: object, **kwargs: object) -> T:
        with self._lock:
            return method(self, *args, **kwargs)
    return locked


class IdentityServer(LocalServer):
    """Start with `with IdentityServer(...) as pool:`. `users` None: anyone signs in by name, without a password,
    in no group unless `groups` names theirs (test pools)."""

    def __init__(self, clients: Sequence[AppClient], users: Sequence[User] | None = None, *,
                 pool_id: str = "us-east-1_LocalPool", port: int = 0) -> None:
        self.pool_id = pool_id
        self.clients = {client.client_id: client for client in clients}
        self.users = None if users is None else {user.username: user for user in users}
        self.groups: dict[str, list[str]] = {user.username: list(user.groups) for user in users or ()}
        self.access_token_seconds = 3600
        self._published_key = SigningKey(f"{pool_id}-key-1")
        self._lock = threading.RLock()  # re-entered: issuing tokens looks up subs
        self._sessions: dict[str, str] = {}  # hosted UI session id -> username
        self._codes: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, _Grant] = {}
        self.reset()
        super().__init__(_handler(self), port)

    @property
    def issuer(self) -> str:
        """What an API takes as COGNITO_ISSUER; the JWKS is at <issuer>/.well-known/jwks.json, as in AWS (where the
        issuer is on cognito-idp's host, not the hosted UI's: one origin is enough here)."""
        return f"{self.origin}/{self.pool_id}"

    def reset(self) -> None:
        """Forgets the requests recorded so far."""
        with self._lock:
            self.authorize_requests: list[dict[str, str]] = []
            self.token_requests: list[TokenRequest] = []
            self.logout_requests: list[dict[str, str]] = []

    def sub_of(self, username: str) -> str:
        return str(uuid.uuid5(SUB_NAMESPACE, f"{self.pool_id}/{username}"))

    def grants(self, grant_type: str) -> list[TokenRequest]:
        """The token requests of one grant type that were answered with tokens."""
        return [request for request in self.token_requests if request.grant_type == grant_type and not request.error]

    def access_token(self, username: str, scope: str = "openid email profile", client_id: str | None = None) -> str:
        """A token as the hosted UI would issue it to `client_id` (default: the first client), for calling an API as
        that user directly."""
        grant = _Grant(username, client_id or next(iter(self.clients)), scope, int(time.time()))
        return self._access_token(grant, self._published_key)

    def jwks(self) -> dict[str, object]:
        return {"keys": [self._published_key.jwk]}

    def _access_key(self) -> SigningKey:
        """The key the next access token is signed with."""
        return self._published_key

    def _access_token(self, grant: _Grant, key: SigningKey) -> str:
        return key.token(issuer=self.issuer, token_use="access", audience=grant.client_id,
                         sub=self.sub_of(grant.username), expires_in=self.access_token_seconds,
                         scope=grant.scope, username=grant.username, auth_time=grant.auth_time,
                         jti=str(uuid.uuid4()), origin_jti=str(uuid.uuid4()), event_id=str(uuid.uuid4()),
                         **self._group_claim(grant.username))

    def _group_claim(self, username: str) -> dict[str, list[str]]:
        """Cognito names a user's groups in both tokens, and leaves the claim out for a user in none."""
        return {"cognito:groups": self.groups[username]} if self.groups.get(username) else {}

    def _tokens(self, grant: _Grant) -> dict[str, object]:
        id_token = self._published_key.token(
            issuer=self.issuer, token_use="id", audience=grant.client_id, sub=self.sub_of(grant.username),
            expires_in=self.access_token_seconds, auth_time=grant.auth_time, jti=str(uuid.uuid4()),
            email=f"{grant.username}@example.com", email_verified=True, **{"cognito:username": grant.username},
            **self._group_claim(grant.username))
        return {"access_token": self._access_token(grant, self._access_key()), "id_token": id_token,
                "expires_in": self.access_token_seconds, "token_type": "Bearer"}

    # --- the endpoints' rules ----------------------------------------------------------------------

    @_one_at_a_time
    def sign_in(self, username: str, password: str) -> str:
        """A new hosted UI session id for the user, or SignInFailed."""
        if self.users is not None:
            user = self.users.get(username)
            if user is None or user.password is not None and not hmac.compare_digest(
                    user.password.encode(), password.encode()):
                raise SignInFailed("Incorrect username or password.")
        elif not username:
            raise SignInFailed("Enter a username.")
        session = secrets.token_urlsafe(32)
        self._sessions[session] = username
        return session

    def session_user(self, session: str | None) -> str | None:
        with self._lock:
            return self._sessions.get(session or "")

    @_one_at_a_time
    def end_session(self, session: str | None) -> None:
        self._sessions.pop(session or "", None)

    @_one_at_a_time
    def authorize(self, query: dict[str, str], username: str | None) -> str | None:
        """The callback URL with a fresh code for a signed-in user; None when the sign-in form is needed."""
        self.authorize_requests.append(query)
        client = self._client(query.get("client_id"))
        if query.get("redirect_uri") not in client.callback_urls:
            raise OAuthError("redirect_mismatch", "redirect_uri is not a callback URL of this app client")
        if query.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "only the authorization code grant is enabled")
        challenge = query.get("code_challenge", "")
        if client.secret is None and (query.get("code_challenge_method") != "S256" or not challenge):
            raise OAuthError("invalid_request", "a public client must send a S256 code_challenge")
        if challenge and query.get("code_challenge_method") != "S256":
            raise OAuthError("invalid_request", "code_challenge_method must be S256")
        if not query.get("state"):
            raise OAuthError("invalid_request", "state is required")
        scopes = query.get("scope", "").split()
        if not scopes or not set(scopes) <= SCOPES:
            raise OAuthError("invalid_scope", f"scope {query.get('scope')!r} is not allowed for this client")
        if username is None:
            return None
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Grant(username, client.client_id, " ".join(scopes), int(time.time()), challenge,
                                   query["redirect_uri"])
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"

    @_one_at_a_time
    def token(self, form: dict[str, str], authorization: str | None = None) -> dict[str, object]:
        request = TokenRequest(form.get("grant_type", ""), time.time())
        self.token_requests.append(request)
        try:
            client = self._authenticated_client(form, authorization)
            request.client_id = client.client_id
            if request.grant_type == "authorization_code":
                grant = self._codes.pop(form.get("code", ""), None)  # single use, even when the rest is wrong
                if grant is None or time.time() - grant.issued_at > CODE_SECONDS:
                    raise OAuthError("invalid_grant", "unknown, used or expired code")
                if grant.client_id != client.client_id:
                    raise OAuthError("invalid_grant", "the code was issued to another app client")
                if form.get("redirect_uri") != grant.redirect_uri:
                    raise OAuthError("invalid_grant", "redirect_uri differs from the authorize request's")
                if grant.code_challenge:
                    verifier = form.get("code_verifier", "")
                    if not PKCE_VERIFIER.fullmatch(verifier) or s256(verifier) != grant.code_challenge:
                        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
                tokens = self._tokens(grant)
                refresh_token = secrets.token_urlsafe(48)
                self._refresh_tokens[refresh_token] = grant
                tokens["refresh_token"] = refresh_token
            elif request.grant_type == "refresh_token":
                grant = self._refresh_tokens.get(form.get("refresh_token", ""))
                if grant is None or grant.client_id != client.client_id:
                    raise OAuthError("invalid_grant", "unknown or revoked refresh token")
                tokens = self._tokens(grant)  # Cognito does not rotate refresh tokens by default
            else:
                raise OAuthError("unsupported_grant_type", f"grant_type {request.grant_type!r}")
        except OAuthError as error:
            request.error = error.error
            raise
        request.issued = {name: str(value) for name, value in tokens.items() if name.endswith("_token")}
        return tokens

    def userinfo(self, authorization: str | None) -> dict[str, str]:
        """The claims of the user an access token of this pool was issued for (what the load balancer reads)."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        try:
            claims = jwt.decode(token, self._published_key.private.public_key(), algorithms=["RS256"],
                                issuer=self.issuer, options={"require": ["sub", "exp", "username"]})
        except jwt.PyJWTError as error:
            raise OAuthError("invalid_token", f"the access token is not valid: {error}") from None
        if claims.get("token_use") != "access":
            raise OAuthError("invalid_token", "userInfo takes an access token")
        return {"sub": claims["sub"], "email_verified": "true", "email": f"{claims['username']}@example.com",
                "username": claims["username"]}

    @_one_at_a_time
    def logout(self, query: dict[str, str]) -> str:
        self.logout_requests.append(query)
        client = self._client(query.get("client_id"))
        if query.get("logout_uri") not in client.sign_out_urls:
            raise OAuthError("invalid_request", "logout_uri is not a sign-out URL of this app client")
        return query["logout_uri"]

    def _client(self, client_id: str | None) -> AppClient:
        client = self.clients.get(client_id or "")
        if client is None:
            raise OAuthError("invalid_client", "unknown client_id")
        return client

    def _authenticated_client(self, form: dict[str, str], authorization: str | None) -> AppClient:
        """The app client of a token request: named in the form, or with its secret in HTTP Basic."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(authorization[6:], validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError("invalid_client", "the Authorization header is not valid Basic") from None
        client = self._client(client_id)
        if client.secret is not None and not hmac.compare_digest(client.secret.encode(), (secret or "").encode()):
            raise OAuthError("invalid_client", "the client secret is wrong or missing")
        return client


SIGN_IN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>Sign in</title><link rel="icon" href="data:,"></head>
<body><main><h1>Sign in</h1>{problem}
<form method="post" action="/login?{query}">
<p><label>Username <input name="username" autocomplete="username" required></label></p>{password}
<p><button type="submit">Sign in</button></p>
</form>{note}</main></body></html>"""
PASSWORD_FIELD = ('\n<p><label>Password <input name="password" type="password" autocomplete="current-password" '
                  'required></label></p>')
# The page has no script or style: nothing else may load. No form-action: browsers apply it to the redirects after
# the post too, and those end at the app's callback on another origin.
PAGE_POLICY = "default-src 'none'; img-src data:; frame-ancestors 'none'; base-uri 'none'"


def _handler(pool: IdentityServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:  # the launcher's output stays a table
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            query = _single_values(url.query)
            try:
                if url.path == f"/{pool.pool_id}/.well-known/jwks.json":
                    send_json(self, 200, pool.jwks())
                elif url.path == "/oauth2/authorize":
                    callback = pool.authorize(query, pool.session_user(self._session()))
                    if callback is None:
                        self._sign_in_page(url.query)
                    else:
                        self._redirect(callback)
                elif url.path == "/oauth2/userInfo":
                    send_json(self, 200, pool.userinfo(self.headers.get("Authorization")))
                elif url.path == "/logout":
                    target = pool.logout(query)
                    # Ending the hosted UI session is what makes the next authorize ask again.
                    pool.end_session(self._session())
                    self._redirect(target, f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
                else:
                    self._send(404, "text/plain; charset=utf-8", b"not found")
            except OAuthError as error:
                if error.error == "invalid_token":
                    send_json(self, 401, {"error": error.error, "error_description": str(error)})
                else:
                    self._send(400, "text/plain; charset=utf-8", f"{error.error}: {error}".encode())

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = _single_values(self.rfile.read(length).decode("utf-8", "replace"))
            if url.path == "/login":
                try:
                    session = pool.sign_in(form.get("username", ""), form.get("password", ""))
                except SignInFailed as failed:
                    self._sign_in_page(url.query, str(failed), status=401)
                    return
                # The form posts back the authorize query, which now finds a signed-in user.
                self._redirect(f"/oauth2/authorize?{url.query}",
                               f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax")
            elif url.path == "/oauth2/token":
                # An SPA calls from its own origin, so the answer must allow it to read the body (CORS).
                cors = {"Access-Control-Allow-Origin": self.headers.get("Origin", "*")}
                try:
                    send_json(self, 200, pool.token(form, self.headers.get("Authorization")), **cors,
                              **{"Cache-Control": "no-store"})
                except OAuthError as error:
                    send_json(self, 400, {"error": error.error, "error_description": str(error)}, **cors)
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found")

        def _session(self) -> str | None:
            morsel = SimpleCookie(self.headers.get("Cookie", "")).get(SESSION_COOKIE)
            return morsel.value if morsel and morsel.value else None

        def _sign_in_page(self, query: str, problem: str = "", status: int = 200) -> None:
            with_passwords = pool.users is not None and any(user.password for user in pool.users.values())
            note = ""
            if pool.users:
                names = ", ".join(f"{user.username}{' (' + ', '.join(user.groups) + ')' if user.groups else ''}"
                                  for user in pool.users.values())
                note = f"<p>Users of this local pool: {html.escape(names)}.</p>"
            page = SIGN_IN_PAGE.format(query=html.escape(query), password=PASSWORD_FIELD if with_passwords else "",
                                       problem=f'<p role="alert">{html.escape(problem)}</p>' if problem else "",
                                       note=note)
            self._send(status, "text/html; charset=utf-8", page.encode(), **{"Content-Security-Policy": PAGE_POLICY})

        def _redirect(self, location: str, cookie: str | None = None) -> None:
            self.send_response(303 if self.command == "POST" else 302)
            self.send_header("Location", location)
            if cookie:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, content_type: str, body: bytes, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _single_values(query: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(query).items()}
