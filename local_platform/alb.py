"""The load balancer's side of a UI app's sign-in (the listener rule's `authenticate-cognito`, then `forward`), on
127.0.0.1: what `modules/alb_identity.py` verifies.

- `AlbKey`: a P-256 key with a UUID kid, as the ALB signs with; `AlbKeyServer` answers a PEM per kid, as
  `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>` does (the apps' ALB_PUBLIC_KEY_URL points here).
- `AlbSigner` writes `x-amzn-oidc-data` as the ALB does: header `alg`, `kid`, `signer` (the ALB's ARN), `iss`,
  `client`, `exp`; the userinfo claims with `exp` and `iss`; every part base64url *with* padding.
- `AlbSignInProxy` is the listener in front of one app: a browser without the ALB's session cookie is sent to the
  hosted UI's authorize endpoint with the ALB's confidential app client; the code coming back to
  `/oauth2/idpresponse` is exchanged with the client secret, the user's claims read from userInfo, and a session
  cookie set. Every request of a signed-in browser goes on to the app with the Host header kept, the ALB's
  `x-amzn-oidc-data`, `x-amzn-oidc-accesstoken` and `x-amzn-oidc-identity` (any the client sent are replaced) and
  `X-Forwarded-*`; websockets (Streamlit's session) are tunnelled. An access token past its expiry is refreshed
  with the refresh token, as the ALB does; without one the browser signs in again.
"""
from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from local_platform.serving import LocalServer, forward, send_json

CLAIMS_SECONDS = 120  # how long one request's x-amzn-oidc-data stays valid
SESSION_COOKIE = "AWSELBAuthSessionCookie"  # the ALB's default name; each local listener adds its port
CALLBACK_PATH = "/oauth2/idpresponse"  # the ALB's fixed redirect path
IDENTITY_HEADERS = frozenset({"x-amzn-oidc-data", "x-amzn-oidc-accesstoken", "x-amzn-oidc-identity"})
PENDING_SIGN_INS = 1000  # states kept for browsers on their way through the hosted UI


def _part(data: bytes, padded: bool) -> str:
    encoded = base64.urlsafe_b64encode(data).decode()
    return encoded if padded else encoded.rstrip("=")


class AlbKey:
    """A P-256 key as the ALB signs with: a UUID kid and the public key as the endpoint serves it (PEM)."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or str(uuid.uuid4())
        self.private = ec.generate_private_key(ec.SECP256R1())

    @property
    def pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, header: dict, claims: dict, *, padded: bool = True) -> str:
        """A JWS over `header` and `claims` with this key (ES256: the raw r || s, 32 bytes each)."""
        signing_input = f"{_part(json.dumps(header).encode(), padded)}.{_part(json.dumps(claims).encode(), padded)}"
        r, s = decode_dss_signature(self.private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{_part(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'), padded)}"


class AlbSigner:
    """Writes what a load balancer `alb_arn` forwards after signing a user in through `client_id` of the pool
    `issuer`."""

    def __init__(self, key: AlbKey, *, alb_arn: str, client_id: str, issuer: str) -> None:
        self.key = key
        self.alb_arn = alb_arn
        self.client_id = client_id
        self.issuer = issuer

    def user_claims(self, sub: str, email: str | None = None, *, expires_in: int = CLAIMS_SECONDS,
                    header: dict | None = None, claims: dict | None = None, padded: bool = True,
                    username: str | None = None) -> str:
        """x-amzn-oidc-data for the user; `header` and `claims` replace or add fields (None removes one)."""
        expires = int(time.time()) + expires_in
        fields = {"alg": "ES256", "kid": self.key.kid, "signer": self.alb_arn, "iss": self.issuer,
                  "client": self.client_id, "exp": expires, **(header or {})}
        payload = {"sub": sub, "email_verified": "true", "email": email or f"{sub}@example.com",
                   "username": username or sub, "exp": expires, "iss": self.issuer, **(claims or {})}
        return self.key.sign({k: v for k, v in fields.items() if v is not None},
                             {k: v for k, v in payload.items() if v is not None}, padded=padded)

    def forwarded_headers(self, sub: str, access_token: str, email: str | None = None,
                          username: str | None = None) -> dict[str, str]:
        """The headers the ALB adds to a signed-in user's request."""
        return {"x-amzn-oidc-data": self.user_claims(sub, email, username=username),
                "x-amzn-oidc-accesstoken": access_token, "x-amzn-oidc-identity": sub}


