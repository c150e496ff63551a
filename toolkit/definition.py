"""The platform definition: typed, validated, one place.

`platform.toml` holds the values; these models say what each value may be. A bad value
stops synth with `DefinitionError`, whose message names the field and the value.
"""
from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEFINITION = REPO_ROOT / "platform.toml"

Port = Annotated[int, Field(ge=1, le=65535)]
Percent = Annotated[int, Field(ge=1, le=100)]
PositiveInt = Annotated[int, Field(gt=0)]
NAME_PATTERN = r"^[a-z][a-z0-9-]{0,40}[a-z0-9]$"
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")

SECRET_NAMES = ("DATABASE_URL", "JWT_SECRET", "LANG_PORTAL_API_KEY")
AWS_SERVICES = ("bedrock", "polly", "image-generation", "s3-media")
GUARDED_AWS_SERVICES = ("bedrock", "image-generation")  # the calls that go through the guardrail


class DefinitionError(ValueError):
    """The platform definition is invalid; the message lists each bad field and value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlatformSettings(_Strict):
    name: Name
    domain: str
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    availability_zones: list[str] = Field(min_length=2, max_length=6)
    internal_namespace: str
    alarm_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    github_repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    github_branch: str = "main"

    @field_validator("domain", "internal_namespace")
    @classmethod
    def _is_domain(cls, value: str) -> str:
        if not _DOMAIN.match(value):
            raise ValueError(f"{value!r} is not a valid DNS domain name (lower case, dot-separated labels)")
        return value

    @model_validator(mode="after")
    def _zones_in_region(self) -> "PlatformSettings":
        for zone in self.availability_zones:
            if not (zone.startswith(self.region) and len(zone) == len(self.region) + 1):
                raise ValueError(f"availability zone {zone!r} is not a zone of region {self.region!r}")
        if len(set(self.availability_zones)) != len(self.availability_zones):
            raise ValueError(f"availability_zones repeat a zone: {self.availability_zones}")
        return self


class StateSettings(_Strict):
    # Room for "-<env>-<12-digit account>" and the access-log bucket's "-access-logs" in S3's 63 characters.
    bucket_prefix: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,28}[a-z0-9]$")
    region: str


class EnvironmentSettings(_Strict):
    account_id: str = Field(pattern=r"^\d{12}$")
    nat_gateways: Literal["single", "per_az"]
    deletion_protection: bool = True


class NetworkSettings(_Strict):
    vpc_cidr: ipaddress.IPv4Network
    public_subnets: list[ipaddress.IPv4Network]
    private_subnets: list[ipaddress.IPv4Network]
    database_subnets: list[ipaddress.IPv4Network]
    # VPC endpoint services, as in com.amazonaws.<region>.<service>
    gateway_endpoints: list[Annotated[str, Field(pattern=r"^[a-z0-9]+([.-][a-z0-9]+)*$")]] = []
    interface_endpoints: list[Annotated[str, Field(pattern=r"^[a-z0-9]+([.-][a-z0-9]+)*$")]] = []
    # How security-group descriptions name an application where the spec's wording differs
    # from the title-cased project name ("Haiku Generator" for haiku).
    application_titles: dict[Name, str] = {}

    @model_validator(mode="after")
    def _subnets_fit(self) -> "NetworkSettings":
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for tier in ("public_subnets", "private_subnets", "database_subnets"):
            for cidr in getattr(self, tier):
                if not cidr.subnet_of(self.vpc_cidr):
                    raise ValueError(f"{tier}: {cidr} is outside the VPC CIDR {self.vpc_cidr}")
                for other_tier, other in seen:
                    if cidr.overlaps(other):
                        raise ValueError(f"{tier}: {cidr} overlaps {other_tier} {other}")
                seen.append((tier, cidr))
        return self

    @property
    def tiers(self) -> dict[str, list[str]]:
        return {
            "public": [str(c) for c in self.public_subnets],
            "private": [str(c) for c in self.private_subnets],
            "database": [str(c) for c in self.database_subnets],
        }


class ContainerHealthCheck(_Strict):
    interval_seconds: PositiveInt
    timeout_seconds: PositiveInt
    retries: PositiveInt
    start_period_seconds: PositiveInt


class ContainerSettings(_Strict):
    cpu: Literal[256, 512, 1024, 2048, 4096, 8192, 16384]
    memory: Annotated[int, Field(ge=512, le=122880)]
    min_capacity: PositiveInt
    max_capacity: PositiveInt
    cpu_target_percent: Percent
    memory_target_percent: Percent
    scale_in_cooldown_seconds: PositiveInt
    scale_out_cooldown_seconds: PositiveInt
    maximum_percent: Annotated[int, Field(ge=100, le=400)]
    minimum_healthy_percent: Annotated[int, Field(ge=0, le=100)]
    health_check_grace_seconds: PositiveInt
    service_discovery_ttl_seconds: PositiveInt
    log_group: str = Field(pattern=r"^/[A-Za-z0-9_/.-]+$")
    log_stream_prefix: str
    otel_collector_image: str
    ecr_keep_images: PositiveInt
    stop_timeout_seconds: int = Field(120, ge=2, le=120)  # Fargate's range
    health_check: ContainerHealthCheck

    @model_validator(mode="after")
    def _capacity_order(self) -> "ContainerSettings":
        if self.min_capacity > self.max_capacity:
            raise ValueError(f"min_capacity {self.min_capacity} is above max_capacity {self.max_capacity}")
        return self


class TargetHealthCheck(_Strict):
    interval_seconds: Annotated[int, Field(ge=5, le=300)]
    timeout_seconds: Annotated[int, Field(ge=2, le=120)]
    healthy_threshold: Annotated[int, Field(ge=2, le=10)]
    unhealthy_threshold: Annotated[int, Field(ge=2, le=10)]


_SUCCESS_CODES = r"^[2-4][0-9]{2}(-[2-4][0-9]{2})?(,[2-4][0-9]{2}(-[2-4][0-9]{2})?)*$"


class SuccessCodes(_Strict):
    """Target-group health-check matchers by routing kind (the spec: 200-299 for the APIs,
    200 for the Streamlit and Gradio frontends)."""

    api: str = Field(pattern=_SUCCESS_CODES)
    site: str = Field(pattern=_SUCCESS_CODES)


class LoadBalancerSettings(_Strict):
    deregistration_delay_seconds: Annotated[int, Field(ge=0, le=3600)]
    ssl_policy: str = Field(pattern=r"^ELBSecurityPolicy-(TLS13-1-2|TLS13-1-3|FS-1-2|TLS-1-2)[A-Za-z0-9-]*$")
    idle_timeout_seconds: Annotated[int, Field(ge=1, le=4000)]
    access_log_prefix: str = Field(pattern=r"^[a-z0-9][a-z0-9/-]*[a-z0-9]$")
    # Listener-rule priorities: project i (from 0) gets (i + 1) * step + 1 for /api/* and + 2 for /*.
    rule_priority_step: Annotated[int, Field(ge=2, le=1000)]
    # The origin-verify secret CloudFront sends to the ALB; raising it rotates the value (docs).
    origin_secret_version: PositiveInt = 1
    # How long the load balancer's cookie keeps a browser on the task that served its page (UI services).
    ui_stickiness_seconds: Annotated[int, Field(ge=1, le=604800)]
    health_check: TargetHealthCheck
    success_codes: SuccessCodes


class DatabaseSettings(_Strict):
    engine_version: str
    instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    backup_retention_days: Annotated[int, Field(ge=7, le=35)]
    proxy_idle_client_timeout_seconds: PositiveInt
    proxy_max_connections_percent: Percent
    proxy_max_idle_connections_percent: Percent
    proxy_borrow_timeout_seconds: Annotated[int, Field(ge=1, le=300)]
    slow_statement_ms: PositiveInt
    # The owner of the tables: migrations sign in as it; the APIs have roles of their own.
    master_username: str = Field(default="app_dw", pattern=r"^[a-z][a-z0-9_]{0,15}$")
    port: Port = 5432
    performance_insights_retention_days: Annotated[int, Field(ge=7, le=731)] = 7
    monitoring_interval_seconds: Literal[0, 1, 5, 10, 15, 30, 60] = 60
    backup_window: str = Field(default="03:00-04:00", pattern=r"^\d\d:\d\d-\d\d:\d\d$")
    maintenance_window: str = Field(default="sun:04:30-sun:05:30", pattern=r"^[a-z]{3}:\d\d:\d\d-[a-z]{3}:\d\d:\d\d$")

    @property
    def parameter_group_family(self) -> str:
        """aurora-postgresql15 for engine version 15.x."""
        return f"aurora-postgresql{self.engine_version.split('.')[0]}"


class AuthSettings(_Strict):
    access_token_validity_hours: Annotated[int, Field(ge=1, le=24)]
    id_token_validity_hours: Annotated[int, Field(ge=1, le=24)]
    refresh_token_validity_days: Annotated[int, Field(ge=1, le=3650)]
    advanced_security_mode: Literal["OFF", "AUDIT", "ENFORCED"]
    auth_subdomain: str = Field(pattern=_LABEL.pattern)
    password_minimum_length: Annotated[int, Field(ge=8, le=99)] = 12
    password_history_size: Annotated[int, Field(ge=0, le=24)] = 5
    temporary_password_validity_days: Annotated[int, Field(ge=1, le=365)] = 3
    oauth_scopes: list[str] = Field(default=["openid", "email", "profile"], min_length=1)
    callback_path: str = Field(default="/auth/callback", pattern=r"^/[A-Za-z0-9/_-]*$")
    logout_path: str = Field(default="/", pattern=r"^/[A-Za-z0-9/_-]*$")
    # The Cognito group of the school's staff (the Vocab Generator admits only its members).
    staff_group: str = Field(default="staff", pattern=r"^[A-Za-z0-9_-]{1,128}$")


class WafSettings(_Strict):
    rate_limit_per_5_minutes: Annotated[int, Field(ge=10, le=2_000_000_000)]
    blocked_countries: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = []
    managed_rule_groups: list[Annotated[str, Field(pattern=r"^AWSManagedRules[A-Za-z0-9]+$")]] = Field(min_length=1)
    # managed group -> rules of that group that only count instead of blocking
    count_only_rules: dict[str, list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+$")]]] = {}
    # The hosted UI's sign-in requests get a tighter per-IP limit (credential stuffing).
    sign_in_rate_limit_per_5_minutes: Annotated[int, Field(ge=10, le=2_000_000_000)] = 100
    sign_in_paths: list[Annotated[str, Field(pattern=r"^/[A-Za-z0-9/_-]*$")]] = Field(
        default=["/login", "/signup", "/forgotPassword", "/confirmForgotPassword", "/mfa", "/oauth2/token"], min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "WafSettings":
        for field in ("blocked_countries", "managed_rule_groups"):
            values = getattr(self, field)
            if len(set(values)) != len(values):
                raise ValueError(f"waf.{field} repeats a value: {values}")
        if self.sign_in_rate_limit_per_5_minutes > self.rate_limit_per_5_minutes:
            raise ValueError(f"waf.sign_in_rate_limit_per_5_minutes {self.sign_in_rate_limit_per_5_minutes} is above "
                             f"rate_limit_per_5_minutes {self.rate_limit_per_5_minutes}: it would never apply")
        for group in self.count_only_rules:
            if group not in self.managed_rule_groups:
                raise ValueError(f"waf.count_only_rules names {group!r}, which is not in managed_rule_groups")
        return self


class MonitoringSettings(_Strict):
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]
    error_rate_percent: Percent
    error_rate_window_seconds: Literal[60, 120, 300, 600, 900]
    latency_p95_seconds: float = Field(gt=0)
    utilization_alarm_percent: Percent
    db_connections_alarm_percent: Percent
    db_free_storage_alarm_percent: Percent
    db_local_storage_gib: PositiveInt
    alarm_period_seconds: Literal[10, 30, 60, 300]
    alarm_evaluation_periods: PositiveInt
    alarm_datapoints_to_alarm: PositiveInt
    waf_blocked_requests_threshold: PositiveInt
    failed_sign_ins_threshold: PositiveInt
    security_window_seconds: Literal[60, 300, 900, 3600]
    guardrail_metric_namespace: str = Field(pattern=r"^[A-Za-z0-9/_.#:-]+$")
    guardrail_metric_name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    app_metrics_namespace: str = Field(pattern=r"^[A-Za-z0-9/_.#:-]+$")
    xray_sampling_rate: float = Field(ge=0, le=1)
    xray_reservoir_per_second: Annotated[int, Field(ge=0)]
    otlp_protocol: Literal["grpc", "http/protobuf"]
    auth_failures_threshold: PositiveInt

    @model_validator(mode="after")
    def _datapoints_fit(self) -> "MonitoringSettings":
        if self.alarm_datapoints_to_alarm > self.alarm_evaluation_periods:
            raise ValueError(
                f"alarm_datapoints_to_alarm {self.alarm_datapoints_to_alarm} is above "
                f"alarm_evaluation_periods {self.alarm_evaluation_periods}")
        if self.guardrail_metric_namespace.startswith("AWS/") or self.app_metrics_namespace.startswith("AWS/"):
            raise ValueError("custom metric namespaces may not start with 'AWS/' (reserved by AWS)")
        return self


FILTER_STRENGTH = Literal["NONE", "LOW", "MEDIUM", "HIGH"]
_MODEL_ID = r"^[a-z0-9-]+\.[A-Za-z0-9.:-]+$"


class DeniedTopic(_Strict):
    name: str = Field(pattern=r"^[0-9A-Za-z_ !?.-]{1,100}$")
    definition: str = Field(min_length=1, max_length=200)
    examples: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default=[], max_length=5)


class AiSettings(_Strict):
    text_model_ids: list[Annotated[str, Field(pattern=_MODEL_ID)]] = Field(min_length=1)
    image_model_ids: list[Annotated[str, Field(pattern=_MODEL_ID)]] = Field(min_length=1)
    content_filter_strength: FILTER_STRENGTH
    denied_topics: list[DeniedTopic] = Field(max_length=30)
    pii_anonymize: list[Annotated[str, Field(pattern=r"^[A-Z_]+$")]] = []
    pii_block: list[Annotated[str, Field(pattern=r"^[A-Z_]+$")]] = []
    blocked_words: list[Annotated[str, Field(min_length=1, max_length=100)]] = []
    blocked_input_message: str = Field(min_length=1, max_length=500)
    blocked_output_message: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _pii_once(self) -> "AiSettings":
        both = set(self.pii_anonymize) & set(self.pii_block)
        if both:
            raise ValueError(f"ai: PII types both anonymized and blocked: {sorted(both)}")
        names = [t.name for t in self.denied_topics]
        if len(set(names)) != len(names):
            raise ValueError(f"ai.denied_topics repeat a name: {names}")
        return self


NonNegative = Annotated[float, Field(ge=0)]


class UsageSettings(_Strict):
    """Monthly usage the cost estimate assumes (`python -m toolkit cost`). The defaults are the
    spec's answers where it gives one (100 users, a database below 1 GB, 7-day logs: the log
    retention itself is monitoring.log_retention_days); the rest are stated assumptions."""

    active_users: PositiveInt = 100
    requests_per_user_per_day: NonNegative = 200
    page_requests_per_user_per_day: NonNegative = 100
    response_kb: NonNegative = 30
    access_log_bytes_per_request: NonNegative = 1000
    ai_requests_per_user_per_day: NonNegative = 10
    text_units_per_ai_request: NonNegative = 2
    database_storage_gb: NonNegative = 1
    database_io_million_per_month: NonNegative = 5
    log_ingestion_gb_per_group: NonNegative = 0.5
    bucket_storage_gb: NonNegative = 1
    image_gb: NonNegative = 0.3
    nat_data_gb: NonNegative = 10
    endpoint_data_gb: NonNegative = 2
    dns_queries_million_per_zone: NonNegative = 1
    secret_reads_per_month: NonNegative = 10000
    kms_requests_per_key: NonNegative = 20000
    builds_per_month: NonNegative = 30
    build_minutes: NonNegative = 5
    pipeline_action_minutes_per_run: NonNegative = 10


class Service(_Strict):
    """One container of a project (a task definition and an ECS service)."""

    name: Name
    component: Literal["backend", "frontend"]
    container: Name
    port: Port
    health_path: str = Field(pattern=r"^/[A-Za-z0-9/_-]*$")
    routing: Literal["api", "site", "internal"]
    alb_health_path: str | None = Field(default=None, pattern=r"^/[A-Za-z0-9/_-]*$")
    secrets: list[Literal[SECRET_NAMES]] = []  # type: ignore[valid-type]
    aws_services: list[Literal[AWS_SERVICES]] = []  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _alb_needs_health_path(self) -> "Service":
        if self.routing != "internal" and not self.alb_health_path:
            raise ValueError(f"service {self.name!r} is routed by the ALB ({self.routing}) but has no alb_health_path")
        return self

    @property
    def on_load_balancer(self) -> bool:
        return self.routing != "internal"

    @property
    def calls_guardrail(self) -> bool:
        """Its Bedrock calls (text and images) go through the guardrail."""
        return any(name in GUARDED_AWS_SERVICES for name in self.aws_services)


class Project(_Strict):
    name: Name
    subdomain: str = Field(pattern=_LABEL.pattern)
    security_group: Name
    database: bool
    media: bool
    calls: list[Name] = []
    launches: list[Name] = []
    frontend: Literal["static", "streamlit", "gradio"]
    services: list[Service] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Project":
        names = [s.name for s in self.services]
        if len(set(names)) != len(names):
            raise ValueError(f"project {self.name!r} repeats a service name: {names}")
        if self.name in self.calls:
            raise ValueError(f"project {self.name!r} lists itself in calls")
        site = [s.name for s in self.services if s.routing == "site"]
        if self.frontend == "static" and site:
            raise ValueError(f"project {self.name!r} has a static frontend but routes service {site[0]!r} as its site")
        if self.frontend != "static" and len(site) != 1:
            raise ValueError(f"project {self.name!r} has a {self.frontend} frontend and needs exactly one service with routing 'site', found {site}")
        if len([s for s in self.services if s.routing == "api"]) > 1:
            raise ValueError(f"project {self.name!r} has more than one 'api' service")
        for service in self.services:
            if "DATABASE_URL" in service.secrets and not self.database:
                raise ValueError(f"service {service.name!r} reads DATABASE_URL but project {self.name!r} has database = false")
            if "s3-media" in service.aws_services and not self.media:
                raise ValueError(f"service {service.name!r} uses s3-media but project {self.name!r} has media = false")
        if self.media and self.frontend != "static":
            raise ValueError(f"project {self.name!r} has media = true but a {self.frontend} frontend: media is served "
                             "from the bucket beside a static site, by its CloudFront distribution")
        return self

    @property
    def ui_frontend(self) -> bool:
        """Its frontend is a UI service (Streamlit, Gradio) behind the ALB, which signs users in."""
        return self.frontend != "static"

    @property
    def directory(self) -> str:
        """The project's folder in this repository."""
        return f"projects/{self.name.replace('-', '_')}"

    @property
    def api(self) -> Service | None:
        return next((s for s in self.services if s.routing == "api"), None)

    def services_of(self, component: str) -> list[Service]:
        return [s for s in self.services if s.component == component]

    @property
    def components(self) -> list[str]:
        """Buildable components, each with its own folder and pipeline."""
        found = {s.component for s in self.services}
        if self.frontend == "static":
            found.add("frontend")
        return [c for c in ("frontend", "backend") if c in found]


