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
    LbListenerRuleCondition,
    LbListenerRuleConditionHostHeader,
    LbListenerRuleConditionPathPattern,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from constructs import Construct

from building_blocks.alarms import Metric

NAME_LIMIT = 32  # ELB names (load balancers and target groups)
NAMESPACE = "AWS/ApplicationELB"
HTTPS_PORT = 443  # the listener that routes
HTTP_PORT = 80    # the listener that only redirects to HTTPS


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


@dataclass(frozen=True)
class Route:
    """HTTPS requests for `host` whose path matches `path_pattern` go to the target group."""

    priority: int
    host: str
    path_pattern: str
    target_group_arn: str


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
                healthy_threshold=check.healthy_threshold, unhealthy_threshold=check.unhealthy_threshold))

    def add_route(self, id: str, route: Route) -> LbListenerRule:
        return LbListenerRule(
            self, id, listener_arn=self.https_listener.arn, priority=route.priority,
            condition=[
                LbListenerRuleCondition(host_header=LbListenerRuleConditionHostHeader(values=[route.host])),
                LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=[route.path_pattern])),
            ],
            action=[LbListenerRuleAction(type="forward", target_group_arn=route.target_group_arn)])
