"""Calls from one app to another app's API: the UI apps to the Lang Portal API as the signed-in user (or, for the
Vocab Generator's shared-vocabulary import, with the service key), the Vocab Generator's frontend to its backend.

JSON over one pooled httpx client per service, the apps' 30-second timeout on every outside call (apps.md), no
redirects followed, and typed errors whose message names the service and says what went wrong, for the app to
show as it is (`ServiceUnavailable`: cannot be reached, timed out, or answers 502/503/504; `ServiceRateLimited`;
`ServiceRefused`: any other error answer; `ServiceAnswerInvalid`: an answer that is not JSON).
"""
from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping

import httpx

from modules.alb_identity import SignedInUser
from modules.auth import API_KEY_HEADER
from modules.settings import UiAppSettings

logger = logging.getLogger(__name__)

LANG_PORTAL = "the Lang Portal API"
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})  # a proxy or the service itself says it cannot answer now
MAX_DETAIL_CHARS = 300  # of an error answer's detail, as the message repeats it


class ServiceCallFailed(Exception):
    """A call to `service` gave no answer the app can use; `str()` says which service and why."""

    def __init__(self, service: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.service = service
        self.status = status


class ServiceUnavailable(ServiceCallFailed):
    """The service cannot be reached, did not answer in time, or says it cannot answer now."""


class ServiceRefused(ServiceCallFailed):
    """The service answered with an error status; `detail` is what it said."""

    def __init__(self, service: str, message: str, status: int, detail: str) -> None:
        super().__init__(service, message, status)
        self.detail = detail


class ServiceRateLimited(ServiceRefused):
    """429: the caller should wait `retry_after_seconds` (None when the service did not say)."""

    def __init__(self, service: str, message: str, detail: str, retry_after_seconds: int | None) -> None:
        super().__init__(service, message, 429, detail)
        self.retry_after_seconds = retry_after_seconds


class ServiceAnswerInvalid(ServiceCallFailed):
    """A success status whose body is not JSON."""


class ServiceClient:
    """JSON calls to `service` (a name for messages, e.g. "the Lang Portal API") at `base_url`. `as_user` and
    `with_api_key` give clients with the caller's credentials that share this one's connections."""

    def __init__(self, service: str, base_url: str, *, timeout_seconds: float = 30.0) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_seconds, follow_redirects=False)
        self._headers: dict[str, str] = {}

    def as_user(self, user: SignedInUser) -> ServiceClient:
        """Calls as `user`: `Authorization: Bearer <their forwarded access token>` (none in local mode, where the
        APIs act as the local user anyway)."""
        return self._with({"Authorization": f"Bearer {user.access_token}"} if user.access_token else {})

    def with_api_key(self, api_key: str) -> ServiceClient:
        """Calls as the service (`X-Api-Key`): the Lang Portal accepts it only for shared-vocabulary imports."""
        return self._with({API_KEY_HEADER: api_key})

    def _with(self, headers: dict[str, str]) -> ServiceClient:
        bound = copy.copy(self)  # the same httpx client: one connection pool per service
        bound._headers = headers
        return bound

    def get(self, path: str, *, params: Mapping[str, str | int] | None = None) -> object:
        return self.request("GET", path, params=params)

    def post(self, path: str, *, json: object = None) -> object:
        return self.request("POST", path, json=json)

    def request(self, method: str, path: str, *, params: Mapping[str, str | int] | None = None,
                json: object = None) -> object:
        """The answer's JSON (None for an empty one), or a ServiceCallFailed naming the service."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        try:
            response = self._http.request(method, path, params=params, json=json, headers=self._headers)
        except httpx.TimeoutException:
            raise self._failed(ServiceUnavailable(
                self.service, f"{self.service} did not answer within {self.timeout_seconds:g} seconds"),
                method, path) from None
        except httpx.TransportError as error:
            raise self._failed(ServiceUnavailable(self.service, f"{self.service} cannot be reached right now"),
                               method, path, error) from None
        if response.is_success:
            return self._json(response, method, path)
        raise self._failed(self._error_answer(response), method, path)

    def _json(self, response: httpx.Response, method: str, path: str) -> object:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise self._failed(ServiceAnswerInvalid(self.service, f"{self.service} answered something that is "
                                                                  "not JSON", response.status_code),
                               method, path) from None

    def _error_answer(self, response: httpx.Response) -> ServiceCallFailed:
        status, detail = response.status_code, _detail(response)
        said = f" ({detail})" if detail else ""
        if status in UNAVAILABLE_STATUSES:
            return ServiceUnavailable(self.service, f"{self.service} is unavailable right now: {status}{said}; try "
                                                    "again shortly", status)
        if status == 429:
            retry_after = response.headers.get("retry-after", "")
            seconds = int(retry_after) if retry_after.isdigit() else None
            wait = f"try again in {seconds} seconds" if seconds is not None else "try again shortly"
            return ServiceRateLimited(self.service, f"{self.service} is limiting requests: {wait}{said}", detail,
                                      seconds)
        return ServiceRefused(self.service, f"{self.service} answered {status}{said}", status, detail)

    def _failed(self, error: ServiceCallFailed, method: str, path: str,
                cause: Exception | None = None) -> ServiceCallFailed:
        logger.warning("service call failed", extra={"service": self.service, "method": method, "path": path,
                                                     "status": error.status, "error": str(error),
                                                     **({"cause": repr(cause)} if cause else {})})
        return error

    def close(self) -> None:
        self._http.close()


def _detail(response: httpx.Response) -> str:
    """What an error answer says: its JSON `detail` (a 422's problems as `field: message`), else its text."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
    else:
        detail = body.get("detail") if isinstance(body, dict) else body
        if isinstance(detail, list):
            text = "; ".join(_problem(item) for item in detail)
        elif detail is None:
            text = ""
        else:
            text = detail if isinstance(detail, str) else json.dumps(detail)
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL_CHARS else text[:MAX_DETAIL_CHARS - 3] + "..."


def _problem(item: object) -> str:
    if isinstance(item, dict) and "msg" in item:
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
        return f"{where}: {item['msg']}" if where else str(item["msg"])
    return str(item)


def lang_portal_client(settings: UiAppSettings) -> ServiceClient:
    """The Lang Portal API at LANG_PORTAL_API_URL with the outside-call timeout; call `.as_user(user)` on it
    for each request (or `.with_api_key(key)` for the shared-vocabulary import)."""
    return ServiceClient(LANG_PORTAL, settings.lang_portal_api_url,
                         timeout_seconds=settings.outside_call_timeout_seconds)
