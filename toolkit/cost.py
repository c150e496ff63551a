"""The monthly cost estimate: per resource and price dimension, per workspace, per environment.

It reads what Terraform will build, either the synthesized JSON (`cdk.tf.json`) or a plan
(`terraform show -json`, whose prior state and planned values give the cost before and after
the change), prices each resource from the price table (`toolkit/prices.toml`: us-east-1, each
price with its date and AWS pricing page) and the usage the platform definition assumes
(`[usage]` in platform.toml), and says for every resource whether it was priced, is free, or is
not priced (a type this module does not know: listed, never counted as zero).

The conventions are Infracost's `breakdown`: one line per price dimension of a resource with
its monthly quantity, unit, unit price and monthly amount; totals; counts of estimated, free
and not-priced resources; and for a plan, the difference per resource. Fargate services are
estimated at their minimum and at their maximum capacity (the auto scaling target's bounds).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.definition import Platform, UsageSettings
from toolkit.prices import Price, load_prices

HOURS_PER_MONTH = 730          # AWS's pricing pages price a month as 730 hours
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
_REFERENCE = re.compile(r"\$\{((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)")


# --------------------------------------------------------------------------- resources

@dataclass(frozen=True)
class Resource:
    address: str                            # aws_nat_gateway.nat_a_1234
    type: str
    values: dict
    references: dict[str, tuple[str, ...]]  # top-level attribute -> addresses it refers to


def _references_in(value) -> list[str]:
    if isinstance(value, str):
        return _REFERENCE.findall(value)
    if isinstance(value, dict):
        return [found for item in value.values() for found in _references_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in _references_in(item)]
    return []


def stack_resources(stack: dict) -> list[Resource]:
    """The managed resources of a synthesized stack (cdk.tf.json)."""
    found = []
    for resource_type, bodies in stack.get("resource", {}).items():
        for name, body in bodies.items():
            values = {k: v for k, v in body.items() if k not in ("//", "depends_on", "lifecycle", "provider")}
            references = {k: tuple(dict.fromkeys(_references_in(v))) for k, v in values.items()}
            found.append(Resource(f"{resource_type}.{name}", resource_type, values,
                                  {k: v for k, v in references.items() if v}))
    return found


def _expression_references(expression) -> list[str]:
    """Addresses an expression of the plan's configuration refers to ("aws_x.y.arn" -> "aws_x.y")."""
    if isinstance(expression, list):
        return [found for item in expression for found in _expression_references(item)]
    if not isinstance(expression, dict):
        return []
    if "references" in expression:
        return [".".join(reference.split(".")[:3 if reference.startswith("data.") else 2])
                for reference in expression["references"]]
    return [found for item in expression.values() for found in _expression_references(item)]


def plan_resources(plan: dict, side: str) -> list[Resource]:
    """The managed resources of a plan JSON before the change ("before": its prior state) or
    after it ("after": its planned values), with references from its configuration."""
    configured = {}
    for resource in plan.get("configuration", {}).get("root_module", {}).get("resources", []):
        references = {attribute: tuple(dict.fromkeys(_expression_references(expression)))
                      for attribute, expression in resource.get("expressions", {}).items()}
        configured[resource["address"]] = {k: v for k, v in references.items() if v}
    if side == "before":
        module = plan.get("prior_state", {}).get("values", {}).get("root_module", {})
    else:
        module = plan.get("planned_values", {}).get("root_module", {})
    return [Resource(r["address"], r["type"], r.get("values") or {}, configured.get(r["address"], {}))
            for r in module.get("resources", []) if r.get("mode", "managed") == "managed"]


# ----------------------------------------------------------------------------- lines

@dataclass(frozen=True)
class Line:
    """One price dimension of one resource for a month."""
    address: str
    dimension: str
    unit: str
    price: Price | None          # None: not priced (why is in `dimension`)
    quantity: float | None       # None: depends on usage this estimate does not assume
    quantity_at_max: float | None = None   # differs only for what scales (Fargate services)

    @property
    def unit_price(self) -> float | None:
        return self.price.usd if self.price else None

    def _amount(self, quantity: float | None) -> float:
        if self.price is None or quantity is None:
            return 0.0
        return max(0.0, quantity - self.price.free_quantity) * self.price.usd

    @property
    def monthly(self) -> float:
        return self._amount(self.quantity)

    @property
    def monthly_at_max(self) -> float:
        return self._amount(self.quantity if self.quantity_at_max is None else self.quantity_at_max)

    @property
    def estimated(self) -> bool:
        return self.price is not None and self.quantity is not None


