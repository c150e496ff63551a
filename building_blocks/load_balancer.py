"""An internet-facing Application Load Balancer that terminates TLS and routes by host and path.

The HTTPS listener answers a JSON 404 unless a route matches; the HTTP listener only
redirects to HTTPS. Target groups and routes are added one at a time, so the caller derives
them from data (the project list) and this construct repeats no routing of its own.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionFixedResponse,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleActionAuthenticateCognito,
    LbListenerRuleActionFixedResponse,
    LbListenerRuleCondition,
    LbListenerRuleConditionHostHeader,
    LbListenerRuleConditionHttpHeader,
    LbListenerRuleConditionPathPattern,
)
from cdktf_cdktf_provider_aws.lb_target_group import (LbTargetGroup, LbTargetGroupHealthCheck,
                                                      LbTargetGroupStickiness)
from constructs import Construct

from building_blocks.alarms import Metric

NAME_LIMIT = 32  # ELB names (load balancers and target groups)
NAMESPACE = "AWS/ApplicationELB"
HTTPS_PORT = 443  # the listener that routes
HTTP_PORT = 80    # the listener that only redirects to HTTPS
# Where the ALB receives the authorization code of a sign-in (the app client's callback URL).
SIGN_IN_CALLBACK_PATH = "/oauth2/idpresponse"
MAX_SESSION_SECONDS = 604800  # the longest authentication session an ALB keeps (7 days)


def elb_name(name: str) -> str:
    """`name` if it fits the 32-character ELB limit, else a stable shortened form with a hash."""
    if len(name) <= NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[:NAME_LIMIT - len(digest) - 1].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class LoadBalancerReference:
    """A load balancer by its metric dimension (the ARN's suffix), with its metrics."""

    arn_suffix: str

    def metric(self, name: str, stat: str, period: int, label: str | None = None) -> Metric:
        """Of every host, e.g. HTTPCode_ELB_5XX_Count."""
        return Metric(NAMESPACE, name, {"LoadBalancer": self.arn_suffix}, stat, period, label)


@dataclass(frozen=True)
class TargetGroupReference:
    """A target group of a load balancer, with the metrics of the traffic it receives."""

    arn_suffix: str
    load_balancer: LoadBalancerReference

    def metric(self, name: str, stat: str, period: int, label: str | None = None) -> Metric:
        """e.g. RequestCount, HTTPCode_Target_5XX_Count, TargetResponseTime."""
        return Metric(NAMESPACE, name, {"LoadBalancer": self.load_balancer.arn_suffix, "TargetGroup": self.arn_suffix},
                      stat, period, label)


@dataclass(frozen=True)
class LoadBalancerProps:
    name: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    certificate_arn: str
    access_log_bucket: str
    access_log_prefix: str = "alb"
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    idle_timeout_seconds: int = 60
    deletion_protection: bool = True
    not_found_body: str = json.dumps({"error": "not found"})


@dataclass(frozen=True)
class HealthCheck:
    path: str
    matcher: str = "200"
    interval_seconds: int = 30
    timeout_seconds: int = 5
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3


@dataclass(frozen=True)
class TargetGroupProps:
    name: str
    port: int
    vpc_id: str
    health_check: HealthCheck
    deregistration_delay_seconds: int = 30
    # Sticky sessions by the load balancer's cookie for this long (None: none): for apps that keep
    # a page's state in the process that served it (Streamlit, Gradio), so its requests return there.
    stickiness_seconds: int | None = None

    def __post_init__(self) -> None:
        if self.stickiness_seconds is not None and not 1 <= self.stickiness_seconds <= 604800:
            raise ValueError(f"target group {self.name}: stickiness lasts 1 second to 7 days, "
                             f"not {self.stickiness_seconds}")


@dataclass(frozen=True)
class RequiredHeader:
    """A request header a rule matches only with one of these values (e.g. a secret a CDN in
    front sends; two values while it rotates: the current and the previous one)."""

    name: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.values) <= 3:
            raise ValueError(f"header {self.name}: give one to three accepted values")


@dataclass(frozen=True)
class CognitoSignIn:
    """The ALB signs users in with a Cognito user pool before it forwards (`authenticate-cognito`),
    and hands the app their identity (`x-amzn-oidc-data`, signed by the ALB) and access token."""

    user_pool_arn: str
    client_id: str                      # a confidential client whose callback is https://<host>/oauth2/idpresponse
    domain: str                         # the hosted UI's domain (custom domain or prefix)
    scopes: tuple[str, ...] = ("openid",)
    session_timeout_seconds: int = MAX_SESSION_SECONDS

    def __post_init__(self) -> None:
        if not 1 <= self.session_timeout_seconds <= MAX_SESSION_SECONDS:
            raise ValueError(f"an ALB keeps a sign-in session for 1 to {MAX_SESSION_SECONDS} seconds, "
                             f"not {self.session_timeout_seconds}")


@dataclass(frozen=True)
class Route:
    """HTTPS requests for `host` whose path matches `path_pattern` (and that carry
    `required_header`, when given) go to the target group; with `sign_in`, only signed-in users."""

    priority: int
    host: str
    path_pattern: str
    target_group_arn: str
    required_header: RequiredHeader | None = None
    sign_in: CognitoSignIn | None = None


