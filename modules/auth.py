"""Who is calling: a Cognito user (RS256 JWT checked against the pool's JWKS), a service
presenting the shared API key, or - in local mode only, which must be asked for - the one local user.

Every failure is a 401 JSON answer (whatever the token holds: claims of unexpected JSON types too); the API
key on an endpoint only users may call (`current_user`) is a 403; an unreachable JWKS endpoint is a 503, never
a 500. The key cache (`PublicKeyCache`) serves the pool's JWKS here and the load balancer's keys in
`modules.alb_identity`.
"""
from __future__ import annotations

import enum
import hmac
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import httpx
import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import Scope

from modules.app_metrics import AUTH_FAILURE_REASONS
from modules.settings import AppSettings, SettingsError
from modules.telemetry import record_auth_failure

logger = logging.getLogger(__name__)

API_KEY_HEADER = "X-Api-Key"
ALGORITHM = "RS256"  # pinned: alg=none and HS256 (key confusion) tokens are refused before any key is used
VERIFIED_TOKENS = 10_000  # tokens remembered as verified (until they expire), least recently used dropped
SERVICE_PREFIX = "service:"  # begins the key of every service principal, and of no user's
MAX_SUBJECT_LENGTH = 128  # the apps' owner columns hold this much
NO_AUTHENTICATION = (
    "no authentication is configured: set COGNITO_ISSUER (and COGNITO_CLIENT_IDS) to accept the user pool's "
    "tokens, or LOCAL_MODE=true to run without authentication, every caller acting as LOCAL_USER "
    "(a developer machine only)")


class PrincipalKind(enum.Enum):
    USER = "user"  # a person: a verified token's subject, or the local user
    SERVICE = "service"  # another app, by the shared API key


@dataclass(frozen=True)
class Principal:
    """Who is calling. `sub` is the key of everything the principal owns (rows, cached answers, AI calls):
    a user's is the token's subject as it is, so rows stored before principals had kinds keep their owner;
    a service's is `service:<name>`. The kinds' keys never meet: a user's may not start with `service:`
    (Cognito's subjects are UUIDs; a token claiming such a subject is refused), so no token can act as a
    service or see what a service owns."""

    kind: PrincipalKind
    sub: str
    groups: frozenset[str] = field(default=frozenset())  # cognito:groups, e.g. staff

    def __post_init__(self) -> None:
        if self.is_service != self.sub.startswith(SERVICE_PREFIX):
            raise ValueError(f"a {self.kind.value} principal's key must {'' if self.is_service else 'not '}"
                             f"start with {SERVICE_PREFIX!r}: {self.sub!r}")

    @classmethod
    def user(cls, sub: str, groups: frozenset[str] = frozenset()) -> "Principal":
        return cls(PrincipalKind.USER, sub, groups)

    @classmethod
    def service(cls, name: str) -> "Principal":
        return cls(PrincipalKind.SERVICE, SERVICE_PREFIX + name)

    @property
    def is_service(self) -> bool:
        return self.kind is PrincipalKind.SERVICE


SERVICE = Principal.service("api-key")  # whoever presents the API key


class AuthError(Exception):
    """The caller is not authenticated; the message says why (it is returned to the caller), `reason` which
    of `AUTH_FAILURE_REASONS` it is (the failure metric's dimension)."""

    def __init__(self, message: str, reason: str = "invalid_claims") -> None:
        if reason not in AUTH_FAILURE_REASONS:
            raise ValueError(f"unknown authentication failure reason {reason!r}")
        super().__init__(message)
        self.reason = reason


class KeysUnavailable(Exception):
    """The signing keys cannot be fetched, so no token can be checked right now."""


KeyT = TypeVar("KeyT")
MAX_KEY_SOURCES = 64  # addresses keys are fetched from (one per kid for the ALB), keyless ones forgotten first


@dataclass
class _KeySource:
    """One address keys come from: the pool's JWKS (every kid), or the ALB's endpoint for one kid."""
    keys: dict[str, object] = field(default_factory=dict)
    fetched_at: float | None = None  # when the address last answered (with keys, or that it has none)
    attempted_at: float | None = None
    failed: bool = False  # the last attempt got no usable answer
    in_flight: threading.Event | None = None  # set when that fetch has ended


