"""The edge workspace, as synthesized: hosted zone, certificate, primary ALB, listeners,
listener rules and target groups derived from the project list, WAF web ACLs."""
from __future__ import annotations

import copy
import json
import tomllib

import pytest

from building_blocks.load_balancer import elb_name
from building_blocks.web_acl import WebAcl, WebAclProps
from tests.contract import is_documented
from tests.tf import data_sources, logical_id, only, reference, refers_to, remote_reads, resources
from toolkit.definition import DEFAULT_DEFINITION, DefinitionError, Platform, parse_definition
from workspaces.edge import alb_routes

NETWORK = "data.terraform_remote_state.remote-network.outputs"
STORAGE = "data.terraform_remote_state.remote-storage.outputs"
SPEC_MANAGED_GROUPS = {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                       "AWSManagedRulesAmazonIpReputationList"}


@pytest.fixture(scope="module")
def edge(stacks):
    return stacks["edge"]


@pytest.fixture(scope="module")
def alb_id(edge):
    return logical_id(edge, "aws_lb", only(edge, "aws_lb"))


def listener(edge, port: int) -> tuple[str, dict]:
    (found,) = [(name, body) for name, body in resources(edge, "aws_lb_listener").items() if body["port"] == port]
    return found


def target_groups_by_service(edge, platform) -> dict[str, tuple[str, dict]]:
    by_name = {body["name"]: (name, body) for name, body in resources(edge, "aws_lb_target_group").items()}
    return {s.name: by_name[elb_name(platform.resource_name(s.name))]
            for p in platform.projects for s in p.services if elb_name(platform.resource_name(s.name)) in by_name}


def conditions(rule: dict) -> dict[str, object]:
    return {key: value if key == "http_header" else value["values"] for c in rule["condition"] for key, value in c.items()}


def rules_by_host(edge) -> dict[str, list[tuple[int, str, str]]]:
    """{host: [(priority, path pattern, target group reference)] sorted by priority} of the
    forwarding rules."""
    hosts: dict[str, list] = {}
    for body in resources(edge, "aws_lb_listener_rule").values():
        (action,) = body["action"]
        if action["type"] != "forward":
            continue
        (host,) = conditions(body)["host_header"]
        (path,) = conditions(body)["path_pattern"]
        hosts.setdefault(host, []).append((body["priority"], path, action["target_group_arn"]))
    return {host: sorted(rules) for host, rules in hosts.items()}


def refusals(edge) -> dict[str, tuple[int, dict]]:
    """{host: (priority, fixed response)} of the rules that answer without forwarding."""
    found = {}
    for body in resources(edge, "aws_lb_listener_rule").values():
        (action,) = body["action"]
        if action["type"] == "fixed-response":
            assert set(conditions(body)) == {"host_header"}
            (host,) = conditions(body)["host_header"]
            found[host] = (body["priority"], action["fixed_response"])
    return found


# The two origin-verify slots' values, both accepted by the ALB (slot 1 is version 1's, the one sent).
ORIGIN_VALUES = [f"${{data.aws_secretsmanager_secret_version.origin-verify-{slot}-value.secret_string}}"
                 for slot in (0, 1)]


# --- DNS ------------------------------------------------------------------------------------