class PlatformDefinition(_Strict):
    platform: PlatformSettings
    state: StateSettings
    environments: dict[Literal["dev", "prod"], EnvironmentSettings]
    network: NetworkSettings
    containers: ContainerSettings
    load_balancer: LoadBalancerSettings
    database: DatabaseSettings
    auth: AuthSettings
    waf: WafSettings
    monitoring: MonitoringSettings
    ai: AiSettings
    usage: UsageSettings = UsageSettings()
    projects: list[Project] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_checks(self) -> "PlatformDefinition":
        zones = len(self.platform.availability_zones)
        for tier, cidrs in self.network.tiers.items():
            if len(cidrs) != zones:
                raise ValueError(f"network.{tier}_subnets has {len(cidrs)} subnets for {zones} availability zones")
        accounts = [e.account_id for e in self.environments.values()]
        if len(set(accounts)) != len(accounts):
            raise ValueError(f"environments share an AWS account ({accounts}): each environment is an account of its own")
        names = [p.name for p in self.projects]
        if len(set(names)) != len(names):
            raise ValueError(f"projects repeat a name: {names}")
        hosts = [p.subdomain for p in self.projects] + [self.auth.auth_subdomain]
        if len(set(hosts)) != len(hosts):
            raise ValueError(f"subdomains repeat: {hosts}")
        services = [s.name for p in self.projects for s in p.services]
        if len(set(services)) != len(services):
            raise ValueError(f"service names must be unique across projects: {services}")
        for project in self.projects:
            for callee in project.calls:
                if callee not in names:
                    raise ValueError(f"project {project.name!r} calls unknown project {callee!r} (known: {', '.join(names)})")
                if self.project(callee).api is None:
                    raise ValueError(f"project {project.name!r} calls {callee!r}, which has no 'api' service")
            for launched in project.launches:
                if launched not in names or launched == project.name:
                    raise ValueError(f"project {project.name!r} launches {launched!r}, which is not another project "
                                     f"(known: {', '.join(names)})")
        return self

    def project(self, name: str) -> Project:
        for project in self.projects:
            if project.name == name:
                return project
        raise KeyError(f"no project named {name!r}")

    def host(self, subdomain: str) -> str:
        return f"{subdomain}.{self.platform.domain}"

    def callers_of(self, name: str) -> list[Project]:
        return [p for p in self.projects if name in p.calls]


