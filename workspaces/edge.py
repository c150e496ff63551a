"""edge workspace: the hosted zone, the wildcard certificate, the primary ALB with its
listeners, target groups and host/path rules, and the WAF web ACLs.

Everything routed is derived from the project list: each ALB-routed service gets a target
group, each project's host gets `/api/*` (its api service) and `/*` (its site service) rules
with priorities computed from the project's position (`alb_routes`). A UI service's `/*` rule
signs users in first, so its project's frontend workspace adds it to the published HTTPS
listener with the priority `alb_routes` gives it. A fifth project is a platform.toml edit.
"""
from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformIterator, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias

from cdktf_cdktf_provider_aws.data_aws_secretsmanager_secret_version import DataAwsSecretsmanagerSecretVersion

from building_blocks.hosted_zone import PublicHostedZone, PublicHostedZoneProps
from building_blocks.load_balancer import (
    HealthCheck,
    LoadBalancer,
    LoadBalancerProps,
    Refusal,
    RequiredHeader,
    Route,
    TargetGroupProps,
)
from building_blocks.secret import GeneratedValue, Secret, SecretProps
from building_blocks.web_acl import WebAcl, WebAclProps
from toolkit.definition import DefinitionError, Platform, Project, Service
from workspaces.base import Workspace, output_key
from workspaces.network import ALB_GROUP

# The ALB path each routing kind owns on its project's host, in rule order (the spec lists
# `/api/*` before `/*` for lang-portal and haiku).
ROUTING_PATHS = (("api", "/api/*"), ("site", "/*"))
RATE_WINDOW_SECONDS = 300  # waf.rate_limit_per_5_minutes is per 5 minutes
CLOUDFRONT_REGION = "us-east-1"  # CloudFront ACLs and certificates, DNSSEC keys, DNS query logs
# CloudFront sends this header, with the origin-verify secret as its value, to the ALB; the ALB
# routes the CloudFront-fronted hosts only for requests that carry it (docs/edge-monitoring-ai.md).
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
ORIGIN_SLOTS = (0, 1)  # the origin-verify secrets: the value CloudFront sends and the one before it


@dataclass(frozen=True)
class AlbRoute:
    project: Project
    service: Service
    host: str
    path_pattern: str
    priority: int

    @property
    def through_cloudfront(self) -> bool:
        """A static frontend's host is CloudFront's: its API reaches the ALB only through it."""
        return self.project.frontend == "static"

    @property
    def signs_in(self) -> bool:
        """A UI service's site: the ALB signs users in first (`authenticate-cognito`), so the rule
        reads the user pool and is added by the project's frontend workspace (auth reads edge)."""
        return self.project.ui_frontend and self.service.routing == "site"


def alb_services(platform: Platform) -> list[Service]:
    """Every service with a target group on the ALB (routing api or site), in project order."""
    return [s for p in platform.projects for s in p.services if s.on_load_balancer]


def alb_routes(platform: Platform) -> list[AlbRoute]:
    """Listener rules in priority order: project i (from 0) gets base (i + 1) * step, its
    api service base + 1 and its site service base + 2. Static-frontend projects have no
    site service (CloudFront serves the SPA), so only `/api/*` reaches the ALB for them."""
    step = platform.load_balancer.rule_priority_step
    routes = []
    for index, project in enumerate(platform.projects):
        base = (index + 1) * step
        for offset, (routing, path_pattern) in enumerate(ROUTING_PATHS, start=1):
            for service in project.services:
                if service.routing == routing:
                    routes.append(AlbRoute(project, service, platform.host(project.subdomain), path_pattern, base + offset))
    return routes


def origin_refusals(platform: Platform) -> list[Refusal]:
    """A fixed 403 for each CloudFront-fronted host, on the `/*` slot of its project (a static
    frontend has no site service there): whatever reached the ALB without the origin header."""
    step = platform.load_balancer.rule_priority_step
    site_offset = [routing for routing, _ in ROUTING_PATHS].index("site") + 1
    return [Refusal(priority=(index + 1) * step + site_offset, host=platform.host(project.subdomain),
                    body='{"error": "forbidden: this host is served through CloudFront"}')
            for index, project in enumerate(platform.projects) if project.frontend == "static"]


def origin_slot_writes(version: int, slot: int) -> int:
    """How often `slot` has been written by `origin_secret_version` = version (its secret's
    write-only version): once at creation, again at each later version that lands in it."""
    return (version - slot) // len(ORIGIN_SLOTS) + 1


def web_acl_names(platform: Platform) -> dict[str, str]:
    """Web ACL name by scope; also the WebACL dimension of their metrics (monitoring uses it)."""
    return {"REGIONAL": platform.resource_name("alb-waf"), "CLOUDFRONT": platform.resource_name("cloudfront-waf")}


