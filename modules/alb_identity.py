"""Who signed in at the load balancer, verified: the identity the ALB's `authenticate-cognito` action forwards to
the UI apps (the Vocab Generator's Streamlit frontend, Writing Practice's Gradio app).

Behind such a listener rule the ALB sends each request on with (AWS: "Authenticate users using an Application
Load Balancer", user claims encoding and signature verification):

- `x-amzn-oidc-data`: the user's claims from the pool's userinfo endpoint (`sub`, `email`, ...) in a JWT the ALB
  signs itself with ES256. Its header names the key (`kid`, a UUID), the signing load balancer (`signer`, its
  ARN), the app client (`client`) and `exp`. The public key is a PEM per kid at
  `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>` (not a JWKS). Its parts are base64url *with*
  padding, which RFC 7515 does not allow and some JWT libraries refuse; PyJWT reads both (tested).
- `x-amzn-oidc-accesstoken`: the user's Cognito access token (RS256, the pool's JWKS), issued to the ALB's app
  client. It carries `cognito:groups`, which userinfo does not, so the groups (staff) come from it, and it is
  what the app sends to the Lang Portal API as `Authorization: Bearer`.
- `x-amzn-oidc-identity`: the subject again, unsigned; not used.

Both tokens are verified, and must name the same user. Anything else is refused with a message saying why
(`SignInRefused`: 401 not signed in, 403 not staff, 503 keys unavailable), answered as a small HTML page to a
browser and as JSON otherwise, never the app and never a stack trace.

Local mode (LOCAL_MODE=true, no ALB) acts as the one local user, as the APIs do, and that user counts as staff:
local mode runs only on a developer's machine (it is refused on ECS), where the developer is the operator, and the
Vocab Generator (staff only) must be usable there (docs/decisions.md).

What an app uses:
- `SignIn.from_settings(settings)` once at startup (`UiAppSettings`);
- `sign_in.identify(headers, staff_only=...)`: the plain function, for code that sees only a headers mapping
  (Streamlit's `st.context.headers`, Gradio's `gr.Request.headers`); raises `SignInRefused`;
- `SignInMiddleware`: every request of an ASGI app (Gradio mounted in FastAPI, a FastAPI UI) but its health paths
  is verified before the app sees it;
- `signed_in_user` / `staff_user`: FastAPI dependencies (the user the middleware verified, or verified here; a
  refusal is rendered by the handler `create_web_app` installs).
"""
from __future__ import annotations

import html
import logging
import math
import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

import httpx
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from modules.app_metrics import AUTH_FAILURE_REASONS
from modules.auth import AuthError, CognitoVerifier, KeysUnavailable, Principal, PublicKeyCache, user_subject
from modules.settings import UiAppSettings
from modules.telemetry import record_auth_failure

logger = logging.getLogger(__name__)

OIDC_DATA_HEADER = "x-amzn-oidc-data"
ACCESS_TOKEN_HEADER = "x-amzn-oidc-accesstoken"
ALGORITHM = "ES256"  # the only one the ALB uses; pinned, so no other key type or alg=none is ever tried
MAX_TOKEN_CHARS = 16_384  # the ALB passes on at most 11 KB of user claims; access tokens are a few KB
MAX_PEM_BYTES = 4096  # a P-256 public key's PEM is under 200 bytes
KID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
HEALTH_PATHS = ("/health", "/healthz")  # the target groups' and containers' checks: no identity comes with them
STATE_KEY = "signed_in_user"  # where SignInMiddleware leaves the verified user in the request's state


@dataclass(frozen=True)
class SignedInUser:
    """The person a request acts for. `principal` carries the key (`sub`) and groups (from the verified access
    token); `access_token` is what the Lang Portal API is called with (None in local mode, where it needs none)."""

    principal: Principal
    email: str | None
    access_token: str | None
    is_staff: bool

    @property
    def sub(self) -> str:
        return self.principal.sub

    @property
    def name(self) -> str:
        """How the user is named to them: the email, else the subject."""
        return self.email or self.sub


class SignInRefused(Exception):
    """The request may not reach the app; `str()` says why (it is shown to the caller)."""

    status = 401
    title = "Sign-in required"
    advice = ("This app opens through the app-dw sign-in. Reload the page to sign in again; if this page keeps "
              "coming back, tell the platform team what it says above.")


class NotSignedIn(SignInRefused):
    """No valid identity from the load balancer; `reason`: which of `AUTH_FAILURE_REASONS` (the failure metric's
    dimension, counted by `SignIn.identify`)."""

    def __init__(self, message: str, reason: str = "invalid_claims") -> None:
        if reason not in AUTH_FAILURE_REASONS:
            raise ValueError(f"unknown authentication failure reason {reason!r}")
        super().__init__(message)
        self.reason = reason


class NotStaff(SignInRefused):
    status = 403
    title = "Staff only"
    advice = "This app is for staff. Ask the platform team to add your account to the staff group if you need it."


class SignInUnavailable(SignInRefused):
    """The identity cannot be checked right now (the signing keys cannot be fetched)."""

    status = 503
    title = "Sign-in unavailable"
    advice = "The sign-in could not be checked just now. Try again in a few seconds."


class AlbPublicKeys(PublicKeyCache[ec.EllipticCurvePublicKey]):
    """The ALB's signing keys: `<url>/<kid>` answers one PEM, so each kid is fetched (and rate limited) on its
    own; 403 and 404 mean there is no such key."""

    def source_url(self, kid: str) -> str:
        if not KID.fullmatch(kid):
            raise AuthError("token key id (kid) is not a UUID, as the load balancer's are", "malformed_token")
        return f"{self.url}/{kid}"

    def _keys_in(self, response: httpx.Response, kid: str) -> dict[str, ec.EllipticCurvePublicKey]:
        if response.status_code in (403, 404):
            return {}
        response.raise_for_status()
        if len(response.content) > MAX_PEM_BYTES:
            raise ValueError(f"the key answer is larger than {MAX_PEM_BYTES} bytes")
        try:
            key = load_pem_public_key(response.content)
        except (ValueError, TypeError, UnsupportedAlgorithm) as error:
            raise ValueError(f"the key answer is not a PEM public key: {error}") from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("the key answer is not a P-256 (ES256) public key")
        return {kid: key}


class AlbIdentityVerifier:
    """Checks the two headers the ALB forwards; returns the user, their email and the access token."""

    def __init__(self, alb_arn: str, client_ids: Collection[str], keys: AlbPublicKeys,
                 access_tokens: CognitoVerifier, leeway_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.alb_arn = alb_arn
        self.client_ids = frozenset(client_ids)
        self.keys = keys
        self.access_tokens = access_tokens
        self.leeway_seconds = leeway_seconds
        self._clock = clock

    def verify(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[Principal, str | None, str]:
        """`headers`: a mapping or (name, value) pairs, names in any case. A header sent twice (Starlette's
        `Headers` keeps both) is refused."""
        headers = list(headers.items() if isinstance(headers, Mapping) else headers)
        data = _forwarded(headers, OIDC_DATA_HEADER)
        if data is None:
            raise NotSignedIn(f"the request has no {OIDC_DATA_HEADER} header: it did not come through the load "
                              "balancer's sign-in", "missing_credentials")
        sub, email = self._claims(data)
        access_token = _forwarded(headers, ACCESS_TOKEN_HEADER)
        if access_token is None:
            raise NotSignedIn(f"the request has no {ACCESS_TOKEN_HEADER} header", "missing_credentials")
        try:
            principal = self.access_tokens.verify(access_token)
        except AuthError as error:
            raise NotSignedIn(f"{ACCESS_TOKEN_HEADER}: {error}", error.reason) from None
        except KeysUnavailable as error:
            raise SignInUnavailable(str(error)) from None
        if principal.sub != sub:
            raise NotSignedIn(f"{ACCESS_TOKEN_HEADER} belongs to another user than {OIDC_DATA_HEADER}",
                              "mismatched_user")
        return principal, email, access_token

    def _claims(self, data: str) -> tuple[str, str | None]:
        """(sub, email) of a valid x-amzn-oidc-data."""
        try:
            header = jwt.get_unverified_header(data)
        except jwt.PyJWTError:
            raise NotSignedIn(f"{OIDC_DATA_HEADER} is not a well-formed JWT", "malformed_token") from None
        if header.get("alg") != ALGORITHM:
            raise NotSignedIn(f"{OIDC_DATA_HEADER} must be signed with {ALGORITHM}", "wrong_algorithm")
        # Before any key is fetched: a token another load balancer (or anyone) signed gets nothing from us.
        if header.get("signer") != self.alb_arn:
            raise NotSignedIn(f"{OIDC_DATA_HEADER} was signed by another load balancer than ALB_ARN",
                              "wrong_load_balancer")
        client = header.get("client")
        if not isinstance(client, str) or client not in self.client_ids:
            raise NotSignedIn(f"{OIDC_DATA_HEADER} was issued for an app client not in COGNITO_CLIENT_IDS",
                              "wrong_client")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise NotSignedIn(f"{OIDC_DATA_HEADER} has no key id (kid)", "malformed_token")
        try:
            key = self.keys.key(kid)
        except AuthError as error:
            raise NotSignedIn(f"{OIDC_DATA_HEADER}: {error}", error.reason) from None
        except KeysUnavailable:
            raise SignInUnavailable("the load balancer's signing keys could not be fetched") from None
        try:
            claims = jwt.decode(data, key, algorithms=[ALGORITHM], leeway=self.leeway_seconds,
                                options={"require": ["sub"], "verify_aud": False})
        except jwt.ExpiredSignatureError:
            raise NotSignedIn(f"{OIDC_DATA_HEADER} has expired", "expired") from None
        except jwt.InvalidSignatureError:
            raise NotSignedIn(f"{OIDC_DATA_HEADER} signature is invalid", "bad_signature") from None
        except jwt.PyJWTError as error:
            raise NotSignedIn(f"{OIDC_DATA_HEADER} is invalid: {error}") from None
        self._check_expiry(header, claims)
        try:
            sub = user_subject(claims["sub"])
        except AuthError as error:
            raise NotSignedIn(f"{OIDC_DATA_HEADER}: {error}", error.reason) from None
        email = claims.get("email")
        if email is not None and not isinstance(email, str):
            raise NotSignedIn(f"{OIDC_DATA_HEADER} claim 'email' must be a string")
        return sub, email

    def _check_expiry(self, header: dict, claims: dict) -> None:
        """The ALB puts `exp` in the JWT header (PyJWT checked the payload's, if it has one): one must be there,
        and the header's must be a number of seconds not past."""
        if "exp" not in header:
            if "exp" not in claims:
                raise NotSignedIn(f"{OIDC_DATA_HEADER} has no expiry (exp)")
            return
        expires = header["exp"]
        if isinstance(expires, bool) or not isinstance(expires, int | float) or (
                isinstance(expires, float) and not math.isfinite(expires)):
            raise NotSignedIn(f"{OIDC_DATA_HEADER} header 'exp' must be a number")
        if self._clock() >= expires + self.leeway_seconds:
            raise NotSignedIn(f"{OIDC_DATA_HEADER} has expired", "expired")


def _forwarded(headers: list[tuple[str, str]], name: str) -> str | None:
    """The one value of header `name` (any case), None when absent. Sent twice, or oversized, it is not the ALB's."""
    values = [value for key, value in headers if key.lower() == name]
    if not values:
        return None
    if len(values) > 1:
        raise NotSignedIn(f"the request has more than one {name} header", "malformed_token")
    if len(values[0]) > MAX_TOKEN_CHARS:
        raise NotSignedIn(f"{name} is longer than {MAX_TOKEN_CHARS} characters", "malformed_token")
    return values[0]


class SignIn:
    """Who a request acts for: the ALB's verified identity, or in local mode the one local user."""

    def __init__(self, verifier: AlbIdentityVerifier | None, staff_group: str, local_user: str) -> None:
        self.verifier = verifier
        self.staff_group = staff_group
        self.local_user = SignedInUser(Principal.user(local_user, frozenset({staff_group})), email=None,
                                       access_token=None, is_staff=True)

    @classmethod
    def from_settings(cls, settings: UiAppSettings) -> "SignIn":
        """Local mode when LOCAL_MODE=true (said at startup), otherwise the ALB of ALB_ARN (settings make sure
        ALB_ARN and the pool are configured)."""
        if settings.local_mode:
            logger.warning("LOCAL MODE: LOCAL_MODE=true, so every request acts as the single user %r, who counts "
                           "as staff, and no load balancer identity is checked. Never run like this outside a "
                           "developer machine.", settings.local_user)
            return cls(None, settings.staff_group, settings.local_user)
        keys = AlbPublicKeys(settings.alb_keys_url, ttl_seconds=settings.jwks_cache_seconds,
                             min_refetch_seconds=settings.jwks_min_refetch_seconds,
                             timeout_seconds=settings.jwks_fetch_timeout_seconds)
        verifier = AlbIdentityVerifier(settings.alb_arn, settings.cognito_client_ids, keys,
                                       CognitoVerifier.from_settings(settings), settings.jwt_leeway_seconds)
        logger.info("sign-in: the identity of load balancer %s, its keys from %s", settings.alb_arn,
                    settings.alb_keys_url)
        return cls(verifier, settings.staff_group, settings.local_user)

    def identify(self, headers: Mapping[str, str] | Iterable[tuple[str, str]], *,
                 staff_only: bool = False) -> SignedInUser:
        """The user of a request with these headers; SignInRefused (NotSignedIn, NotStaff, SignInUnavailable)
        otherwise; a NotSignedIn is counted in the authentication failures by its reason. May fetch a signing key
        (blocking I/O): from async code call it on a thread."""
        if self.verifier is None:
            return self.local_user
        try:
            principal, email, access_token = self.verifier.verify(headers)
        except NotSignedIn as refusal:
            record_auth_failure(refusal.reason)
            raise
        user = SignedInUser(principal, email, access_token, is_staff=self.staff_group in principal.groups)
        if staff_only:
            require_staff(user)
        return user


def require_staff(user: SignedInUser) -> SignedInUser:
    if not user.is_staff:
        raise NotStaff(f"you are signed in as {user.name}, who is not in the staff group")
    return user


REFUSAL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>{title}</title><link rel="icon" href="data:,"></head>
<body><main><h1>{title}</h1><p>The request was refused: {reason}.</p><p>{advice}</p></main></body></html>"""
# The page has no script, style or image: nothing may load, nothing may frame it.
REFUSAL_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def refusal_response(refusal: SignInRefused, accept: str | None) -> Response:
    """The answer to a refused request: an HTML page for a browser (its Accept names text/html), else
    `{"detail": <why>}`. 401s carry the challenge RFC 9110 asks for: the load balancer's sign-in."""
    reason = str(refusal)
    headers = {"Cache-Control": "no-store"}
    if refusal.status == 401:
        headers["WWW-Authenticate"] = 'ALB-Cognito realm="app-dw"'  # no header a client sends can answer it
    elif refusal.status == 503:
        headers["Retry-After"] = "5"
    if "text/html" not in (accept or ""):
        return JSONResponse({"detail": reason}, status_code=refusal.status, headers=headers)
    page = REFUSAL_PAGE.format(title=html.escape(refusal.title), reason=html.escape(reason),
                               advice=html.escape(refusal.advice))
    return HTMLResponse(page, status_code=refusal.status,
                        headers={**headers, "Content-Security-Policy": REFUSAL_POLICY})


class SignInMiddleware:
    """Verifies every HTTP and websocket request before the app sees it (but `open_paths`, the health checks);
    the user is left in the request's state (`signed_in_user` reads it). A refused HTTP request gets
    `refusal_response`, a refused websocket is closed before it is accepted (the server answers 403)."""

    def __init__(self, app: ASGIApp, *, sign_in: SignIn, staff_only: bool = False,
                 open_paths: Collection[str] = HEALTH_PATHS) -> None:
        self.app = app
        self.sign_in = sign_in
        self.staff_only = staff_only
        self.open_paths = frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        try:
            user = await run_in_threadpool(self.sign_in.identify, headers, staff_only=self.staff_only)
        except SignInRefused as refusal:
            logger.info("request refused", extra={"status": refusal.status, "reason": str(refusal)})
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": str(refusal)[:120]})
            else:
                await refusal_response(refusal, headers.get("accept"))(scope, receive, send)
            return
        scope.setdefault("state", {})[STATE_KEY] = user
        await self.app(scope, receive, send)


async def signed_in_user(request: Request) -> SignedInUser:
    """The request's user: as SignInMiddleware verified it, or verified now with `app.state.sign_in`."""
    known = request.scope.get("state", {}).get(STATE_KEY)
    if known is not None:
        return known
    sign_in: SignIn | None = getattr(request.app.state, "sign_in", None)
    if sign_in is None:
        raise RuntimeError("signed_in_user needs SignInMiddleware around the app or app.state.sign_in")
    return await run_in_threadpool(sign_in.identify, request.headers)


async def staff_user(user: SignedInUser = Depends(signed_in_user)) -> SignedInUser:
    return require_staff(user)