class Platform:
    """The definition with one environment chosen: what every construct receives."""

    def __init__(self, definition: PlatformDefinition, environment: str, source: Path | None = None, *,
                 emulator_url: str | None = None):
        if environment not in definition.environments:
            raise DefinitionError(
                f"environment {environment!r} is not defined (defined: {', '.join(definition.environments)}); "
                "set APP_DW_ENV to one of them"
            )
        self.definition = definition
        self.environment = environment
        self.source = source
        # Set only for the e2e run: every workspace then talks to the local AWS emulator at this URL.
        self.emulator_url = emulator_url
        self.emulator_switched_off: set[str] = set()

    def __getattr__(self, item: str):
        # Sections of the definition read as attributes: platform.network, platform.projects, ...
        return getattr(self.definition, item)

    @cached_property
    def env(self) -> EnvironmentSettings:
        return self.definition.environments[self.environment]  # type: ignore[index]

    @property
    def domain(self) -> str:
        return self.definition.platform.domain

    @property
    def region(self) -> str:
        return self.definition.platform.region

    @property
    def name(self) -> str:
        return self.definition.platform.name

    @property
    def account_id(self) -> str:
        return self.env.account_id

    @property
    def state_bucket(self) -> str:
        """`app-dw-terraform-state-dev-111122223333`: the bucket bootstrap creates and every backend,
        remote-state read and the e2e run use (S3 names are global: the account keeps it ours)."""
        return f"{self.definition.state.bucket_prefix}-{self.environment}-{self.account_id}"

    def resource_name(self, *parts: str) -> str:
        """`app-dw-dev-<parts>`: the prefix that keeps environments apart in one account."""
        return "-".join([self.name, self.environment, *parts])

    @property
    def on_emulator(self) -> bool:
        return self.emulator_url is not None

    def emulator_skips(self, flag: str) -> bool:
        """Whether to leave out what the emulator cannot do: True only on the emulator target.

        `flag` is a key of `toolkit.emulator.EMULATOR_LIMITS` (which says why); the construct
        owning the resource asks, e.g. `if not platform.emulator_skips("codepipeline"): ...`.
        """
        from toolkit.emulator import EMULATOR_LIMITS

        if flag not in EMULATOR_LIMITS:
            raise DefinitionError(f"unknown emulator limit {flag!r} (known: {', '.join(EMULATOR_LIMITS)})")
        if not self.on_emulator:
            return False
        self.emulator_switched_off.add(flag)
        return True