class EdgeWorkspace(Workspace):
    def __init__(self, scope, spec, platform: Platform):
        super().__init__(scope, spec, platform)
        if platform.region != CLOUDFRONT_REGION:
            raise DefinitionError(
                f"platform.region is {platform.region!r}, but the edge workspace creates what AWS requires in "
                f"{CLOUDFRONT_REGION} (the CloudFront web ACL, the certificate CloudFront and Cognito use, the DNSSEC "
                f"key and the DNS query-log group) with its provider, so the region must be {CLOUDFRONT_REGION}")
        domain = platform.domain
        settings = platform.load_balancer

        logs_key = self.read("storage", "kms_key_arn_logs")
        zone = PublicHostedZone(self, "zone", PublicHostedZoneProps(
            domain=domain, resource_prefix=self.name(), query_log_retention_days=platform.monitoring.log_retention_days,
            query_log_kms_key_arn=logs_key, comment=f"{platform.name} {platform.environment}",
            dnssec=not platform.emulator_skips("route53_dnssec")))
        certificate_arn = self._validated_certificate(zone, domain)

        alb = LoadBalancer(self, "alb", LoadBalancerProps(
            name=self.name("alb"),
            subnet_ids=self.read_list("network", "public_subnet_ids"),
            security_group_ids=[self.read("network", "security_group_id", ALB_GROUP)],
            certificate_arn=certificate_arn,
            access_log_bucket=self.read("storage", "log_bucket_name"),
            access_log_prefix=settings.access_log_prefix,
            ssl_policy=settings.ssl_policy,
            idle_timeout_seconds=settings.idle_timeout_seconds,
            deletion_protection=platform.env.deletion_protection))

        vpc_id = self.read("network", "vpc_id")
        target_groups = {}
        for service in alb_services(platform):
            group = alb.add_target_group(f"tg-{service.name}", TargetGroupProps(
                name=self.name(service.name), port=service.port, vpc_id=vpc_id,
                deregistration_delay_seconds=settings.deregistration_delay_seconds,
                # A UI service keeps each page's state in the process that served it.
                stickiness_seconds=settings.ui_stickiness_seconds if service.routing == "site" else None,
                health_check=HealthCheck(
                    path=service.alb_health_path, matcher=getattr(settings.success_codes, service.routing),
                    interval_seconds=settings.health_check.interval_seconds,
                    timeout_seconds=settings.health_check.timeout_seconds,
                    healthy_threshold=settings.health_check.healthy_threshold,
                    unhealthy_threshold=settings.health_check.unhealthy_threshold)))
            target_groups[service.name] = group
            self.publish(output_key("target_group_arn", service.name), group.arn,
                         f"target group of {service.name} (the ECS service registers its tasks here)")
            self.publish(output_key("target_group_arn_suffix", service.name), group.arn_suffix,
                         f"TargetGroup metric dimension of {service.name}")
        origin_header = self._origin_verification(platform)
        for route in (r for r in alb_routes(platform) if not r.signs_in):
            alb.add_route(f"rule-{route.service.name}", Route(
                priority=route.priority, host=route.host, path_pattern=route.path_pattern,
                target_group_arn=target_groups[route.service.name].arn,
                required_header=origin_header if route.through_cloudfront else None))
        for refusal in origin_refusals(platform):
            alb.add_refusal(f"refuse-{refusal.host.split('.')[0]}", refusal)

        self._alias(zone, "apex", domain, alb)  # Cognito custom domains need the parent domain to resolve
        for project in platform.projects:
            # Static frontends get their alias to CloudFront in their frontend workspace.
            if project.frontend != "static":
                self._alias(zone, project.name, platform.host(project.subdomain), alb)

        waf = platform.waf
        acls = {}
        for acl_scope, acl_name in web_acl_names(platform).items():
            acls[acl_scope] = WebAcl(self, f"waf-{acl_scope.lower()}", WebAclProps(
                name=acl_name, scope=acl_scope,
                log_retention_days=platform.monitoring.log_retention_days, log_kms_key_arn=logs_key,
                rate_limit=waf.rate_limit_per_5_minutes, rate_window_seconds=RATE_WINDOW_SECONDS,
                managed_rule_groups=tuple(waf.managed_rule_groups),
                count_only_rules={group: tuple(rules) for group, rules in waf.count_only_rules.items()},
                blocked_countries=tuple(waf.blocked_countries),
                # Tokens travel in the Authorization header and the session cookies; the origin
                # header carries the origin-verify secret.
                redacted_headers=("authorization", "cookie", ORIGIN_VERIFY_HEADER.lower()),
                # At the ALB, CloudFront's requests (every viewer of a static site behind CloudFront's
                # addresses) are limited per viewer at the CloudFront ACL; everyone else here.
                rate_limit_exempt_header=((ORIGIN_VERIFY_HEADER, origin_header.values)
                                          if acl_scope == "REGIONAL" else None),
                # The regional ACL also guards the user pool's hosted UI (auth workspace).
                path_rate_limits=((("rate-limit-sign-in", waf.sign_in_rate_limit_per_5_minutes,
                                    tuple(waf.sign_in_paths)),) if acl_scope == "REGIONAL" else ()),
                associated_resource_arns=(alb.arn,) if acl_scope == "REGIONAL" else ()))

        self.publish("hosted_zone_id", zone.zone_id, f"Route53 hosted zone of {domain}")
        self.publish("certificate_arn", certificate_arn,
                     f"validated ACM certificate for *.{domain} and {domain} (us-east-1: usable by CloudFront and Cognito)")
        self.publish("alb_arn", alb.arn, "primary ALB")
        self.publish("alb_arn_suffix", alb.arn_suffix, "LoadBalancer metric dimension of the primary ALB")
        self.publish("alb_dns_name", alb.dns_name, "DNS name of the primary ALB (CloudFront /api/* origin)")
        self.publish("alb_zone_id", alb.zone_id, "hosted zone id of the ALB, for alias records")
        self.publish("https_listener_arn", alb.https_listener.arn, "HTTPS:443 listener of the primary ALB")
        self.publish("waf_web_acl_arn_cloudfront", acls["CLOUDFRONT"].arn, "web ACL for the CloudFront distributions")
        self.publish("waf_web_acl_arn_regional", acls["REGIONAL"].arn,
                     "web ACL associated with the primary ALB and the Cognito user pool")
        self.publish("origin_verify_secret_arn", self.origin_secret.arn,
                     f"Secret (the current slot) CloudFront sends as {ORIGIN_VERIFY_HEADER} to the ALB "
                     "(the value never leaves Secrets Manager)")

    def _origin_verification(self, platform: Platform) -> RequiredHeader:
        """The origin-verify values the ALB accepts: two secrets (slots), both always accepted.
        Version v of `load_balancer.origin_secret_version` lives in slot v % 2, and CloudFront sends
        the current version's slot (`origin_verify_secret_arn`). Raising the version rewrites the
        other slot, the one two versions old that no distribution sends any more, so the value the
        distributions still send stays accepted until their workspaces apply the new one. Each slot
        exists from the first apply, so a new environment can start at any version."""
        version = platform.load_balancer.origin_secret_version
        self.origin_secrets = [Secret(self, f"origin-verify-{slot}", SecretProps(
            name=f"{self.name()}/origin-verify-{slot}", kms_key_arn=self.read("storage", "kms_key_arn_data"),
            description=f"{ORIGIN_VERIFY_HEADER} (slot {slot}): CloudFront sends one slot to the ALB, which accepts both",
            generate=GeneratedValue(version=origin_slot_writes(version, slot)))) for slot in ORIGIN_SLOTS]
        self.origin_secret = self.origin_secrets[version % len(ORIGIN_SLOTS)]
        values = tuple(DataAwsSecretsmanagerSecretVersion(
            self, f"origin-verify-{slot}-value", secret_id=secret.arn, depends_on=[secret.version]).secret_string
            for slot, secret in zip(ORIGIN_SLOTS, self.origin_secrets))
        return RequiredHeader(ORIGIN_VERIFY_HEADER, values)

    def _validated_certificate(self, zone: PublicHostedZone, domain: str) -> str:
        """The certificate's ARN as the validation resource reports it, so that users wait
        until the certificate is issued."""
        certificate = AcmCertificate(
            self, "certificate", domain_name=f"*.{domain}", subject_alternative_names=[domain],
            validation_method="DNS", key_algorithm="RSA_2048",
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True))
        # One record per validation option, keyed by domain name (known at plan time). The
        # wildcard and the apex share one CNAME, hence allow_overwrite.
        options = TerraformIterator.from_complex_list(certificate.domain_validation_options, "domain_name")
        records = Route53Record(
            self, "certificate-validation", for_each=options, zone_id=zone.zone_id, allow_overwrite=True, ttl=60,
            name=options.get_string("resource_record_name"), type=options.get_string("resource_record_type"),
            records=[options.get_string("resource_record_value")])
        # from_complex_list renders a tolist() whose keys Terraform cannot know before apply
        # once the certificate has two names (hashicorp/terraform-cdk#3627); a for expression
        # keyed by domain_name is known at plan time.
        records.add_override("for_each", "${{ for option in " + certificate.fqn
                             + ".domain_validation_options : option.domain_name => option }}")
        validation = AcmCertificateValidation(
            self, "certificate-validated", certificate_arn=certificate.arn,
            validation_record_fqdns=Token.as_list(TerraformIterator.from_resources(records).pluck_property("fqdn")))
        return validation.certificate_arn

    def _alias(self, zone: PublicHostedZone, id: str, name: str, alb: LoadBalancer) -> Route53Record:
        return Route53Record(
            self, f"alias-{id}", zone_id=zone.zone_id, name=name, type="A",
            alias=Route53RecordAlias(name=alb.dns_name, zone_id=alb.zone_id, evaluate_target_health=True))