class Context:
    """What a pricing function may look at: the workspace's other resources, the platform's
    usage assumptions, and the prices."""

    def __init__(self, resources: list[Resource], platform: Platform, prices: dict[str, Price]):
        self.resources = resources
        self.by_address = {r.address: r for r in resources}
        self.platform = platform
        self.usage: UsageSettings = platform.usage
        self.prices = prices

    def of_type(self, resource_type: str) -> list[Resource]:
        return [r for r in self.resources if r.type == resource_type]

    def referenced(self, resource: Resource, attribute: str, resource_type: str) -> list[Resource]:
        return [self.by_address[a] for a in resource.references.get(attribute, ())
                if a in self.by_address and self.by_address[a].type == resource_type]

    def referencing(self, resource: Resource, resource_type: str, attribute: str) -> list[Resource]:
        return [r for r in self.of_type(resource_type) if resource.address in r.references.get(attribute, ())]

    def line(self, resource: Resource, dimension: str, price_key: str, quantity: float | None,
             quantity_at_max: float | None = None) -> Line:
        price = self.prices.get(price_key)
        if price is None:
            return Line(resource.address, f"{dimension}: no price {price_key!r} in toolkit/prices.toml", "-",
                        None, quantity, quantity_at_max)
        return Line(resource.address, dimension, price.unit, price, quantity, quantity_at_max)

    # Traffic, from the usage assumptions and the project list.
    def alb_requests(self) -> float:
        on_alb = [p for p in self.platform.projects if any(s.on_load_balancer for s in p.services)]
        return self.usage.active_users * self.usage.requests_per_user_per_day * DAYS_PER_MONTH * len(on_alb)

    def site_requests(self) -> float:
        """Requests a month to one static site (each project with a static frontend has its own)."""
        return self.usage.active_users * self.usage.page_requests_per_user_per_day * DAYS_PER_MONTH

    def static_sites(self) -> int:
        return sum(1 for p in self.platform.projects if p.frontend == "static")


def count_of(resource: Resource, attribute: str, default: int) -> int:
    """How many items a list attribute holds: its values, else the distinct resources it refers
    to; `default` when it is one reference to a list of unknown length (another workspace's output)."""
    value = resource.values.get(attribute)
    if isinstance(value, list):
        return len(value)
    managed = [a for a in resource.references.get(attribute, ()) if not a.startswith("data.")]
    return len(managed) if managed and not isinstance(value, str) else default