def test_hosted_zone_of_the_domain_is_dnssec_signed_and_logs_queries(edge, platform):
    zone = only(edge, "aws_route53_zone")
    zone_id = logical_id(edge, "aws_route53_zone", zone)
    assert zone["name"] == "app-dw.net" == platform.domain
    key = only(edge, "aws_kms_key")
    assert key["customer_master_key_spec"] == "ECC_NIST_P256" and key["key_usage"] == "SIGN_VERIFY"
    signers = [s for s in json.loads(key["policy"])["Statement"] if s.get("Principal") == {"Service": "dnssec-route53.amazonaws.com"}]
    assert {a for s in signers for a in s["Action"]} == {"kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:CreateGrant"}
    (account_id,) = [name for name in data_sources(edge, "aws_caller_identity") if name.startswith("zone_")]
    for statement in signers:  # signing and its grants only for this account's zones (confused deputy)
        assert statement["Condition"]["StringEquals"] == {
            "aws:SourceAccount": f"${{data.aws_caller_identity.{account_id}.account_id}}"}
        assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"}
    ksk = only(edge, "aws_route53_key_signing_key")
    assert ksk["status"] == "ACTIVE" and refers_to(ksk["hosted_zone_id"], "aws_route53_zone", zone_id)
    assert only(edge, "aws_route53_hosted_zone_dnssec")["signing_status"] == "SIGNING"
    query_log = only(edge, "aws_route53_query_log")
    assert refers_to(query_log["zone_id"], "aws_route53_zone", zone_id)
    (group,) = [g for g in resources(edge, "aws_cloudwatch_log_group").values() if g["name"] == "/aws/route53/app-dw-dev/app-dw.net"]
    assert group["retention_in_days"] == 7 and group["kms_key_id"] == f"${{{STORAGE}.kms_key_arn_logs}}"


def test_alias_records_point_the_container_ui_hosts_and_the_apex_at_the_alb(edge, platform, alb_id):
    aliases = {r["name"]: r for r in resources(edge, "aws_route53_record").values() if "alias" in r}
    expected = {"app-dw.net"} | {platform.host(p.subdomain) for p in platform.projects if p.frontend != "static"}
    assert set(aliases) == expected == {"app-dw.net", "vocab.app-dw.net", "writing.app-dw.net"}
    for record in aliases.values():
        assert record["type"] == "A"
        assert record["alias"] == {"name": reference("aws_lb", alb_id, "dns_name"),
                                   "zone_id": reference("aws_lb", alb_id, "zone_id"), "evaluate_target_health": True}


def test_static_frontends_get_no_alias_here(edge, platform):
    # Their alias goes to CloudFront, in their own frontend workspace (docs/edge-monitoring-ai.md).
    names = {r["name"] for r in resources(edge, "aws_route53_record").values()}
    for project in platform.projects:
        if project.frontend == "static":
            assert platform.host(project.subdomain) not in names


def test_wildcard_certificate_with_apex_is_validated_by_dns(edge):
    certificate = only(edge, "aws_acm_certificate")
    cert_id = logical_id(edge, "aws_acm_certificate", certificate)
    assert certificate["domain_name"] == "*.app-dw.net"
    assert certificate["subject_alternative_names"] == ["app-dw.net"]
    assert certificate["validation_method"] == "DNS"
    assert certificate["lifecycle"] == {"create_before_destroy": True}
    (name, record) = [(n, r) for n, r in resources(edge, "aws_route53_record").items() if "for_each" in r][0]
    assert f"aws_acm_certificate.{cert_id}.domain_validation_options" in record["for_each"]
    assert "option.domain_name => option" in record["for_each"] and "tolist" not in record["for_each"]
    assert record["name"] == "${each.value.resource_record_name}"
    assert record["type"] == "${each.value.resource_record_type}"
    assert record["records"] == ["${each.value.resource_record_value}"]
    assert record["allow_overwrite"] is True  # wildcard and apex share one validation CNAME
    validation = only(edge, "aws_acm_certificate_validation")
    assert validation["certificate_arn"] == reference("aws_acm_certificate", cert_id, "arn")
    assert f"aws_route53_record.{name}" in validation["validation_record_fqdns"] and "fqdn" in validation["validation_record_fqdns"]


def test_certificate_output_waits_for_validation(edge):
    validation_id = logical_id(edge, "aws_acm_certificate_validation", only(edge, "aws_acm_certificate_validation"))
    assert edge["output"]["certificate_arn"]["value"] == reference(
        "aws_acm_certificate_validation", validation_id, "certificate_arn")


# --- load balancer --------------------------------------------------------------------------

