"""Settings from the environment, shared by every app (pydantic-settings).

Each app subclasses `AppSettings`; `load_settings` turns a validation failure into one
readable startup error that names every missing or bad variable.
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ECS_METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"


class SettingsError(RuntimeError):
    """The environment does not describe a runnable app; the message says what to fix."""


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False, frozen=True)

    service_name: str = "app"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Who may call: users with the pool's tokens (COGNITO_ISSUER), or - only when asked for - everyone as
    # LOCAL_USER (LOCAL_MODE=true, a developer machine). Neither: a web app refuses to start (modules.auth).
    local_mode: bool = False
    cognito_issuer: str | None = None
    cognito_jwks_url: str | None = None
    cognito_client_ids: Annotated[tuple[str, ...], NoDecode] = ()
    jwks_cache_seconds: int = Field(3600, ge=60, le=86400)
    jwks_min_refetch_seconds: float = Field(30.0, ge=0, le=3600)
    jwks_fetch_timeout_seconds: float = Field(3.0, gt=0, le=30)
    jwt_leeway_seconds: int = Field(30, ge=0, le=300)
    local_user: str = Field("local-user", pattern=r"^[A-Za-z0-9._@-]{1,128}$")

    # Requests. Larger bodies get 413 before they are read.
    max_request_bytes: int = Field(1_048_576, ge=1024)

    # AI endpoints (modules.ai_guard), per user and per process: a new generation spends one call, refilled at
    # AI_CALLS_PER_HOUR up to AI_CALL_BURST; answers kept for reuse (same input, any user allowed to see it).
    ai_calls_per_hour: int = Field(60, ge=1, le=100_000)
    ai_call_burst: int = Field(10, ge=1, le=1000)
    ai_reuse_entries: int = Field(10_000, ge=0, le=1_000_000)
    ai_reuse_seconds: int = Field(86_400, ge=0, le=30 * 86_400)

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
    # Where browsers fetch media without a signature: the site's CloudFront, which serves MEDIA_PREFIX of the
    # bucket at the same path (https://haiku.app-dw.net). Unset: presigned URLs, valid MEDIA_URL_SECONDS.
    media_base_url: str | None = None
    polly_voice_id: Literal["Kazuha", "Takumi"] = "Kazuha"
    aws_connect_timeout_seconds: float = Field(3.0, gt=0, le=60)
    aws_read_timeout_seconds: float = Field(30.0, gt=0, le=300)
    aws_max_attempts: int = Field(3, ge=1, le=10)  # every attempt counted, the first included

    # Telemetry (modules.telemetry): OpenTelemetry's standard variables, checked here like every other setting.
    # Off without OTEL_EXPORTER_OTLP_ENDPOINT (local mode, tests); the task definitions point it at the sidecar.
    otel_sdk_disabled: bool = False
    otel_exporter_otlp_endpoint: str | None = None  # the base URL: /v1/traces and /v1/metrics are added for http
    otel_exporter_otlp_protocol: Literal["grpc", "http/protobuf"] = "http/protobuf"
    otel_service_name: str | None = None  # the resource's service.name; SERVICE_NAME when unset
    otel_traces_sampler: Literal["always_on", "always_off", "traceidratio", "parentbased_always_on",
                                 "parentbased_always_off", "parentbased_traceidratio"] = "parentbased_always_on"
    otel_traces_sampler_arg: float = Field(1.0, ge=0, le=1)  # the traceidratio samplers' ratio
    otel_exporter_otlp_metrics_temporality_preference: Literal["cumulative", "delta", "lowmemory"] = "cumulative"
    otel_exporter_otlp_metrics_default_histogram_aggregation: Literal[
        "explicit_bucket_histogram", "base2_exponential_bucket_histogram"] = "explicit_bucket_histogram"
    otel_metric_export_interval: int = Field(60_000, ge=1000, le=3_600_000)  # milliseconds
    # Ours: traces a second each process takes before the traceidratio ratio (the X-Ray rule's reservoir),
    # and the build the image was made from (service.version; the app's own version when unset).
    traces_reservoir_per_second: int = Field(0, ge=0, le=10_000)
    service_version: str | None = Field(None, pattern=r"^[A-Za-z0-9._+-]{1,128}$")

    @field_validator("service_version", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value  # an image built without SERVICE_VERSION

    @field_validator("cognito_client_ids", mode="before")
    @classmethod
    def _split_client_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("cognito_issuer", "cognito_jwks_url", "media_base_url", "otel_exporter_otlp_endpoint")
    @classmethod
    def _https_or_loopback(cls, value: str | None) -> str | None:
        return checked_url(value, url_problem)

    @model_validator(mode="after")
    def _consistent_auth(self) -> "AppSettings":
        if self.cognito_issuer and not self.cognito_client_ids:
            raise ValueError("COGNITO_CLIENT_IDS is required when COGNITO_ISSUER is set")
        if self.local_mode and self.cognito_issuer:
            raise ValueError("LOCAL_MODE=true and COGNITO_ISSUER contradict each other: set one of them")
        if self.local_mode and os.environ.get(ECS_METADATA_VARIABLE):
            # Local mode trusts everyone; it must never be what a deployed task runs with.
            raise ValueError("LOCAL_MODE=true is refused on ECS (it is for development only): set COGNITO_ISSUER")
        if bool(self.guardrail_id) != bool(self.guardrail_version):
            raise ValueError("GUARDRAIL_ID and GUARDRAIL_VERSION must be set together")
        return self

    @property
    def jwks_url(self) -> str | None:
        if self.cognito_jwks_url:
            return self.cognito_jwks_url
        return f"{self.cognito_issuer}/.well-known/jwks.json" if self.cognito_issuer else None


ALB_ARN_PATTERN = (r"^arn:aws(-[a-z]+)*:elasticloadbalancing:[a-z]{2}(-[a-z]+)+-\d:\d{12}"
                   r":loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$")
LOCAL_LANG_PORTAL_API_URL = "http://127.0.0.1:8000"  # where `make run-lang-portal` serves it


class UiAppSettings(AppSettings):
    """A UI service behind the load balancer's sign-in (the Streamlit and Gradio apps): who is signed in comes
    from the ALB's headers (`modules.alb_identity`), and the Lang Portal API is called as that user
    (`modules.service_client`). Outside local mode ALB_ARN, COGNITO_ISSUER (with COGNITO_CLIENT_IDS, which must
    hold the ALB's app client) and LANG_PORTAL_API_URL are required."""

    # The load balancer that signs x-amzn-oidc-data: its ARN must equal the JWT header's `signer`.
    alb_arn: str | None = Field(None, pattern=ALB_ARN_PATTERN)
    # Where its public keys are (a PEM per kid under this base); default: the ALB's region's endpoint.
    alb_public_key_url: str | None = None
    staff_group: str = Field("staff", pattern=r"^[\w+=,.@-]{1,128}$")  # the Cognito group of staff (its name rules)
    lang_portal_api_url: str = LOCAL_LANG_PORTAL_API_URL
    outside_call_timeout_seconds: float = Field(30.0, gt=0, le=300)  # apps.md: 30-second timeouts on outside calls

    @field_validator("alb_public_key_url")
    @classmethod
    def _key_url(cls, value: str | None) -> str | None:
        return checked_url(value, url_problem)

    @field_validator("lang_portal_api_url")
    @classmethod
    def _service_url(cls, value: str) -> str:
        return checked_url(value, service_url_problem)

    @model_validator(mode="after")
    def _signed_in_at_the_load_balancer(self) -> "UiAppSettings":
        if self.local_mode:
            if self.alb_arn:
                raise ValueError("LOCAL_MODE=true and ALB_ARN contradict each other: set one of them")
            return self
        missing = [name for name, value in (("ALB_ARN", self.alb_arn), ("COGNITO_ISSUER", self.cognito_issuer))
                   if not value]
        if "lang_portal_api_url" not in self.model_fields_set:
            missing.append("LANG_PORTAL_API_URL")
        if missing:
            raise ValueError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required behind the load "
                             "balancer's sign-in, or LOCAL_MODE=true to run as the one local user (a developer "
                             "machine only)")
        if self.aws_region and self.aws_region != self.alb_region:
            raise ValueError(f"ALB_ARN is in {self.alb_region}, but AWS_DEFAULT_REGION is {self.aws_region}")
        return self

    @property
    def alb_region(self) -> str | None:
        return self.alb_arn.split(":")[3] if self.alb_arn else None

    @property
    def alb_keys_url(self) -> str | None:
        """The base the ALB's public keys are fetched from (`<base>/<kid>`)."""
        if self.alb_public_key_url:
            return self.alb_public_key_url
        return f"https://public-keys.auth.elb.{self.alb_region}.amazonaws.com" if self.alb_arn else None


