"""The Lang Portal API's settings: the shared ones plus its database and service API key."""
from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from modules.settings import AppSettings

_URL_SCHEMES = {"postgres://": "postgresql+psycopg://", "postgresql://": "postgresql+psycopg://",
                "postgresql+psycopg://": "postgresql+psycopg://", "sqlite://": "sqlite://"}


class LangPortalSettings(AppSettings):
    service_name: str = "lang-portal-api"
    database_url: str = "sqlite:///./lang_portal.sqlite3"
    # RDS Proxy with IAM auth: the password is a fresh generate_db_auth_token per new connection.
    db_iam_auth: bool = False
    db_pool_size: int = Field(10, ge=1, le=100)
    db_max_overflow: int = Field(10, ge=0, le=100)
    db_connect_timeout_seconds: int = Field(5, ge=1, le=60)
    db_pool_timeout_seconds: float = Field(10, gt=0, le=60)
    health_timeout_seconds: float = Field(2.0, gt=0, le=10)
    # The key service callers (Vocab Generator, Writing Practice) send in X-Api-Key.
    lang_portal_api_key: SecretStr | None = None
    migrate_on_startup: bool = True
    # Per worker: bodies of cached read answers (modules/response_cache.py); 0 turns the cache off.
    response_cache_bytes: int = Field(64 * 1024 * 1024, ge=0)
    # Where each study activity's app lives, by project ({"writing-practice": "https://writing.app-dw.net"});
    # the deployment sets it from platform.toml. Unset: the seed's local addresses (apps on this machine).
    study_activity_urls: dict[str, str] | None = None

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        for prefix, driver in _URL_SCHEMES.items():
            if value.startswith(prefix):
                return driver + value[len(prefix):]
        raise ValueError("must be a sqlite:/// or postgresql:// URL")

    @field_validator("study_activity_urls")
    @classmethod
    def _web_addresses(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for project, url in (value or {}).items():
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"{project}: {url!r} is not an http(s):// address")
        return value

    @field_validator("lang_portal_api_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @model_validator(mode="after")
    def _iam_needs_postgres(self) -> "LangPortalSettings":
        if self.db_iam_auth and not self.is_postgres:
            raise ValueError("DB_IAM_AUTH needs a postgresql:// DATABASE_URL")
        if self.db_iam_auth and not self.aws_region:
            raise ValueError("DB_IAM_AUTH needs AWS_DEFAULT_REGION")
        return self

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def api_key(self) -> str | None:
        return self.lang_portal_api_key.get_secret_value() if self.lang_portal_api_key else None
