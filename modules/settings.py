"""Settings from the environment, shared by every app (pydantic-settings).

Each app subclasses `AppSettings`; `load_settings` turns a validation failure into one
readable startup error that names every missing or bad variable.
"""
from __future__ import annotations

import os
from typing import Annotated, Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ECS_METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"


class SettingsError(RuntimeError):
    """The environment does not describe a runnable app; the message says what to fix."""


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, frozen=True)

    service_name: str = "app"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Cognito. Without an issuer the app runs in local mode: every request is LOCAL_USER.
    cognito_issuer: str | None = None
    cognito_jwks_url: str | None = None
    cognito_client_ids: Annotated[tuple[str, ...], NoDecode] = ()
    jwks_cache_seconds: int = Field(3600, ge=60, le=86400)
    jwks_min_refetch_seconds: float = Field(30.0, ge=0, le=3600)
    jwks_fetch_timeout_seconds: float = Field(3.0, gt=0, le=30)
    jwt_leeway_seconds: int = Field(30, ge=0, le=300)
    local_user: str = "local-user"

    # AWS. Each AWS-backed feature names the settings that enable it (see modules.aws).
    aws_region: str | None = Field(None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    bedrock_text_model_id: str = "anthropic.claude-3-haiku-20240307-v1:0"
    bedrock_image_model_id: str = "amazon.titan-image-generator-v2:0"
    guardrail_id: str | None = None
    guardrail_version: str | None = None
    guardrail_metric_namespace: str = "AppDw/Guardrails"
    guardrail_metric_name: str = "GuardrailViolations"
    media_bucket: str | None = None
    media_prefix: str = ""  # the app's folder in the shared media bucket, e.g. "lang-portal/" (IAM allows only it)
    media_url_seconds: int = Field(900, ge=60, le=43200)
    polly_voice_id: Literal["Kazuha", "Takumi"] = "Kazuha"
    aws_connect_timeout_seconds: float = Field(3.0, gt=0, le=60)
    aws_read_timeout_seconds: float = Field(30.0, gt=0, le=300)
    aws_max_attempts: int = Field(3, ge=1, le=10)  # every attempt counted, the first included

    @field_validator("cognito_client_ids", mode="before")
    @classmethod
    def _split_client_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("cognito_issuer", "cognito_jwks_url")
    @classmethod
    def _https_or_local(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.rstrip("/")
        if not (value.startswith("https://") or value.startswith("http://127.0.0.1")):
            raise ValueError("must be an https:// URL (http:// is accepted only for 127.0.0.1)")
        return value

    @model_validator(mode="after")
    def _consistent_auth(self) -> "AppSettings":
        if self.cognito_issuer and not self.cognito_client_ids:
            raise ValueError("COGNITO_CLIENT_IDS is required when COGNITO_ISSUER is set")
        if not self.cognito_issuer and os.environ.get(ECS_METADATA_VARIABLE):
            # Local mode trusts everyone; it must never be what a deployed task falls back to.
            raise ValueError("COGNITO_ISSUER is required when running on ECS (local mode is for development only)")
        if bool(self.guardrail_id) != bool(self.guardrail_version):
            raise ValueError("GUARDRAIL_ID and GUARDRAIL_VERSION must be set together")
        return self

    @property
    def local_mode(self) -> bool:
        return self.cognito_issuer is None

    @property
    def jwks_url(self) -> str | None:
        if self.cognito_jwks_url:
            return self.cognito_jwks_url
        return f"{self.cognito_issuer}/.well-known/jwks.json" if self.cognito_issuer else None


SettingsT = TypeVar("SettingsT", bound=AppSettings)


def load_settings(settings_class: type[SettingsT], **overrides: object) -> SettingsT:
    """Build settings from the environment, or raise SettingsError naming each bad variable."""
    try:
        return settings_class(**overrides)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            variable = "_".join(str(part) for part in item["loc"]).upper()
            problems.append(f"{variable}: {item['msg']}" if variable else item["msg"].removeprefix("Value error, "))
        raise SettingsError(f"invalid {settings_class.__name__} configuration: " + "; ".join(problems)) from None