def test_alb_is_internet_facing_hardened_and_logged(edge, platform):
    alb = only(edge, "aws_lb")
    assert alb["load_balancer_type"] == "application" and alb["internal"] is False
    assert alb["subnets"] == f"${{{NETWORK}.public_subnet_ids}}"
    assert alb["security_groups"] == [f"${{{NETWORK}.security_group_id_alb_sg}}"]
    assert alb["enable_deletion_protection"] is platform.env.deletion_protection is True
    assert alb["drop_invalid_header_fields"] is True
    assert alb["enable_http2"] is True
    assert alb["idle_timeout"] == platform.load_balancer.idle_timeout_seconds == 60
    assert alb["access_logs"] == {"bucket": f"${{{STORAGE}.log_bucket_name}}", "prefix": "alb", "enabled": True}


def test_https_listener_terminates_tls_with_the_validated_certificate_and_answers_404(edge, alb_id, platform):
    _, https = listener(edge, 443)
    validation_id = logical_id(edge, "aws_acm_certificate_validation", only(edge, "aws_acm_certificate_validation"))
    assert https["protocol"] == "HTTPS"
    assert https["load_balancer_arn"] == reference("aws_lb", alb_id, "arn")
    assert https["ssl_policy"] == platform.load_balancer.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["certificate_arn"] == reference("aws_acm_certificate_validation", validation_id, "certificate_arn")
    (action,) = https["default_action"]
    assert action["type"] == "fixed-response"
    assert action["fixed_response"]["status_code"] == "404"
    assert action["fixed_response"]["content_type"] == "application/json"
    json.loads(action["fixed_response"]["message_body"])


