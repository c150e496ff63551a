"""The Lang Portal API's settings: the shared ones and the database's, plus its service API key, response
cache and study activity addresses."""
from __future__ import annotations

from pydantic import Field, field_validator

from modules.database import DatabaseSettings
from modules.settings import ServiceApiKey


class LangPortalSettings(DatabaseSettings):
    service_name: str = "lang-portal-api"
    database_url: str = "sqlite:///./lang_portal.sqlite3"
    # The key service callers (Vocab Generator, Writing Practice) send in X-Api-Key.
    lang_portal_api_key: ServiceApiKey | None = None
    # Per worker: bodies of cached read answers (modules/response_cache.py); 0 turns the cache off.
    response_cache_bytes: int = Field(64 * 1024 * 1024, ge=0)
    # Where each study activity's app lives, by project ({"writing-practice": "https://writing.app-dw.net"});
    # the deployment sets it from platform.toml. Unset: the seed's local addresses (apps on this machine).
    study_activity_urls: dict[str, str] | None = None

    @field_validator("study_activity_urls")
    @classmethod
    def _web_addresses(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for project, url in (value or {}).items():
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"{project}: {url!r} is not an http(s):// address")
        return value

    @property
    def api_key(self) -> str | None:
        return self.lang_portal_api_key.get_secret_value() if self.lang_portal_api_key else None