class AlbKeyServer(LocalServer):
    """Answers `GET /<kid>` with that key's PEM, 404 for any other kid; counts the requests per path."""

    def __init__(self, keys: list[AlbKey], port: int = 0) -> None:
        self.keys = {key.kid: key for key in keys}
        self.fetches: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with server._lock:
                    server.fetches[self.path] = server.fetches.get(self.path, 0) + 1
                key = server.keys.get(self.path.lstrip("/"))
                body = key.pem if key else b"<Error><Code>NoSuchKey</Code></Error>"
                self.send_response(200 if key else 404)
                self.send_header("Content-Type", "application/octet-stream" if key else "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler, port)

    @property
    def total_fetches(self) -> int:
        return sum(self.fetches.values())


@dataclass(frozen=True)
class HostedUi:
    """Where the ALB's `authenticate-cognito` action sends users and fetches tokens: the pool's hosted UI and the
    project's confidential app client."""
    origin: str
    client_id: str
    client_secret: str


@dataclass
class _Session:
    sub: str
    email: str | None
    username: str | None
    access_token: str
    refresh_token: str | None
    expires_at: float


class SignInError(Exception):
    """The hosted UI refused an exchange; `str()` says what it answered."""


class AlbSignInProxy(LocalServer):
    """The listener of one UI app (the app on 127.0.0.1:`app_port`), on 127.0.0.1:`port`."""

    def __init__(self, app_port: int, hosted_ui: HostedUi, signer: AlbSigner, port: int = 0) -> None:
        self.app_port = app_port
        self.hosted_ui = hosted_ui
        self.signer = signer
        self._sessions: dict[str, _Session] = {}
        self._pending: dict[str, str] = {}  # state -> the address the browser asked for
        self._lock = threading.Lock()
        super().__init__(_proxy_handler(self), port)
        self.cookie = f"{SESSION_COOKIE}-{self.port}"  # cookies of 127.0.0.1 are shared by every port

    @property
    def callback_url(self) -> str:
        return f"{self.origin}{CALLBACK_PATH}"

    def sign_in_url(self, path: str) -> str:
        """The hosted UI's authorize address for a browser that asked for `path`."""
        state = secrets.token_urlsafe(32)
        path = "/" + path.lstrip("/\\")  # back to this host only: "//other.host" would leave it
        with self._lock:
            if len(self._pending) >= PENDING_SIGN_INS:
                self._pending.pop(next(iter(self._pending)))
            self._pending[state] = path
        query = {"response_type": "code", "client_id": self.hosted_ui.client_id, "redirect_uri": self.callback_url,
                 "state": state, "scope": "openid email profile"}
        return f"{self.hosted_ui.origin}/oauth2/authorize?{urlencode(query)}"

    def complete_sign_in(self, code: str, state: str) -> tuple[str, str]:
        """(session id, the address to go back to) for the code the hosted UI sent; SignInError otherwise."""
        with self._lock:
            path = self._pending.pop(state, None)
        if path is None:
            raise SignInError("the sign-in's state is unknown or was used already: start again from the app")
        tokens = self._token_request({"grant_type": "authorization_code", "code": code,
                                      "redirect_uri": self.callback_url, "client_id": self.hosted_ui.client_id})
        session = self._session(tokens, refresh_token=tokens.get("refresh_token"))
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[session_id] = session
        return session_id, path

    def session(self, session_id: str | None) -> _Session | None:
        """The signed-in user of a session cookie, its access token refreshed when it expired; None: sign in."""
        with self._lock:
            session = self._sessions.get(session_id or "")
        if session is None:
            return None
        if time.time() < session.expires_at - 5:
            return session
        if session.refresh_token is None:
            return None
        try:
            tokens = self._token_request({"grant_type": "refresh_token", "refresh_token": session.refresh_token,
                                          "client_id": self.hosted_ui.client_id})
        except SignInError:
            return None
        refreshed = self._session(tokens, refresh_token=session.refresh_token)
        with self._lock:
            self._sessions[session_id] = refreshed
        return refreshed

    def forwarded_headers(self, session: _Session) -> dict[str, str]:
        expires_in = max(1, min(CLAIMS_SECONDS, int(session.expires_at - time.time())))
        return {"x-amzn-oidc-data": self.signer.user_claims(session.sub, session.email, expires_in=expires_in,
                                                            username=session.username),
                "x-amzn-oidc-accesstoken": session.access_token, "x-amzn-oidc-identity": session.sub}

    def _session(self, tokens: dict, refresh_token: str | None) -> _Session:
        claims = self._userinfo(tokens["access_token"])
        return _Session(claims["sub"], claims.get("email"), claims.get("username"), tokens["access_token"],
                        refresh_token, time.time() + int(tokens.get("expires_in", 3600)))

    def _token_request(self, form: dict[str, str]) -> dict:
        basic = base64.b64encode(f"{self.hosted_ui.client_id}:{self.hosted_ui.client_secret}".encode()).decode()
        request = urllib.request.Request(f"{self.hosted_ui.origin}/oauth2/token", data=urlencode(form).encode(),
                                         headers={"Authorization": f"Basic {basic}",
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        return self._json(request, "the token endpoint")

    def _userinfo(self, access_token: str) -> dict:
        request = urllib.request.Request(f"{self.hosted_ui.origin}/oauth2/userInfo",
                                         headers={"Authorization": f"Bearer {access_token}"})
        return self._json(request, "userInfo")

    @staticmethod
    def _json(request: urllib.request.Request, what: str) -> dict:
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as error:
            raise SignInError(f"{what} answered {error.code}: {error.read()[:300].decode(errors='replace')}") from None
        except (OSError, ValueError) as error:
            raise SignInError(f"{what} could not be reached: {error}") from None


def _proxy_handler(proxy: AlbSignInProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:  # the launcher's output stays a table
            pass

        def _handle(self) -> None:
            url = urlsplit(self.path)
            if url.path == CALLBACK_PATH:
                self._callback({name: values[0] for name, values in parse_qs(url.query).items()})
                return
            morsel = SimpleCookie(self.headers.get("Cookie", "")).get(proxy.cookie)
            session = proxy.session(morsel.value if morsel else None)
            if session is None:
                self._drain()
                self._redirect(proxy.sign_in_url(self.path))
                return
            forward(self, proxy.app_port, keep_host=True, drop_headers=IDENTITY_HEADERS, add_headers={
                **proxy.forwarded_headers(session), "X-Forwarded-For": self.client_address[0],
                "X-Forwarded-Proto": "http", "X-Forwarded-Port": str(proxy.port)})

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle  # noqa: N815

        def _callback(self, query: dict[str, str]) -> None:
            if "error" in query or not query.get("code"):
                send_json(self, 401, {"detail": f"the hosted UI did not sign you in: {query.get('error', 'no code')}"})
                return
            try:
                session_id, path = proxy.complete_sign_in(query["code"], query.get("state", ""))
            except SignInError as error:
                send_json(self, 401, {"detail": str(error)})
                return
            self._redirect(path, f"{proxy.cookie}={session_id}; Path=/; HttpOnly; SameSite=Lax")

        def _drain(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)

        def _redirect(self, location: str, cookie: str | None = None) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Cache-Control", "no-store")
            if cookie:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler
