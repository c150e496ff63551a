"""Who is calling: a Cognito user (RS256 JWT checked against the pool's JWKS), a service
presenting the shared API key, or - in local mode only - the one local user.

Every failure is a 401 JSON answer; an unreachable JWKS endpoint is a 503, never a 500.
"""
from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import Scope

from modules.settings import AppSettings

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-Api-Key"
ALGORITHM = "RS256"  # pinned: alg=none and HS256 (key confusion) tokens are refused before any key is used
VERIFIED_TOKENS = 10_000  # tokens remembered as verified (until they expire), least recently used dropped


@dataclass(frozen=True)
class Principal:
    sub: str
    is_service: bool = False


SERVICE = Principal(sub="service", is_service=True)  # whoever presents the API key


class AuthError(Exception):
    """The caller is not authenticated; the message says why (it is returned to the caller)."""


class KeysUnavailable(Exception):
    """The signing keys cannot be fetched, so no token can be checked right now."""


class JwksCache:
    """The pool's signing keys by `kid`: cached for `ttl_seconds`, refetched early when an unknown
    `kid` appears (key rotation) but at most once per `min_refetch_seconds`, so random kids
    cannot make us hammer the endpoint. A failed refresh keeps serving the cached keys for at
    most one more `ttl_seconds`."""

    def __init__(self, url: str, *, ttl_seconds: float, min_refetch_seconds: float, timeout_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._client = httpx.Client(timeout=timeout_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None

    def key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            now = self._clock()
            expired = self._fetched_at is None or now - self._fetched_at >= self.ttl_seconds
            if expired or kid not in self._keys:
                self._refresh(now)
            if self._fetched_at is None or now - self._fetched_at >= 2 * self.ttl_seconds:
                raise KeysUnavailable("the identity provider's signing keys could not be fetched")
            found = self._keys.get(kid)
        if found is None:
            raise AuthError("token is signed with an unknown key")
        return found

    def _refresh(self, now: float) -> None:
        if self._attempted_at is not None and now - self._attempted_at < self.min_refetch_seconds:
            return
        self._attempted_at = now
        try:
            response = self._client.get(self.url)
            response.raise_for_status()
            keys = self._parse(response.json())
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("JWKS fetch failed", extra={"url": self.url, "error": repr(error)})
            return
        self._keys, self._fetched_at = keys, now
        logger.info("JWKS fetched", extra={"url": self.url, "kids": sorted(keys)})

    @staticmethod
    def _parse(document: object) -> dict[str, jwt.PyJWK]:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("JWKS document has no 'keys' list")
        keys = {}
        for entry in document["keys"]:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
                continue
            try:
                keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm=ALGORITHM)
            except (KeyError, jwt.PyJWTError):
                continue
        return keys


class CognitoVerifier:
    """Checks a Cognito access or id token and returns its `sub`. A verified token is remembered until
    its `exp`, so a client's next requests skip the signature check (and can be answered from caches
    that must not do I/O, see `Authenticator.known_principal`)."""

    def __init__(self, issuer: str, client_ids: tuple[str, ...], jwks: JwksCache, leeway_seconds: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self.client_ids = frozenset(client_ids)
        self.jwks = jwks
        self.leeway_seconds = leeway_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._verified: OrderedDict[str, tuple[str, float]] = OrderedDict()  # token -> (sub, exp)

    def verified_sub(self, token: str) -> str | None:
        """The sub of a token verified before and not expired yet; None otherwise."""
        with self._lock:
            found = self._verified.get(token)
            if found is None:
                return None
            if self._clock() >= found[1]:
                del self._verified[token]
                return None
            self._verified.move_to_end(token)
            return found[0]

    def verify(self, token: str) -> str:
        sub = self.verified_sub(token)
        if sub is not None:
            return sub
        sub, expires_at = self._check(token)
        with self._lock:
            self._verified[token] = (sub, expires_at)
            if len(self._verified) > VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        return sub

    def _check(self, token: str) -> tuple[str, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("token is not a well-formed JWT") from None
        if header.get("alg") != ALGORITHM:
            raise AuthError(f"token algorithm must be {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise AuthError("token header has no key id (kid)")
        key = self.jwks.key(kid)
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=self.issuer, leeway=self.leeway_seconds,
                                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False})
        except jwt.ExpiredSignatureError:
            raise AuthError("token has expired") from None
        except jwt.InvalidIssuerError:
            raise AuthError("token was issued by another issuer") from None
        except jwt.InvalidSignatureError:
            raise AuthError("token signature is invalid") from None
        except jwt.PyJWTError as error:
            raise AuthError(f"token is invalid: {error}") from None
        # Access tokens name the app client in `client_id`, id tokens in `aud`.
        audience_claim = {"access": "client_id", "id": "aud"}.get(claims["token_use"])
        if audience_claim is None:
            raise AuthError("token_use must be 'access' or 'id'")
        if claims.get(audience_claim) not in self.client_ids:
            raise AuthError("token was issued for another client")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise AuthError("token has no subject")
        return claims["sub"], float(claims["exp"])


class Authenticator:
    """Decides who the caller is from the Authorization and X-Api-Key headers."""

    def __init__(self, verifier: CognitoVerifier | None, api_key: str | None, local_user: str) -> None:
        self.verifier = verifier
        self.api_key = api_key
        self.local_user = local_user

    @classmethod
    def from_settings(cls, settings: AppSettings, api_key: str | None) -> "Authenticator":
        if settings.local_mode:
            logger.warning("LOCAL MODE: no COGNITO_ISSUER is set, so every request without an API key acts "
                           "as the single user %r. Never run like this outside a developer machine.",
                           settings.local_user)
            return cls(None, api_key, settings.local_user)
        jwks = JwksCache(settings.jwks_url, ttl_seconds=settings.jwks_cache_seconds,
                         min_refetch_seconds=settings.jwks_min_refetch_seconds,
                         timeout_seconds=settings.jwks_fetch_timeout_seconds)
        verifier = CognitoVerifier(settings.cognito_issuer, settings.cognito_client_ids, jwks,
                                   settings.jwt_leeway_seconds)
        return cls(verifier, api_key, settings.local_user)

    def authenticate(self, bearer_token: str | None, api_key: str | None) -> Principal:
        known = self.known_principal(bearer_token, api_key)
        if known is not None:
            return known
        if api_key is not None:
            raise AuthError("API key is not valid")
        if not bearer_token:
            raise AuthError("missing bearer token in the Authorization header")
        return Principal(sub=self.verifier.verify(bearer_token))

    def known_principal(self, bearer_token: str | None, api_key: str | None) -> Principal | None:
        """The caller when that is certain without I/O (local mode, a valid API key, a token verified
        earlier and unexpired); None when `authenticate` has to decide (and maybe answer an error)."""
        if api_key is not None:
            return SERVICE if self._valid_api_key(api_key) else None
        if self.verifier is None:
            return Principal(sub=self.local_user)
        sub = self.verifier.verified_sub(bearer_token) if bearer_token else None
        return Principal(sub=sub) if sub else None

    def _valid_api_key(self, api_key: str) -> bool:
        return self.api_key is not None and hmac.compare_digest(api_key.encode(), self.api_key.encode())


def credentials(scope: Scope) -> tuple[str | None, str | None]:
    """(bearer token, API key) of an ASGI request, read as `bearer_scheme` and `api_key_scheme` read them."""
    headers = Headers(scope=scope)
    scheme, token = get_authorization_scheme_param(headers.get("authorization"))
    return (token if scheme.lower() == "bearer" and token else None), headers.get(API_KEY_HEADER)


bearer_scheme = HTTPBearer(auto_error=False, description="A Cognito access or id token")
api_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="The service API key")


async def get_authenticator(request: Request) -> Authenticator:  # async: no thread hop for a lookup
    return request.app.state.authenticator


async def current_principal(credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
                            api_key: str | None = Depends(api_key_scheme),
                            authenticator: Authenticator = Depends(get_authenticator)) -> Principal:
    token = credentials.credentials if credentials else None
    known = authenticator.known_principal(token, api_key)
    if known is not None:
        return known  # no thread hop for the common case
    try:
        # On a thread: checking a new token may fetch the JWKS (blocking I/O).
        return await run_in_threadpool(authenticator.authenticate, token, api_key)
    except AuthError as error:
        raise HTTPException(401, detail=str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    except KeysUnavailable as error:
        raise HTTPException(503, detail=str(error)) from None