def checked_url(value: str | None, problem_of: Callable[[str], str | None]) -> str | None:
    """`value` without a trailing slash, or ValueError saying what `problem_of` finds wrong with it."""
    if value is None:
        return None
    value = value.rstrip("/")
    problem = problem_of(value)
    if problem:
        raise ValueError(problem)
    return value

def url_problem(url: str) -> str | None:
    """Why `url` cannot be where keys or tokens come from, or where telemetry goes: it must be https:// with a
    host, or http:// to a loopback address (tests, a local identity provider, the task's collector sidecar);
    no user:password@ part. None when it is fine."""
    if any(character.isspace() or not character.isprintable() for character in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError as error:
        return f"must be a valid URL ({error})"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password (user@host)"
    if not parts.hostname:
        return "must name a host"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return None
    return "must be an https:// URL (http:// is accepted only for a loopback address such as 127.0.0.1)"



def service_url_problem(url: str) -> str | None:
    """Why `url` cannot be the base address of a service another app calls: http(s):// with a host, no
    user:password@ part, no query or fragment. Plain http is allowed to any host: in AWS the services reach
    each other inside the VPC through Cloud Map (`http://<service>.app-dw.internal:<port>`). None when fine."""
    problem = url_problem(url)
    if problem is None or problem.startswith("must be an https:// URL"):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return "must be an http:// or https:// URL"
        if parts.query or parts.fragment:
            return "must not contain a query (?) or fragment (#)"
        return None
    return problem

def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name, which DNS may resolve anywhere


SERVICE_API_KEY_MIN_CHARS = 16


def _long_enough_key(value: SecretStr) -> SecretStr:
    if len(value.get_secret_value()) < SERVICE_API_KEY_MIN_CHARS:
        raise ValueError(f"must be at least {SERVICE_API_KEY_MIN_CHARS} characters")
    return value


# The key a service presents in X-Api-Key (LANG_PORTAL_API_KEY): the API that checks it and the app that sends it
# read it the same way, as a secret never printed, long enough not to be guessed.
ServiceApiKey = Annotated[SecretStr, AfterValidator(_long_enough_key)]

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