@dataclass(frozen=True)
class ListenerReference:
    """A listener by its ARN: another workspace adds its own routes to it (one that can read what
    a route needs, e.g. the user pool, while the load balancer's workspace cannot)."""

    arn: str

    def add_route(self, scope: Construct, id: str, route: Route) -> LbListenerRule:
        conditions = [
            LbListenerRuleCondition(host_header=LbListenerRuleConditionHostHeader(values=[route.host])),
            LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=[route.path_pattern])),
        ]
        if route.required_header:
            conditions.append(LbListenerRuleCondition(http_header=LbListenerRuleConditionHttpHeader(
                http_header_name=route.required_header.name, values=list(route.required_header.values))))
        actions = []
        if route.sign_in:
            sign_in = route.sign_in
            actions.append(LbListenerRuleAction(type="authenticate-cognito", order=len(actions) + 1,
                                                authenticate_cognito=LbListenerRuleActionAuthenticateCognito(
                user_pool_arn=sign_in.user_pool_arn, user_pool_client_id=sign_in.client_id,
                user_pool_domain=sign_in.domain, scope=" ".join(sign_in.scopes),
                session_timeout=sign_in.session_timeout_seconds, on_unauthenticated_request="authenticate")))
        actions.append(LbListenerRuleAction(type="forward", order=len(actions) + 1,
                                            target_group_arn=route.target_group_arn))
        return LbListenerRule(scope, id, listener_arn=self.arn, priority=route.priority, condition=conditions,
                              action=actions)


@dataclass(frozen=True)
class Refusal:
    """Every HTTPS request for `host` that no rule of higher priority took gets a fixed answer."""

    priority: int
    host: str
    status_code: str = "403"
    body: str = json.dumps({"error": "forbidden"})


class LoadBalancer(Construct):
    def __init__(self, scope: Construct, id: str, props: LoadBalancerProps):
        super().__init__(scope, id)
        self.lb = Lb(
            self, "alb", name=elb_name(props.name), load_balancer_type="application", internal=False,
            subnets=props.subnet_ids, security_groups=props.security_group_ids,
            enable_deletion_protection=props.deletion_protection,
            # Requests with malformed headers never reach the apps (request smuggling).
            drop_invalid_header_fields=True, enable_http2=True, idle_timeout=props.idle_timeout_seconds,
            access_logs=LbAccessLogs(bucket=props.access_log_bucket, prefix=props.access_log_prefix, enabled=True))
        self.arn = self.lb.arn
        self.arn_suffix = self.lb.arn_suffix
        self.reference = LoadBalancerReference(self.arn_suffix)
        self.dns_name = self.lb.dns_name
        self.zone_id = self.lb.zone_id
        self.https_listener = LbListener(
            self, "https", load_balancer_arn=self.lb.arn, port=HTTPS_PORT, protocol="HTTPS",
            ssl_policy=props.ssl_policy, certificate_arn=props.certificate_arn,
            default_action=[LbListenerDefaultAction(
                type="fixed-response",
                fixed_response=LbListenerDefaultActionFixedResponse(
                    content_type="application/json", status_code="404", message_body=props.not_found_body))])
        self.https_listener_reference = ListenerReference(self.https_listener.arn)
        LbListener(
            self, "http", load_balancer_arn=self.lb.arn, port=HTTP_PORT, protocol="HTTP",
            default_action=[LbListenerDefaultAction(
                type="redirect",
                redirect=LbListenerDefaultActionRedirect(port=str(HTTPS_PORT), protocol="HTTPS",
                                                         status_code="HTTP_301"))])

    def add_target_group(self, id: str, props: TargetGroupProps) -> LbTargetGroup:
        check = props.health_check
        return LbTargetGroup(
            self, id, name=elb_name(props.name), port=props.port, protocol="HTTP", target_type="ip",
            vpc_id=props.vpc_id, deregistration_delay=str(props.deregistration_delay_seconds),
            health_check=LbTargetGroupHealthCheck(
                enabled=True, protocol="HTTP", path=check.path, matcher=check.matcher,
                interval=check.interval_seconds, timeout=check.timeout_seconds,
                healthy_threshold=check.healthy_threshold, unhealthy_threshold=check.unhealthy_threshold),
            stickiness=(LbTargetGroupStickiness(type="lb_cookie", enabled=True,
                                                cookie_duration=props.stickiness_seconds)
                        if props.stickiness_seconds is not None else None))

    def add_route(self, id: str, route: Route) -> LbListenerRule:
        return self.https_listener_reference.add_route(self, id, route)

    def add_refusal(self, id: str, refusal: Refusal) -> LbListenerRule:
        return LbListenerRule(
            self, id, listener_arn=self.https_listener.arn, priority=refusal.priority,
            condition=[LbListenerRuleCondition(host_header=LbListenerRuleConditionHostHeader(values=[refusal.host]))],
            action=[LbListenerRuleAction(type="fixed-response", fixed_response=LbListenerRuleActionFixedResponse(
                content_type="application/json", status_code=refusal.status_code, message_body=refusal.body))])