def _number(value, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# ------------------------------------------------------------------ pricing functions

def _nat_gateway(r: Resource, c: Context) -> list[Line]:
    gateways = max(1, len(c.of_type("aws_nat_gateway")))
    return [c.line(r, "NAT gateway hours", "nat_gateway_hour", HOURS_PER_MONTH),
            c.line(r, "data processed (usage.nat_data_gb shared by the gateways)", "nat_gateway_gb",
                   c.usage.nat_data_gb / gateways)]


def _elastic_ip(r: Resource, c: Context) -> list[Line]:
    return [c.line(r, "public IPv4 address hours", "public_ipv4_hour", HOURS_PER_MONTH)]


def _vpc_endpoint(r: Resource, c: Context) -> list[Line] | None:
    if r.values.get("vpc_endpoint_type", "Gateway") != "Interface":
        return None   # gateway endpoints (S3, DynamoDB) are free
    zones = count_of(r, "subnet_ids", len(c.platform.platform.availability_zones))
    return [c.line(r, f"endpoint hours in {zones} availability zones", "interface_endpoint_az_hour",
                   zones * HOURS_PER_MONTH),
            c.line(r, "data processed", "interface_endpoint_gb", c.usage.endpoint_data_gb)]


def _load_balancer(r: Resource, c: Context) -> list[Line] | None:
    if r.values.get("load_balancer_type", "application") != "application":
        return [Line(r.address, f"{r.values['load_balancer_type']} load balancer: not priced", "-", None, None)]
    requests = c.alb_requests()
    # An LCU is the largest of: 25 new connections/s, 3,000 active connections, 1 GB processed
    # an hour, 1,000 rule evaluations/s. With short requests on new connections, the first two
    # and the bytes dominate; rule evaluations stay far below.
    new_connections = requests / SECONDS_PER_MONTH / 25
    processed = requests * c.usage.response_kb / 1e6 / HOURS_PER_MONTH
    lcus = max(new_connections, processed)
    return [c.line(r, "load balancer hours", "alb_hour", HOURS_PER_MONTH),
            c.line(r, f"capacity units ({requests / 1e6:.2f}M requests of {c.usage.response_kb:g} kB)",
                   "alb_lcu_hour", lcus * HOURS_PER_MONTH)]


def _instance_price_key(instance_class: str) -> str:
    return "aurora_postgresql_" + instance_class.replace(".", "_") + "_hour"


def _cluster_instance(r: Resource, c: Context) -> list[Line]:
    instance_class = r.values.get("instance_class", "?")
    return [c.line(r, f"{instance_class} instance hours", _instance_price_key(instance_class), HOURS_PER_MONTH)]


def _cluster(r: Resource, c: Context) -> list[Line]:
    # Backup storage up to the cluster's own size is free, which a 7-day retention stays within.
    return [c.line(r, "storage (usage.database_storage_gb)", "aurora_storage_gb_month", c.usage.database_storage_gb),
            c.line(r, "I/O requests", "aurora_million_io", c.usage.database_io_million_per_month)]


def _db_proxy(r: Resource, c: Context) -> list[Line]:
    clusters = {cluster.address for target in c.referencing(r, "aws_db_proxy_target", "db_proxy_name")
                for cluster in c.referenced(target, "db_cluster_identifier", "aws_rds_cluster")}
    instances = [i for i in c.of_type("aws_rds_cluster_instance")
                 if set(i.references.get("cluster_identifier", ())) & clusters]
    prices = [c.prices.get(_instance_price_key(i.values.get("instance_class", ""))) for i in instances]
    if not instances or any(p is None or p.vcpu is None for p in prices):
        return [Line(r.address, "proxy vCPU hours: the instances behind it are unknown", "-", None, None)]
    vcpus = max(2, sum(p.vcpu for p in prices))   # RDS Proxy charges at least 2 vCPUs
    return [c.line(r, f"proxy vCPU hours ({vcpus} vCPUs of {len(instances)} instances)", "rds_proxy_vcpu_hour",
                   vcpus * HOURS_PER_MONTH)]


def capacity(service: Resource, c: Context) -> tuple[float, float]:
    """(minimum, maximum) tasks of an ECS service: its auto scaling target, else its desired count."""
    targets = c.referencing(service, "aws_appautoscaling_target", "resource_id")
    if targets:
        return _number(targets[0].values.get("min_capacity"), 1), _number(targets[0].values.get("max_capacity"), 1)
    desired = _number(service.values.get("desired_count"), 1)
    return desired, desired


def _spot_share(service: Resource) -> float:
    strategy = service.values.get("capacity_provider_strategy") or []
    strategy = strategy if isinstance(strategy, list) else [strategy]
    weights = {item.get("capacity_provider"): _number(item.get("weight"), 0) for item in strategy}
    total = sum(weights.values())
    return weights.get("FARGATE_SPOT", 0) / total if total else 0.0


def _ecs_service(r: Resource, c: Context) -> list[Line]:
    definitions = c.referenced(r, "task_definition", "aws_ecs_task_definition")
    if not definitions:
        return [Line(r.address, "Fargate tasks: the task definition is unknown", "-", None, None)]
    vcpu = _number(definitions[0].values.get("cpu")) / 1024
    memory = _number(definitions[0].values.get("memory")) / 1024
    low, high = capacity(r, c)
    lines = []
    spot = _spot_share(r)
    for share, label, suffix in ((spot, "Fargate Spot", "fargate_spot"), (1 - spot, "Fargate", "fargate")):
        if share <= 0:
            continue
        tasks = f"{low:g}-{high:g} tasks" if low != high else f"{low:g} tasks"
        lines += [c.line(r, f"{label} vCPU hours ({tasks} of {vcpu:g} vCPU)", f"{suffix}_vcpu_hour",
                         share * low * vcpu * HOURS_PER_MONTH, share * high * vcpu * HOURS_PER_MONTH),
                  c.line(r, f"{label} GB hours ({tasks} of {memory:g} GB)", f"{suffix}_gb_hour",
                         share * low * memory * HOURS_PER_MONTH, share * high * memory * HOURS_PER_MONTH)]
    return lines


def _service_discovery_service(r: Resource, c: Context) -> list[Line]:
    services = c.referencing(r, "aws_ecs_service", "service_registries")
    low, high = capacity(services[0], c) if services else (1, 1)
    return [c.line(r, "registered instances (the service's tasks)", "cloud_map_instance_month", low, high)]


def _web_acl(r: Resource, c: Context) -> list[Line]:
    rules = r.values.get("rule") or []
    requests = c.site_requests() * c.static_sites() if r.values.get("scope") == "CLOUDFRONT" else c.alb_requests()
    return [c.line(r, "web ACL", "waf_web_acl_month", 1),
            c.line(r, f"rules ({len(rules)})", "waf_rule_month", len(rules)),
            c.line(r, "requests inspected", "waf_million_requests", requests / 1e6)]


def _distribution(r: Resource, c: Context) -> list[Line]:
    requests = c.site_requests()
    return [c.line(r, "data transfer out", "cloudfront_gb_out", requests * c.usage.response_kb / 1e6),
            c.line(r, "HTTPS requests", "cloudfront_10k_https_requests", requests / 1e4)]


def _cloudfront_function(r: Resource, c: Context) -> list[Line]:
    return [c.line(r, "invocations (one per request to its site)", "cloudfront_function_million",
                   c.site_requests() / 1e6)]


def _log_delivery(r: Resource, c: Context) -> list[Line]:
    return [c.line(r, "access logs delivered to S3", "vended_logs_to_s3_gb",
                   c.site_requests() * c.usage.access_log_bytes_per_request / 1e9)]


def _kms_key(r: Resource, c: Context) -> list[Line]:
    return [c.line(r, "key", "kms_key_month", 1),
            c.line(r, "requests", "kms_10k_requests", c.usage.kms_requests_per_key / 1e4)]


def _secret(r: Resource, c: Context) -> list[Line]:
    return [c.line(r, "secret", "secret_month", 1),
            c.line(r, "API calls", "secret_10k_api_calls", c.usage.secret_reads_per_month / 1e4)]


def _alarm(r: Resource, c: Context) -> list[Line]:
    queries = r.values.get("metric_query") or []
    metrics = sum(1 for q in queries if isinstance(q, dict) and q.get("metric")) if queries else 1
    high_resolution = _number(r.values.get("period"), 60) < 60
    key = "alarm_high_resolution_metric_month" if high_resolution else "alarm_metric_month"
    return [c.line(r, f"alarm metrics ({metrics})", key, metrics)]


def _dashboard(r: Resource, c: Context) -> list[Line]:
    return [c.line(r, "dashboard", "dashboard_month", 1)]


def _log_group(r: Resource, c: Context) -> list[Line]:
    ingested = c.usage.log_ingestion_gb_per_group
    retention = _number(r.values.get("retention_in_days"), 0) or 365   # never expiring: a year's worth
    stored = ingested * min(retention, 365) / DAYS_PER_MONTH
    return [c.line(r, "ingestion (usage.log_ingestion_gb_per_group)", "logs_ingestion_gb", ingested),
            c.line(r, f"storage ({retention:g} days kept)", "logs_storage_gb_month", stored)]


def _hosted_zone(r: Resource, c: Context) -> list[Line]:
    return [c.line(r, "hosted zone", "route53_zone_month", 1),
            c.line(r, "queries", "route53_million_queries", c.usage.dns_queries_million_per_zone)]


def _private_dns_namespace(r: Resource, c: Context) -> list[Line]:
    # Cloud Map keeps a private hosted zone for the namespace; the tasks' lookups are its queries.
    return _hosted_zone(r, c)


def _bucket(r: Resource, c: Context) -> list[Line]:
    # Requests are not estimated: a few thousand a month here, cents at most.
    return [c.line(r, "Standard storage (usage.bucket_storage_gb)", "s3_standard_gb_month", c.usage.bucket_storage_gb)]


def _repository(r: Resource, c: Context) -> list[Line]:
    images = c.platform.containers.ecr_keep_images
    return [c.line(r, f"image storage ({images} images kept)", "ecr_gb_month", images * c.usage.image_gb)]


def _build_project(r: Resource, c: Context) -> list[Line]:
    environment = r.values.get("environment") or {}
    environment = environment[0] if isinstance(environment, list) and environment else environment
    compute = str(environment.get("compute_type", "BUILD_GENERAL1_SMALL")).lower().removeprefix("build_")
    minutes = c.usage.builds_per_month * c.usage.build_minutes
    return [c.line(r, f"build minutes ({compute})", f"codebuild_{compute}_minute", minutes)]


def _pipeline(r: Resource, c: Context) -> list[Line]:
    if r.values.get("pipeline_type", "V1") == "V2":
        return [c.line(r, "action minutes", "codepipeline_v2_action_minute",
                       c.usage.builds_per_month * c.usage.pipeline_action_minutes_per_run)]
    return [c.line(r, "active pipeline", "codepipeline_v1_month", 1)]


def _user_pool(r: Resource, c: Context) -> list[Line]:
    tier = str(r.values.get("user_pool_tier") or "ESSENTIALS").lower()
    return [c.line(r, f"{tier.title()} tier monthly active users", f"cognito_{tier}_mau", c.usage.active_users)]


def _sampling_rule(r: Resource, c: Context) -> list[Line]:
    requests = c.alb_requests()
    reservoir = _number(r.values.get("reservoir_size"), 0) * SECONDS_PER_MONTH
    traced = min(requests, reservoir) + _number(r.values.get("fixed_rate"), 0) * max(0.0, requests - reservoir)
    return [c.line(r, "traces recorded", "xray_million_traces", traced / 1e6)]


def _guardrail(r: Resource, c: Context) -> list[Line]:
    units = (c.usage.active_users * c.usage.ai_requests_per_user_per_day * DAYS_PER_MONTH
             * c.usage.text_units_per_ai_request) / 1e3
    policies = (("content_policy_config", "content filters", "guardrail_content_filter_1k_units"),
                ("topic_policy_config", "denied topics", "guardrail_denied_topics_1k_units"),
                ("sensitive_information_policy_config", "sensitive information filters",
                 "guardrail_sensitive_information_1k_units"))
    return [c.line(r, label, key, units) for attribute, label, key in policies if r.values.get(attribute)]


def _ecs_cluster(r: Resource, c: Context) -> list[Line] | None:
    settings = r.values.get("setting") or []
    if any(s.get("name") == "containerInsights" and s.get("value") in ("enabled", "enhanced") for s in settings):
        return [Line(r.address, "Container Insights metrics and performance logs: depend on usage, not estimated",
                     "-", None, None)]
    return None


PRICED: dict[str, Callable[[Resource, Context], list[Line] | None]] = {
    "aws_nat_gateway": _nat_gateway,
    "aws_eip": _elastic_ip,
    "aws_vpc_endpoint": _vpc_endpoint,
    "aws_lb": _load_balancer,
    "aws_rds_cluster": _cluster,
    "aws_rds_cluster_instance": _cluster_instance,
    "aws_db_proxy": _db_proxy,
    "aws_ecs_service": _ecs_service,
    "aws_ecs_cluster": _ecs_cluster,
    "aws_service_discovery_service": _service_discovery_service,
    "aws_service_discovery_private_dns_namespace": _private_dns_namespace,
    "aws_wafv2_web_acl": _web_acl,
    "aws_cloudfront_distribution": _distribution,
    "aws_cloudfront_function": _cloudfront_function,
    "aws_cloudwatch_log_delivery": _log_delivery,
    "aws_kms_key": _kms_key,
    "aws_secretsmanager_secret": _secret,
    "aws_cloudwatch_metric_alarm": _alarm,
    "aws_cloudwatch_dashboard": _dashboard,
    "aws_cloudwatch_log_group": _log_group,
    "aws_route53_zone": _hosted_zone,
    "aws_s3_bucket": _bucket,
    "aws_ecr_repository": _repository,
    "aws_codebuild_project": _build_project,
    "aws_codepipeline": _pipeline,
    "aws_cognito_user_pool": _user_pool,
    "aws_xray_sampling_rule": _sampling_rule,
    "aws_bedrock_guardrail": _guardrail,
}

# Types AWS does not charge for (their cost, if any, is counted on the resource they serve).
FREE = frozenset({
    # identity and access
    "aws_iam_role", "aws_iam_policy", "aws_iam_role_policy", "aws_iam_role_policy_attachment",
    "aws_cognito_user_pool_client", "aws_cognito_user_pool_domain", "aws_cognito_identity_pool",
    "aws_cognito_user_group",
    "aws_codestarconnections_connection",
    # network plumbing; gateway endpoints are decided in _vpc_endpoint
    "aws_vpc", "aws_subnet", "aws_route_table", "aws_route_table_association", "aws_route", "aws_internet_gateway",
    "aws_network_acl", "aws_network_acl_rule", "aws_default_security_group", "aws_security_group",
    "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_flow_log",
    # parts of a priced resource
    "aws_lb_listener", "aws_lb_listener_rule", "aws_lb_target_group", "aws_wafv2_web_acl_association",
    "aws_wafv2_web_acl_logging_configuration", "aws_cloudfront_origin_access_control",
    "aws_cloudfront_response_headers_policy", "aws_db_subnet_group", "aws_rds_cluster_parameter_group",
    "aws_db_proxy_default_target_group", "aws_db_proxy_target", "aws_db_proxy_endpoint",
    "aws_ecs_task_definition", "aws_ecs_cluster_capacity_providers", "aws_appautoscaling_target",
    "aws_appautoscaling_policy", "aws_ecr_lifecycle_policy", "aws_secretsmanager_secret_version", "aws_kms_alias",
    "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_logging", "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy", "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning", "aws_cloudwatch_log_resource_policy", "aws_cloudwatch_log_delivery_source",
    "aws_cloudwatch_log_delivery_destination", "aws_bedrock_guardrail_version", "aws_xray_group",
    "aws_route53_record", "aws_route53_query_log", "aws_route53_key_signing_key", "aws_route53_hosted_zone_dnssec",
    "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target", "aws_sns_topic_subscription",
    # free outright, or free at this usage
    "aws_acm_certificate", "aws_acm_certificate_validation", "aws_ssm_parameter", "aws_resourcegroups_group",
    "aws_applicationinsights_application",
    "aws_sns_topic",   # the first million publishes and 1,000 emails a month are free; alarms send a few
})


# ---------------------------------------------------------------------------- estimate

@dataclass
class WorkspaceEstimate:
    workspace: str
    lines: list[Line] = field(default_factory=list)
    free: list[str] = field(default_factory=list)
    not_priced: list[str] = field(default_factory=list)   # addresses of types neither priced nor free

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def total_at_max(self) -> float:
        return sum(line.monthly_at_max for line in self.lines)

    @property
    def estimated(self) -> list[str]:
        return list(dict.fromkeys(line.address for line in self.lines if line.estimated))

    @property
    def not_estimated(self) -> list[Line]:
        """Lines of priced types that still carry no amount (usage not assumed, price missing)."""
        return [line for line in self.lines if not line.estimated]

    def by_address(self) -> dict[str, tuple[float, float]]:
        found: dict[str, tuple[float, float]] = {}
        for line in self.lines:
            low, high = found.get(line.address, (0.0, 0.0))
            found[line.address] = (low + line.monthly, high + line.monthly_at_max)
        return found


def estimate(workspace: str, resources: Iterable[Resource], platform: Platform,
             prices: dict[str, Price] | None = None) -> WorkspaceEstimate:
    resources = list(resources)
    context = Context(resources, platform, prices if prices is not None else load_prices())
    result = WorkspaceEstimate(workspace)
    for resource in resources:
        pricer = PRICED.get(resource.type)
        lines = pricer(resource, context) if pricer else None
        if lines:
            result.lines += lines
        elif pricer or resource.type in FREE:
            result.free.append(resource.address)
        else:
            result.not_priced.append(resource.address)
    return result


def estimate_stacks(stacks: dict[str, dict], platform: Platform, order: list[str] | None = None,
                    prices: dict[str, Price] | None = None) -> list[WorkspaceEstimate]:
    """One estimate per synthesized workspace, in `order` (default: the stacks' order)."""
    prices = prices if prices is not None else load_prices()
    return [estimate(name, stack_resources(stacks[name]), platform, prices) for name in (order or list(stacks))]


# ---------------------------------------------------------------------- plan difference

@dataclass(frozen=True)
class LineChange:
    address: str
    dimension: str
    before: float
    after: float


@dataclass
class CostChange:
    """What a plan does to a workspace's monthly cost (at minimum capacity)."""
    before: float
    after: float
    lines: list[LineChange]          # resources whose cost changes
    not_priced: list[str]            # resources after the change that could not be priced

    @property
    def difference(self) -> float:
        return self.after - self.before

    def as_dict(self) -> dict:
        return {"past_total_monthly_cost": round(self.before, 2), "total_monthly_cost": round(self.after, 2),
                "diff_total_monthly_cost": round(self.difference, 2),
                "resources": [{"address": line.address, "dimension": line.dimension, "before": round(line.before, 2),
                               "after": round(line.after, 2)} for line in self.lines],
                "not_priced": self.not_priced}


def plan_cost(workspace: str, plan: dict, platform: Platform, prices: dict[str, Price] | None = None) -> CostChange:
    prices = prices if prices is not None else load_prices()
    before = estimate(workspace, plan_resources(plan, "before"), platform, prices)
    after = estimate(workspace, plan_resources(plan, "after"), platform, prices)
    old, new = before.by_address(), after.by_address()
    changed = []
    for address in dict.fromkeys([*old, *new]):
        was, now = old.get(address, (0.0, 0.0))[0], new.get(address, (0.0, 0.0))[0]
        if abs(now - was) >= 0.005:
            lines = [line for line in after.lines if line.address == address] or \
                    [line for line in before.lines if line.address == address]
            dimensions = ", ".join(dict.fromkeys(line.dimension.split(" (")[0] for line in lines))
            changed.append(LineChange(address, dimensions, was, now))
    return CostChange(before.total, after.total, changed, after.not_priced)


# ----------------------------------------------------------------------------- command

def _quantity(line: Line) -> str:
    if line.quantity is None:
        return "-"
    low = f"{line.quantity:,.4g}"
    return low if line.quantity_at_max in (None, line.quantity) else f"{low}-{line.quantity_at_max:,.4g}"


def line_rows(estimates: list[WorkspaceEstimate]) -> list[list[object]]:
    return [[e.workspace, line.address, line.dimension, _quantity(line), line.unit,
             f"{line.unit_price:.6g}" if line.unit_price is not None else None, line.monthly, line.monthly_at_max]
            for e in estimates for line in e.lines]


def counts(estimates: list[WorkspaceEstimate]) -> str:
    """Infracost's summary: how many resources were estimated, free, not priced."""
    estimated = sum(len(e.estimated) for e in estimates)
    unestimated = sum(len({line.address for line in e.lines} - set(e.estimated)) for e in estimates)
    free = sum(len(e.free) for e in estimates)
    not_priced = [a for e in estimates for a in e.not_priced]
    partly = [line for e in estimates for line in e.not_estimated]
    text = (f"{estimated + unestimated + free + len(not_priced)} resources: {estimated} estimated, "
            + (f"{unestimated} priced by usage not assumed, " if unestimated else "")
            + f"{free} free, {len(not_priced)} not priced")
    if not_priced:
        text += "\n  not priced (a type toolkit/cost.py does not know): " + ", ".join(not_priced)
    if partly:
        text += "\n  not estimated: " + "; ".join(f"{line.address} ({line.dimension})" for line in partly)
    return text


def as_json(platform: Platform, estimates: list[WorkspaceEstimate]) -> dict:
    def line_json(line: Line) -> dict:
        return {"dimension": line.dimension, "quantity": line.quantity, "quantity_at_max": line.quantity_at_max,
                "unit": line.unit, "unit_price": line.unit_price, "price": line.price.key if line.price else None,
                "monthly_cost": round(line.monthly, 4), "monthly_cost_at_max": round(line.monthly_at_max, 4)}

    return {
        "environment": platform.environment,
        "total_monthly_cost": round(sum(e.total for e in estimates), 2),
        "total_monthly_cost_at_max": round(sum(e.total_at_max for e in estimates), 2),
        "workspaces": [{
            "workspace": e.workspace,
            "total_monthly_cost": round(e.total, 2), "total_monthly_cost_at_max": round(e.total_at_max, 2),
            "resources": [{"address": address, "lines": [line_json(line) for line in e.lines if line.address == address]}
                          for address in dict.fromkeys(line.address for line in e.lines)],
            "free": e.free, "not_priced": e.not_priced,
        } for e in estimates],
    }


def plan_workspace_name(plan: dict) -> str | None:
    """The workspace a plan JSON belongs to: the provider's default `workspace` tag (workspaces/base.py)."""
    for provider in plan.get("configuration", {}).get("provider_config", {}).values():
        for tags in provider.get("expressions", {}).get("default_tags", []):
            workspace = tags.get("tags", {}).get("constant_value", {}).get("workspace")
            if workspace:
                return workspace
    return None


def cost_command(environment: str | None, workspaces: list[str], *, json_output: bool = False,
                 plan_file: str | None = None, summary_only: bool = False) -> int:
    import json
    import sys

    from toolkit.definition import REPO_ROOT, load_platform
    from toolkit.plan import selected
    from toolkit.report import table
    from toolkit.synth import synthesize

    prices = load_prices()
    if plan_file:
        try:
            plan = json.loads(Path(plan_file).read_text())
        except (OSError, json.JSONDecodeError) as error:
            print(f"error: {plan_file} is not a plan's JSON (`terraform show -json <planfile>`): {error}", file=sys.stderr)
            return 2
        name = workspaces[0] if len(workspaces) == 1 else plan_workspace_name(plan)
        if not name:
            print("error: name the workspace the plan belongs to: python -m toolkit cost <workspace> --plan FILE",
                  file=sys.stderr)
            return 2
        change = plan_cost(name, plan, load_platform(environment=environment), prices)
        if json_output:
            print(json.dumps({"workspace": name, **change.as_dict()}, indent=2))
            return 0
        print(table(["resource", "price dimension", "before $/month", "after $/month", "change"],
                    [[line.address, line.dimension, line.before, line.after, line.after - line.before]
                     for line in change.lines]) if change.lines else "no resource's cost changes")
        print(f"\n{name}: ${change.before:,.2f} -> ${change.after:,.2f} a month ({change.difference:+,.2f})"
              + (f"; not priced: {', '.join(change.not_priced)}" if change.not_priced else ""))
        return 0

    base = load_platform(environment=environment)
    environments = [environment] if environment else list(base.definition.environments)
    results = []
    for name in environments:
        platform = load_platform(environment=name)
        outdir = REPO_ROOT / "cdktf.out" / "cost" / name   # beside, not over, the synth of `make synth`
        outdir.mkdir(parents=True, exist_ok=True)
        synthesized = synthesize(platform, outdir)
        try:
            order = selected(synthesized.workspaces(platform), workspaces)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        results.append((platform, estimate_stacks(synthesized.stacks, platform, order, prices)))
    if json_output:
        print(json.dumps({"currency": "USD", "region": base.region, "hours_per_month": HOURS_PER_MONTH,
                          "prices": str(Path("toolkit") / "prices.toml"), "usage": base.usage.model_dump(),
                          "environments": [as_json(p, e) for p, e in results]}, indent=2))
        return 0
    for platform, estimates in results:
        if not summary_only:
            print(f"\n{platform.environment}: monthly estimate per resource (us-east-1 on-demand, "
                  f"usage from platform.toml [usage])\n")
            print(table(["workspace", "resource", "price dimension", "quantity", "unit", "USD per unit", "$/month",
                         "$/month at max"], line_rows(estimates)))
        print(f"\n{platform.environment}: {counts(estimates)}")
    names = [e.workspace for e in results[0][1]]
    totals = {(p.environment, e.workspace): e for p, e_list in results for e in e_list}
    rows = [[name, *[value for p, _ in results for value in (totals[p.environment, name].total,
                                                             totals[p.environment, name].total_at_max)]]
            for name in names]
    rows.append(["all workspaces", *[value for _, e_list in results for value in
                                     (sum(e.total for e in e_list), sum(e.total_at_max for e in e_list))]])
    headers = ["workspace", *[h for p, _ in results for h in (f"{p.environment} $/month", f"{p.environment} at max")]]
    print("\nmonthly estimate per workspace (at the services' minimum capacity, and at their maximum)\n")
    print(table(headers, rows))
    return 0
