"""The metrics every app sends through OTLP to its collector sidecar, as plain data: what the apps record
(`modules.telemetry`), what the collector turns into CloudWatch metrics (the awsemf exporter's metric
declarations) and what the monitoring workspace alarms on and graphs are all read from here, so a
rename changes every side at once. No imports beyond the standard library: the infrastructure code
reads it too.

CloudWatch sees each metric in the apps' namespace (platform.toml `monitoring.app_metrics_namespace`)
once per dimension set of `AppMetric.dimension_sets`. `SERVICE` (the resource's `service.name`, which
the collector copies onto every data point) is in each of them, so every ECS service has its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SCOPE = "app-dw"  # the instrumentation scope the app metrics (and the apps' own spans) are made in
SERVICE = "service.name"  # OTEL_SERVICE_NAME: the ECS / Cloud Map service name
ROUTE = "http.route"  # the route template ("/api/words/{word_id}"), UNMATCHED_ROUTE when none matched
STATUS_CLASS = "http.response.status_class"  # "2xx" ... "5xx"
REASON = "reason"  # why an authentication failed: one of AUTH_FAILURE_REASONS

UNMATCHED_ROUTE = "unmatched"  # 404s of unknown paths share one value, so scanners cannot add metrics
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")

# Why a request was refused as unauthenticated (modules.auth.AuthError for the APIs, modules.alb_identity.NotSignedIn
# for the UI apps behind the load balancer's sign-in): a closed set, so each is a dimension value the dashboards list.
AUTH_FAILURE_REASONS = (
    "missing_credentials",  # neither a bearer token nor an API key; no load balancer identity headers
    "invalid_api_key",
    "malformed_token",  # not a JWT, no key id (or not the load balancer's UUID form), a header sent twice or oversized
    "wrong_algorithm",  # anything but RS256 (the load balancer's: ES256), e.g. alg=none or HS256 key confusion
    "unknown_key",  # signed with a key the pool (the load balancer) does not publish
    "bad_signature",
    "expired",
    "wrong_issuer",
    "wrong_client",  # issued for an app client this service does not accept
    "wrong_load_balancer",  # identity headers signed by another load balancer than ALB_ARN
    "mismatched_user",  # the forwarded access token is another user's than the signed identity
    "invalid_claims",  # a claim missing or of the wrong type, a reserved subject, any other JWT fault
)


@dataclass(frozen=True)
class AppMetric:
    name: str  # the OTLP instrument name, and the CloudWatch metric name
    kind: Literal["counter", "histogram"]
    unit: str  # the instrument's unit (UCUM)
    cloudwatch_unit: str  # what the collector tells CloudWatch (it knows "s", not "{failure}")
    description: str
    attributes: tuple[str, ...]  # recorded with each measurement (SERVICE comes from the resource)
    dimension_sets: tuple[tuple[str, ...], ...]  # the CloudWatch metrics made of it

    def __post_init__(self) -> None:
        labels = {SERVICE, *self.attributes}
        for dimensions in self.dimension_sets:
            if SERVICE not in dimensions or not set(dimensions) <= labels:
                raise ValueError(f"{self.name}: dimension set {dimensions} must hold {SERVICE!r} and only "
                                 f"attributes the metric records ({sorted(labels)})")


REQUEST_DURATION = AppMetric(
    "http.server.request.duration", "histogram", "s", "Seconds",
    "Time from the request's arrival to its answer's last byte, by route and status class; its sample count "
    "is the request count",
    attributes=(ROUTE, STATUS_CLASS),
    dimension_sets=((SERVICE,), (SERVICE, STATUS_CLASS), (SERVICE, ROUTE, STATUS_CLASS)))
AUTH_FAILURES = AppMetric(
    "app.auth.failures", "counter", "{failure}", "Count",
    "Requests refused with 401: no, or no valid, credentials (by reason)",
    attributes=(REASON,), dimension_sets=((SERVICE,), (SERVICE, REASON)))
GUARDRAIL_INTERVENTIONS = AppMetric(
    "app.guardrail.interventions", "counter", "{intervention}", "Count",
    "Requests or model answers the Bedrock guardrail blocked",
    attributes=(), dimension_sets=((SERVICE,),))
UNHANDLED_ERRORS = AppMetric(
    "app.errors.unhandled", "counter", "{error}", "Count",
    "Requests that raised an exception nothing handled (answered 500 internal error)",
    attributes=(), dimension_sets=((SERVICE,),))

APP_METRICS = (REQUEST_DURATION, AUTH_FAILURES, GUARDRAIL_INTERVENTIONS, UNHANDLED_ERRORS)


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "5xx"
