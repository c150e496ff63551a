"""A test pool: the local identity server (local_platform/identity.py) with one public app client whose callback and
sign-out URLs a test sets once it knows the SPA's origin, where anyone signs in by name, and which can be told to
sign the next access tokens with a key its JWKS does not list (what a pool's old key looks like to an API after a
rotation)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from local_platform.identity import AppClient, IdentityServer, OAuthError, SigningKey, TokenRequest, s256

__all__ = ["FakeCognito", "OAuthError", "TokenRequest", "s256"]


class FakeCognito(IdentityServer):
    """Start with `with FakeCognito() as cognito:`; set `callback_url` (and `sign_out_url`) before signing in."""

    def __init__(self, pool_id: str = "eu-west-1_E2ePool", client_id: str = "lang-portal-e2e-client",
                 groups: Mapping[str, Sequence[str]] | None = None) -> None:
        self.client_id = client_id
        self._unpublished_key = SigningKey("e2e-key-0")
        super().__init__([AppClient(client_id)], pool_id=pool_id)
        self.groups = {username: list(names) for username, names in (groups or {}).items()}

    def reset(self) -> None:
        """Forgets what earlier tests did and set; users keep their subs, so their data stays theirs."""
        super().reset()
        self.access_token_seconds = 3600
        self.unverifiable_access_tokens = 0  # how many next access tokens to sign with the unpublished key

    @property
    def callback_url(self) -> str | None:
        return next(iter(self.clients[self.client_id].callback_urls), None)

    @callback_url.setter
    def callback_url(self, url: str) -> None:
        self.clients[self.client_id].callback_urls = [url]

    @property
    def sign_out_url(self) -> str | None:
        return next(iter(self.clients[self.client_id].sign_out_urls), None)

    @sign_out_url.setter
    def sign_out_url(self, url: str) -> None:
        self.clients[self.client_id].sign_out_urls = [url]

    def _access_key(self) -> SigningKey:
        if self.unverifiable_access_tokens > 0:
            self.unverifiable_access_tokens -= 1
            return self._unpublished_key
        return super()._access_key()