def test_http_listener_only_redirects_to_https(edge):
    _, http = listener(edge, 80)
    assert http["protocol"] == "HTTP"
    assert http["default_action"] == [{"type": "redirect",
                                       "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}}]


def test_rules_follow_the_spec_per_host_in_priority_order(edge, platform):
    groups = target_groups_by_service(edge, platform)
    tg = {service: reference("aws_lb_target_group", name, "arn") for service, (name, _) in groups.items()}
    assert rules_by_host(edge) == {
        # static frontends: the SPA is on CloudFront, only /api/* reaches the ALB
        "lang-portal.app-dw.net": [(11, "/api/*", tg["lang-portal-api"])],
        "haiku.app-dw.net": [(21, "/api/*", tg["haiku-api"])],
        # vocab (32) and writing (42): their `/*` rules sign users in, so their frontend workspaces
        # add them (tests/test_project_frontend.py), with these priorities
    }
    routes = {(r.host, r.priority) for r in alb_routes(platform) if r.signs_in}
    assert routes == {("vocab.app-dw.net", 32), ("writing.app-dw.net", 42)}
    https_id, _ = listener(edge, 443)
    for rule in resources(edge, "aws_lb_listener_rule").values():
        assert rule["listener_arn"] == reference("aws_lb_listener", https_id, "arn")


def test_cloudfront_fronted_hosts_are_routed_only_with_the_origin_header_and_refused_without(edge, platform):
    """CloudFront (and its web ACL) cannot be skipped by calling the ALB with the Host header of a
    static site: its API rule requires the secret header, everything else on that host gets a 403."""
    static = {platform.host(p.subdomain): index for index, p in enumerate(platform.projects) if p.frontend == "static"}
    assert set(static) == {"lang-portal.app-dw.net", "haiku.app-dw.net"}
    for body in resources(edge, "aws_lb_listener_rule").values():
        if body["action"][0]["type"] != "forward":
            continue
        (host,) = conditions(body)["host_header"]
        header = conditions(body).get("http_header")
        if host in static:
            assert header == {"http_header_name": "X-Origin-Verify", "values": ORIGIN_VALUES}, host
        else:
            assert header is None, host  # the UI hosts are the ALB's own: reached directly
    found = refusals(edge)
    assert set(found) == set(static)
    for host, (priority, response) in found.items():
        # the project's `/*` slot, after its /api/* rule (a static frontend has no site rule)
        assert priority == (static[host] + 1) * 10 + 2
        assert response["status_code"] == "403" and response["content_type"] == "application/json"
        assert "CloudFront" in json.loads(response["message_body"])["error"]


def origin_slots(edge) -> dict[str, tuple[str, dict, dict]]:
    """{secret name: (logical id, secret, its version)} of the origin-verify secrets."""
    versions = {v["secret_id"]: v for v in resources(edge, "aws_secretsmanager_secret_version").values()}
    return {secret["name"]: (secret_id, secret, versions[reference("aws_secretsmanager_secret", secret_id, "id")])
            for secret_id, secret in resources(edge, "aws_secretsmanager_secret").items()}


def test_the_origin_secret_is_generated_write_only_in_two_slots_both_read_for_the_rules(edge):
    slots = origin_slots(edge)
    assert set(slots) == {"app-dw-dev/origin-verify-0", "app-dw-dev/origin-verify-1"}
    for secret_id, secret, version in slots.values():
        assert secret["kms_key_id"] == f"${{{STORAGE}.kms_key_arn_data}}"
        assert "secret_string_wo" in version and "secret_string" not in version
        assert version["secret_string_wo_version"] == 1  # each written once, at creation
    reads = data_sources(edge, "aws_secretsmanager_secret_version")
    assert {name: read["secret_id"] for name, read in reads.items()} == {
        f"origin-verify-{slot}-value": reference("aws_secretsmanager_secret", slots[f"app-dw-dev/origin-verify-{slot}"][0], "arn")
        for slot in (0, 1)}
    assert all("version_stage" not in read for read in reads.values())  # AWSCURRENT of each: no AWSPREVIOUS needed
    # version 1 lives in slot 1: what CloudFront sends
    current_id = slots["app-dw-dev/origin-verify-1"][0]
    assert edge["output"]["origin_verify_secret_arn"]["value"] == reference("aws_secretsmanager_secret", current_id, "arn")


@pytest.mark.parametrize("version", [2, 3])  # a rotation into either slot
def test_a_rotation_rewrites_only_the_slot_no_distribution_sends(tmp_path, version):
    """Rotation without a refused request, and a new environment at any version: raising
    `origin_secret_version` rewrites the slot two versions old and names it current, while the
    other slot (the value the distributions still send) stays as it was and stays accepted."""
    from cdktf import App

    from workspaces.registry import WorkspaceSpec

    def synthesized(at: int) -> dict:
        data = tomllib.loads(DEFAULT_DEFINITION.read_text())
        data["load_balancer"]["origin_secret_version"] = at
        app = App(outdir=str(tmp_path / str(at)))
        WorkspaceSpec("edge", "workspaces.edge:EdgeWorkspace").build(app, Platform(parse_definition(data), "dev"))
        app.synth()
        return json.loads((tmp_path / str(at) / "stacks" / "edge" / "cdk.tf.json").read_text())

    before, after = synthesized(version - 1), synthesized(version)
    writes = {stack_name: {name: version_body["secret_string_wo_version"]
                           for name, (_, _, version_body) in origin_slots(stack).items()}
              for stack_name, stack in (("before", before), ("after", after))}
    current, other = f"app-dw-dev/origin-verify-{version % 2}", f"app-dw-dev/origin-verify-{(version - 1) % 2}"
    assert writes["after"][current] == writes["before"][current] + 1    # a new value where none is sent
    assert writes["after"][other] == writes["before"][other]            # the sent value is untouched
    current_id = origin_slots(after)[current][0]
    assert after["output"]["origin_verify_secret_arn"]["value"] == reference("aws_secretsmanager_secret", current_id, "arn")
    for body in resources(after, "aws_lb_listener_rule").values():
        if "http_header" in conditions(body):
            assert conditions(body)["http_header"]["values"] == ORIGIN_VALUES
    (rate,) = [r for r in acls(after)["REGIONAL"][1]["rule"] if r["name"] == "rate-limit-per-ip"]
    exempt = rate["statement"]["rate_based_statement"]["scope_down_statement"]["not_statement"]["statement"]
    assert [m["byte_match_statement"]["search_string"] for m in exempt["or_statement"]["statement"]] == ORIGIN_VALUES


def test_target_groups_match_the_spec(edge, platform):
    routed = [s for p in platform.projects for s in p.services if s.on_load_balancer]
    groups = target_groups_by_service(edge, platform)
    assert sorted(groups) == sorted(s.name for s in routed)
    assert len(resources(edge, "aws_lb_target_group")) == len(routed) == 4
    matcher = {"api": "200-299", "site": "200"}
    for service in routed:
        _, group = groups[service.name]
        assert group["protocol"] == "HTTP" and group["target_type"] == "ip"
        assert group["port"] == service.port
        assert group["vpc_id"] == f"${{{NETWORK}.vpc_id}}"
        assert group["deregistration_delay"] == "30"
        assert group["health_check"] == {
            "enabled": True, "protocol": "HTTP", "path": service.alb_health_path, "matcher": matcher[service.routing],
            "interval": 30, "timeout": 5, "healthy_threshold": 2, "unhealthy_threshold": 3}
        # A UI app's page state lives in one task (Gradio, Streamlit): its browser must return there.
        if service.routing == "site":
            assert group["stickiness"] == {"type": "lb_cookie", "enabled": True,
                                           "cookie_duration": platform.load_balancer.ui_stickiness_seconds}
        else:
            assert "stickiness" not in group
    ports = {name: groups[name][1]["port"] for name in groups}
    assert ports == {"lang-portal-api": 8000, "haiku-api": 8000, "vocab-generator-frontend": 8501, "writing-practice": 7860}
    paths = {name: groups[name][1]["health_check"]["path"] for name in groups}
    assert paths == {"lang-portal-api": "/api/health", "haiku-api": "/api/health",
                     "vocab-generator-frontend": "/healthz", "writing-practice": "/healthz"}


def test_internal_services_have_no_target_group(edge, platform):
    names = {body["name"] for body in resources(edge, "aws_lb_target_group").values()}
    assert elb_name(platform.resource_name("vocab-generator-backend")) not in names
    assert all(len(name) <= 32 for name in names)


FIFTH = {
    "name": "kanji-drill", "subdomain": "kanji", "security_group": "kanji-drill-sg", "database": False,
    "media": False, "calls": [], "frontend": "streamlit",
    "services": [
        {"name": "kanji-drill-api", "component": "backend", "container": "fastapi-app", "port": 8000,
         "health_path": "/health", "routing": "api", "alb_health_path": "/api/health"},
        {"name": "kanji-drill-frontend", "component": "frontend", "container": "streamlit-app", "port": 8501,
         "health_path": "/healthz", "routing": "site", "alb_health_path": "/healthz"},
    ],
}


@pytest.fixture(scope="module")
def five_projects(tmp_path_factory):
    from toolkit.synth import synthesize

    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    data["projects"].append(copy.deepcopy(FIFTH))
    platform = Platform(parse_definition(data), "dev")
    return platform, synthesize(platform, tmp_path_factory.mktemp("five-projects"), use_cache=False).stacks


def test_a_fifth_project_gets_target_groups_rules_and_alias_from_data_alone(five_projects):
    platform, stacks = five_projects
    edge = stacks["edge"]
    groups = target_groups_by_service(edge, platform)
    assert groups["kanji-drill-api"][1]["port"] == 8000
    assert groups["kanji-drill-api"][1]["health_check"]["matcher"] == "200-299"
    assert groups["kanji-drill-frontend"][1]["port"] == 8501
    assert groups["kanji-drill-frontend"][1]["health_check"]["matcher"] == "200"
    api = reference("aws_lb_target_group", groups["kanji-drill-api"][0], "arn")
    # /api/* before /* on the project's host, after the four existing projects; the UI's /* rule
    # signs users in, in the project's frontend workspace
    assert rules_by_host(edge)["kanji.app-dw.net"] == [(51, "/api/*", api)]
    (signed_in,) = resources(stacks["kanji-drill-frontend"], "aws_lb_listener_rule").values()
    assert signed_in["priority"] == 52 and signed_in["action"][-1]["target_group_arn"] == (
        "${data.terraform_remote_state.remote-edge.outputs.target_group_arn_kanji_drill_frontend}")
    assert "kanji.app-dw.net" in {r["name"] for r in resources(edge, "aws_route53_record").values()}
    for output in ("target_group_arn_kanji_drill_api", "target_group_arn_suffix_kanji_drill_frontend"):
        assert output in edge["output"]
    alarms = {a["alarm_name"] for a in resources(stacks["monitoring"], "aws_cloudwatch_metric_alarm").values()}
    assert {"app-dw-dev-kanji-drill-api-5xx-rate", "app-dw-dev-kanji-drill-api-latency-p95",
            "app-dw-dev-kanji-drill-frontend-failed-tasks"} <= alarms


def test_priorities_are_unique_and_below_the_alb_limit(stacks, five_projects):
    for every in (stacks, five_projects[1]):  # one listener: the edge's rules and the UI frontends'
        priorities = [r["priority"] for stack in every.values() for r in resources(stack, "aws_lb_listener_rule").values()]
        assert len(set(priorities)) == len(priorities) and max(priorities) <= 50000


# --- WAF ------------------------------------------------------------------------------------

def acls(edge) -> dict[str, tuple[str, dict]]:
    return {body["scope"]: (name, body) for name, body in resources(edge, "aws_wafv2_web_acl").items()}


def test_one_regional_and_one_cloudfront_web_acl(edge):
    found = acls(edge)
    assert set(found) == {"REGIONAL", "CLOUDFRONT"}
    assert found["REGIONAL"][1]["name"] == "app-dw-dev-alb-waf"
    assert found["CLOUDFRONT"][1]["name"] == "app-dw-dev-cloudfront-waf"
    for _, acl in found.values():
        assert acl["default_action"] == {"allow": {}}


def test_web_acls_run_the_spec_managed_groups_and_the_rate_limit(edge, platform):
    for _, acl in acls(edge).values():
        rules = {rule["name"]: rule for rule in acl["rule"]}
        managed = {r["statement"]["managed_rule_group_statement"]["name"]: r for r in acl["rule"]
                   if "managed_rule_group_statement" in r["statement"]}
        assert set(managed) == SPEC_MANAGED_GROUPS
        for rule in managed.values():
            assert rule["statement"]["managed_rule_group_statement"]["vendor_name"] == "AWS"
            assert rule["override_action"] == {"none": {}} and "action" not in rule
        rate = rules["rate-limit-per-ip"]
        statement = dict(rate["statement"]["rate_based_statement"])
        statement.pop("scope_down_statement", None)
        assert statement == {"limit": 2000, "aggregate_key_type": "IP", "evaluation_window_sec": 300}
        assert platform.waf.rate_limit_per_5_minutes == 2000
        assert rate["action"] == {"block": {}}
        assert sorted(r["priority"] for r in acl["rule"]) == list(range(len(acl["rule"])))


def header_match(value: str) -> dict:
    return {"byte_match_statement": {
        "field_to_match": {"single_header": {"name": "x-origin-verify"}}, "positional_constraint": "EXACTLY",
        "search_string": value, "text_transformation": [{"priority": 0, "type": "NONE"}]}}


def test_only_cloudfronts_requests_skip_the_regional_per_ip_limit(edge):
    # At the ALB, CloudFront's requests come from addresses all viewers of a static site share; the
    # CloudFront ACL limits them per viewer. A client calling the ALB directly (no origin secret) is
    # limited here, whatever Host header it sends.
    found = acls(edge)
    (cloudfront_rate,) = [r for r in found["CLOUDFRONT"][1]["rule"] if r["name"] == "rate-limit-per-ip"]
    assert "scope_down_statement" not in cloudfront_rate["statement"]["rate_based_statement"]
    (regional_rate,) = [r for r in found["REGIONAL"][1]["rule"] if r["name"] == "rate-limit-per-ip"]
    assert regional_rate["statement"]["rate_based_statement"]["scope_down_statement"] == {
        "not_statement": {"statement": {"or_statement": {"statement": [header_match(v) for v in ORIGIN_VALUES]}}}}
    one = WebAcl._rules(WebAclProps(name="t", scope="REGIONAL", log_retention_days=7,
                                    rate_limit_exempt_header=("X-Origin-Verify", ("a",))))
    assert one[0]["statement"]["rate_based_statement"]["scope_down_statement"] == {
        "not_statement": {"statement": header_match("a")}}  # WAF's OR needs two statements


def test_sign_in_paths_get_a_tighter_per_ip_limit_at_the_regional_acl(edge, platform):
    (rule,) = [r for r in acls(edge)["REGIONAL"][1]["rule"] if r["name"] == "rate-limit-sign-in"]
    statement = rule["statement"]["rate_based_statement"]
    assert statement["limit"] == platform.waf.sign_in_rate_limit_per_5_minutes == 100
    assert statement["aggregate_key_type"] == "IP" and statement["evaluation_window_sec"] == 300
    prefixes = [m["byte_match_statement"]["search_string"] for m in statement["scope_down_statement"]["or_statement"]["statement"]]
    assert prefixes == platform.waf.sign_in_paths and "/login" in prefixes and "/oauth2/token" in prefixes
    assert rule["action"] == {"block": {}}
    assert not [r for r in acls(edge)["CLOUDFRONT"][1]["rule"] if r["name"] == "rate-limit-sign-in"]


def test_no_geo_block_unless_countries_are_configured(edge, platform):
    assert platform.waf.blocked_countries == []
    for _, acl in acls(edge).values():
        assert not any("geo_match_statement" in r["statement"] for r in acl["rule"])
    props = WebAclProps(name="t", scope="REGIONAL", log_retention_days=7, blocked_countries=("KP", "IR"))
    geo = WebAcl._rules(props)[0]
    assert geo["statement"] == {"geo_match_statement": {"country_codes": ["KP", "IR"]}}
    assert geo["action"] == {"block": {}} and geo["priority"] == 0


def test_only_the_core_rule_set_body_size_rule_counts(edge):
    # Writing Practice accepts 10 MB handwriting uploads; the core rule set blocks bodies over 8 KB.
    for _, acl in acls(edge).values():
        for rule in acl["rule"]:
            statement = rule["statement"].get("managed_rule_group_statement", {})
            overrides = statement.get("rule_action_override")
            if statement.get("name") == "AWSManagedRulesCommonRuleSet":
                assert overrides == [{"name": "SizeRestrictions_BODY", "action_to_use": {"count": {}}}]
            else:
                assert overrides is None


def test_every_rule_and_acl_publishes_metrics(edge):
    for _, acl in acls(edge).values():
        assert acl["visibility_config"] == {"cloudwatch_metrics_enabled": True, "metric_name": acl["name"],
                                            "sampled_requests_enabled": True}
        for rule in acl["rule"]:
            assert rule["visibility_config"]["cloudwatch_metrics_enabled"] is True
            assert rule["visibility_config"]["metric_name"] == f"{acl['name']}-{rule['name']}"


def test_waf_logs_to_encrypted_aws_waf_logs_groups_with_tokens_redacted(edge):
    groups = {name: body for name, body in resources(edge, "aws_cloudwatch_log_group").items()}
    configs = resources(edge, "aws_wafv2_web_acl_logging_configuration").values()
    assert len(configs) == 2
    for scope, (acl_id, acl) in acls(edge).items():
        (config,) = [c for c in configs if c["resource_arn"] == reference("aws_wafv2_web_acl", acl_id, "arn")]
        (destination,) = config["log_destination_configs"]
        group_id = destination.split(".")[1]
        group = groups[group_id]
        assert group["name"] == f"aws-waf-logs-{acl['name']}"
        assert group["retention_in_days"] == 7 and group["kms_key_id"] == f"${{{STORAGE}.kms_key_arn_logs}}"
        assert config["redacted_fields"] == [{"single_header": {"name": "authorization"}},
                                             {"single_header": {"name": "cookie"}},
                                             {"single_header": {"name": "x-origin-verify"}}]
    policies = resources(edge, "aws_cloudwatch_log_resource_policy").values()
    waf_policies = [json.loads(p["policy_document"]) for p in policies if "waf" in p["policy_name"]]
    assert len(waf_policies) == 2
    for document in waf_policies:
        (statement,) = document["Statement"]
        assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
        assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_regional_acl_is_associated_with_the_alb_and_cloudfront_acl_is_published(edge, alb_id):
    (association,) = resources(edge, "aws_wafv2_web_acl_association").values()
    regional_id, _ = acls(edge)["REGIONAL"]
    cloudfront_id, _ = acls(edge)["CLOUDFRONT"]
    assert association["resource_arn"] == reference("aws_lb", alb_id, "arn")
    assert association["web_acl_arn"] == reference("aws_wafv2_web_acl", regional_id, "arn")
    assert edge["output"]["waf_web_acl_arn_cloudfront"]["value"] == reference("aws_wafv2_web_acl", cloudfront_id, "arn")
    assert edge["output"]["waf_web_acl_arn_regional"]["value"] == reference("aws_wafv2_web_acl", regional_id, "arn")


def test_a_cloudfront_acl_cannot_be_associated():
    with pytest.raises(ValueError, match="web_acl_id"):
        WebAclProps(name="t", scope="CLOUDFRONT", log_retention_days=7, associated_resource_arns=("arn",))


# --- contract -------------------------------------------------------------------------------

def test_outputs_are_the_contract(edge, platform):
    expected = {"hosted_zone_id", "certificate_arn", "alb_arn", "alb_arn_suffix", "alb_dns_name", "alb_zone_id",
                "https_listener_arn", "waf_web_acl_arn_cloudfront", "waf_web_acl_arn_regional",
                "origin_verify_secret_arn"}
    for project in platform.projects:
        for service in project.services:
            if service.on_load_balancer:
                key = service.name.replace("-", "_")
                expected |= {f"target_group_arn_{key}", f"target_group_arn_suffix_{key}"}
    assert set(edge["output"]) == expected
    assert all(is_documented("edge", name) for name in expected)


def test_reads_only_documented_outputs(edge):
    assert remote_reads(edge) == {
        "network": ["public_subnet_ids", "security_group_id_alb_sg", "vpc_id"],
        "storage": ["kms_key_arn_data", "kms_key_arn_logs", "log_bucket_name"],
    }


# --- definition -----------------------------------------------------------------------------

def definition_error(change) -> str:
    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    change(data)
    with pytest.raises(DefinitionError) as raised:
        parse_definition(data)
    return str(raised.value)


def test_count_only_rules_must_name_a_configured_group():
    message = definition_error(lambda d: d["waf"]["count_only_rules"].update({"AWSManagedRulesSQLiRuleSet": ["X"]}))
    assert "AWSManagedRulesSQLiRuleSet" in message and "not in managed_rule_groups" in message


def test_bad_matcher_and_ssl_policy_are_rejected():
    assert "load_balancer.success_codes.api" in definition_error(
        lambda d: d["load_balancer"]["success_codes"].update({"api": "ok"}))
    assert "load_balancer.ssl_policy" in definition_error(
        lambda d: d["load_balancer"].update({"ssl_policy": "ELBSecurityPolicy-2016-08"}))


def test_environments_share_no_resource_names_in_one_account(synth_env):
    """dev and prod may live in one account: every account-unique name carries the environment."""
    unique_names = {"aws_kms_alias": "name", "aws_cloudwatch_log_group": "name", "aws_lb": "name",
                    "aws_lb_target_group": "name", "aws_wafv2_web_acl": "name",
                    "aws_cloudwatch_log_resource_policy": "policy_name", "aws_sns_topic": "name",
                    "aws_cloudwatch_metric_alarm": "alarm_name", "aws_cloudwatch_dashboard": "dashboard_name",
                    "aws_cloudwatch_event_rule": "name", "aws_ssm_parameter": "name", "aws_xray_group": "group_name",
                    "aws_xray_sampling_rule": "rule_name", "aws_resourcegroups_group": "name",
                    "aws_bedrock_guardrail": "name", "aws_iam_policy": "name"}

    def names(environment: str) -> set[str]:
        stacks = synth_env(environment).stacks
        return {f"{kind}:{body[attribute]}" for workspace in ("edge", "monitoring", "ai")
                for kind, attribute in unique_names.items() for body in resources(stacks[workspace], kind).values()}

    dev, prod = names("dev"), names("prod")
    assert len(dev) > 50
    assert not dev & prod