class PublicKeyCache(Generic[KeyT]):
    """Public keys by `kid`: cached for `ttl_seconds`, refetched early when an unknown `kid` appears (key
    rotation) but at most once per `min_refetch_seconds` from each address, so random kids cannot make us
    hammer the endpoint. A failed refresh keeps serving the cached keys for at most one more `ttl_seconds`.
    Subclasses say where a kid's key is (`source_url`) and how an answer is read (`_keys_in`): a JWKS holds
    every key at one address; the ALB's endpoint serves one PEM per kid, so there each kid is an address of
    its own (at most MAX_KEY_SOURCES of them, so new addresses are tried no more often than that per interval).

    One fetch per address at a time: callers that need keys while it is in flight wait for it, at most
    `timeout_seconds` (the fetch's own timeout), then use whatever keys there are. The lock guards only the
    state, never the network, so callers whose key is cached are not held up by a slow fetch."""

    def __init__(self, url: str, *, ttl_seconds: float, min_refetch_seconds: float, timeout_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self.timeout_seconds = timeout_seconds
        self._client = httpx.Client(timeout=timeout_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._sources: dict[str, _KeySource] = {}

    def source_url(self, kid: str) -> str:
        """Where the key of `kid` is fetched from; raises AuthError for a kid that cannot be looked up."""
        raise NotImplementedError

    def _keys_in(self, response: httpx.Response, kid: str) -> dict[str, KeyT]:
        """The keys an answer holds (empty: the address says it has none); httpx.HTTPError or ValueError when
        it is no usable answer."""
        raise NotImplementedError

    def key(self, kid: str) -> KeyT:
        url = self.source_url(kid)
        fetching = waiting_for = None
        with self._lock:
            now = self._clock()
            source = self._source(url, now)
            if source is None:
                raise AuthError("token is signed with an unknown key", "unknown_key")
            fresh = source.fetched_at is not None and now - source.fetched_at < self.ttl_seconds
            if not fresh or kid not in source.keys:
                if source.in_flight is not None:
                    waiting_for = source.in_flight
                elif source.attempted_at is None or now - source.attempted_at >= self.min_refetch_seconds:
                    source.attempted_at = now
                    fetching = source.in_flight = threading.Event()
        if fetching is not None:
            keys = None
            try:
                keys = self._fetch(url, kid)
            finally:
                with self._lock:
                    source.in_flight = None
                    if keys is None:
                        source.failed = True
                    else:
                        source.keys, source.fetched_at, source.failed = keys, now, False
                fetching.set()
        elif waiting_for is not None:
            waiting_for.wait(self.timeout_seconds)
        with self._lock:
            usable = source.fetched_at is not None and self._clock() - source.fetched_at < 2 * self.ttl_seconds
            found = source.keys.get(kid) if usable else None
            if found is None and (not usable or source.failed):
                raise KeysUnavailable("the identity provider's signing keys could not be fetched")
        if found is None:
            raise AuthError("token is signed with an unknown key", "unknown_key")
        return found

    def _source(self, url: str, now: float) -> _KeySource | None:
        """The state of `url` (under the lock); None when too many addresses were tried lately to try another."""
        source = self._sources.get(url)
        if source is None:
            if len(self._sources) >= MAX_KEY_SOURCES:
                for stale in [address for address, known in self._sources.items()
                              if not known.keys and known.in_flight is None
                              and now - (known.attempted_at or now) >= self.min_refetch_seconds]:
                    del self._sources[stale]
            if len(self._sources) >= MAX_KEY_SOURCES:
                return None
            source = self._sources[url] = _KeySource()
        return source

    def _fetch(self, url: str, kid: str) -> dict[str, KeyT] | None:
        try:
            keys = self._keys_in(self._client.get(url), kid)
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("signing key fetch failed", extra={"url": url, "error": repr(error)})
            return None
        logger.info("signing keys fetched", extra={"url": url, "kids": sorted(keys)})
        return keys


class JwksCache(PublicKeyCache[jwt.PyJWK]):
    """The user pool's signing keys: one JWKS document at `url` lists them all."""

    def source_url(self, kid: str) -> str:
        return self.url

    def _keys_in(self, response: httpx.Response, kid: str) -> dict[str, jwt.PyJWK]:
        response.raise_for_status()
        document = response.json()
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
    """Checks a Cognito access or id token and returns its user. A verified token is remembered until
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
        self._verified: OrderedDict[str, tuple[Principal, int]] = OrderedDict()  # token -> (user, exp)

    @classmethod
    def from_settings(cls, settings: AppSettings) -> "CognitoVerifier":
        """The pool of COGNITO_ISSUER, accepting the clients of COGNITO_CLIENT_IDS (settings require both)."""
        jwks = JwksCache(settings.jwks_url, ttl_seconds=settings.jwks_cache_seconds,
                         min_refetch_seconds=settings.jwks_min_refetch_seconds,
                         timeout_seconds=settings.jwks_fetch_timeout_seconds)
        return cls(settings.cognito_issuer, settings.cognito_client_ids, jwks, settings.jwt_leeway_seconds)

    def verified(self, token: str) -> Principal | None:
        """The user of a token verified before and not expired yet; None otherwise."""
        with self._lock:
            found = self._verified.get(token)
            if found is None:
                return None
            if self._clock() >= found[1]:
                del self._verified[token]
                return None
            self._verified.move_to_end(token)
            return found[0]

    def verify(self, token: str) -> Principal:
        user = self.verified(token)
        if user is not None:
            return user
        user, expires_at = self._check(token)
        with self._lock:
            self._verified[token] = (user, expires_at)
            if len(self._verified) > VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        return user

    def _check(self, token: str) -> tuple[Principal, int]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("token is not a well-formed JWT", "malformed_token") from None
        if header.get("alg") != ALGORITHM:
            raise AuthError(f"token algorithm must be {ALGORITHM}", "wrong_algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise AuthError("token header has no key id (kid)", "malformed_token")
        key = self.jwks.key(kid)
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=self.issuer, leeway=self.leeway_seconds,
                                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False})
        except jwt.ExpiredSignatureError:
            raise AuthError("token has expired", "expired") from None
        except jwt.InvalidIssuerError:
            raise AuthError("token was issued by another issuer", "wrong_issuer") from None
        except jwt.InvalidSignatureError:
            raise AuthError("token signature is invalid", "bad_signature") from None
        except jwt.PyJWTError as error:
            raise AuthError(f"token is invalid: {error}") from None
        # Signed by the pool, yet each claim is checked for its JSON type before it is used.
        self._check_client(claims)
        user = Principal.user(user_subject(claims.get("sub")), _groups(claims.get("cognito:groups", [])))
        if "scope" in claims and not isinstance(claims["scope"], str):
            raise AuthError("token claim 'scope' must be a string")
        return user, int(claims["exp"])  # PyJWT checked that it is an integer

    def _check_client(self, claims: dict) -> None:
        """Access tokens name the app client in `client_id`, id tokens in `aud`: a string, or (RFC 7519) a
        list of strings, which must contain a configured client."""
        token_use = claims.get("token_use")
        if token_use == "access":
            client = claims.get("client_id")
            if not isinstance(client, str):
                raise AuthError("token claim 'client_id' must be a string")
            accepted = client in self.client_ids
        elif token_use == "id":
            audience = claims.get("aud")
            audiences = [audience] if isinstance(audience, str) else audience
            if not isinstance(audiences, list) or not all(isinstance(item, str) for item in audiences):
                raise AuthError("token claim 'aud' must be a string or a list of strings")
            accepted = not self.client_ids.isdisjoint(audiences)
        else:
            raise AuthError("token_use must be 'access' or 'id'")
        if not accepted:
            raise AuthError("token was issued for another client", "wrong_client")


def user_subject(sub: object) -> str:
    """A token's `sub` as a user's key, or AuthError saying what is wrong with it."""
    if not isinstance(sub, str) or not sub:
        raise AuthError("token has no subject")
    if len(sub) > MAX_SUBJECT_LENGTH or not sub.isprintable():
        raise AuthError(f"token subject must be at most {MAX_SUBJECT_LENGTH} printable characters")
    if sub.startswith(SERVICE_PREFIX):
        raise AuthError(f"token subject must not start with {SERVICE_PREFIX!r} (reserved for services)")
    return sub


def _groups(groups: object) -> frozenset[str]:
    if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
        raise AuthError("token claim 'cognito:groups' must be a list of strings")
    return frozenset(groups)


class Authenticator:
    """Decides who the caller is from the Authorization and X-Api-Key headers."""

    def __init__(self, verifier: CognitoVerifier | None, api_key: str | None, local_user: str) -> None:
        self.verifier = verifier
        self.api_key = api_key
        self.local_user = Principal.user(local_user)

    @classmethod
    def from_settings(cls, settings: AppSettings, api_key: str | None) -> "Authenticator":
        """Cognito when COGNITO_ISSUER is set, local mode when LOCAL_MODE=true (settings refuse both at
        once); neither is a SettingsError: running without authentication must be asked for."""
        if settings.local_mode:
            logger.warning("LOCAL MODE: LOCAL_MODE=true, so every request without an API key acts as the "
                           "single user %r. Never run like this outside a developer machine.", settings.local_user)
            return cls(None, api_key, settings.local_user)
        if not settings.cognito_issuer:
            raise SettingsError(NO_AUTHENTICATION)
        return cls(CognitoVerifier.from_settings(settings), api_key, settings.local_user)

    def authenticate(self, bearer_token: str | None, api_key: str | None) -> Principal:
        known = self.known_principal(bearer_token, api_key)
        if known is not None:
            return known
        if api_key is not None:
            raise AuthError("API key is not valid", "invalid_api_key")
        if not bearer_token:
            raise AuthError("missing bearer token in the Authorization header", "missing_credentials")
        return self.verifier.verify(bearer_token)

    def known_principal(self, bearer_token: str | None, api_key: str | None) -> Principal | None:
        """The caller when that is certain without I/O (local mode, a valid API key, a token verified
        earlier and unexpired); None when `authenticate` has to decide (and maybe answer an error)."""
        if api_key is not None:
            return SERVICE if self._valid_api_key(api_key) else None
        if self.verifier is None:
            return self.local_user
        return self.verifier.verified(bearer_token) if bearer_token else None

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
        record_auth_failure(error.reason)
        raise HTTPException(401, detail=str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    except KeysUnavailable as error:
        raise HTTPException(503, detail=str(error)) from None


SERVICE_REFUSED = "this endpoint is for users: call it with the signed-in user's access token, not the service API key"


async def current_user(principal: Principal = Depends(current_principal)) -> Principal:
    """The caller, who must be a user (a token, or the local user): a service's API key is refused with 403 here,
    so the key works only where an endpoint asks for `current_principal` itself."""
    if principal.is_service:
        raise HTTPException(403, detail=SERVICE_REFUSED)
    return principal
