"""Acting as any user in an app's API tests: the bearer token is the user's sub (no token: alice); a service's
API key is checked for real. Real token checks are each app's auth integration tests."""
from __future__ import annotations

from fastapi import FastAPI

from modules.auth import Authenticator, Principal

DEFAULT_USER = "alice"


class UsersByToken(Authenticator):
    """Replacing the app's authenticator, not the dependency, keeps everything that identifies callers (the
    response cache too) keyed by the same caller the endpoints see."""

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__(None, api_key, DEFAULT_USER)

    def authenticate(self, bearer_token: str | None, api_key: str | None) -> Principal:
        return self.known_principal(bearer_token, api_key) or super().authenticate(bearer_token, api_key)

    def known_principal(self, bearer_token: str | None, api_key: str | None) -> Principal | None:
        if api_key is not None:
            return super().known_principal(None, api_key)
        return Principal.user(bearer_token or DEFAULT_USER)


def with_test_users(application: FastAPI, api_key: str | None = None) -> FastAPI:
    application.state.authenticator = UsersByToken(api_key)
    return application


def as_user(sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sub}"}