def _describe(error: ValidationError, data: dict) -> str:
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        value = item.get("input")
        # Name the project by name, not by list index, where we can.
        if item["loc"][:1] == ("projects",) and len(item["loc"]) > 1 and isinstance(item["loc"][1], int):
            try:
                location = location.replace(f"projects.{item['loc'][1]}", f"projects[{data['projects'][item['loc'][1]]['name']}]", 1)
            except (KeyError, IndexError, TypeError):
                pass
        message = item["msg"].removeprefix("Value error, ")
        shown = "" if isinstance(value, (dict, list)) and len(str(value)) > 80 else f" (got {value!r})"
        lines.append(f"  {location or '<root>'}: {message}{shown}")
    return "\n".join(lines)


def parse_definition(data: dict, source: str = "platform definition") -> PlatformDefinition:
    try:
        return PlatformDefinition.model_validate(data)
    except ValidationError as error:
        raise DefinitionError(f"{source} is invalid:\n{_describe(error, data)}") from None


def emulator_target() -> str | None:
    """The emulator URL when `APP_DW_TARGET=emulator` (with `APP_DW_EMULATOR_URL`), else None."""
    target = os.environ.get("APP_DW_TARGET", "aws")
    if target == "aws":
        return None
    if target != "emulator":
        raise DefinitionError(f"APP_DW_TARGET={target!r} is not a target (targets: aws, emulator)")
    url = os.environ.get("APP_DW_EMULATOR_URL")
    if not url:
        raise DefinitionError("APP_DW_TARGET=emulator needs APP_DW_EMULATOR_URL (the local emulator, http://127.0.0.1:<port>)")
    from toolkit.emulator import EmulatorError, check_loopback

    try:
        return check_loopback(url)
    except EmulatorError as error:
        raise DefinitionError(str(error)) from None


def load_platform(path: Path | str | None = None, environment: str | None = None) -> Platform:
    """Read and validate the definition; `APP_DW_CONFIG`, `APP_DW_ENV` and `APP_DW_TARGET`
    (with `APP_DW_EMULATOR_URL`) override the defaults."""
    path = Path(path or os.environ.get("APP_DW_CONFIG") or DEFAULT_DEFINITION)
    environment = environment or os.environ.get("APP_DW_ENV", "dev")
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise DefinitionError(f"platform definition {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise DefinitionError(f"{path} is not valid TOML: {error}") from None
    return Platform(parse_definition(data, str(path)), environment, path, emulator_url=emulator_target())
