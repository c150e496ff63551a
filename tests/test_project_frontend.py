"""Frontend workspaces, as synthesized: the SPAs of Lang Portal and Haiku on a private S3 bucket
behind CloudFront (origin access control only), and the UI containers of Vocab Generator and
Writing Practice."""
from __future__ import annotations

import pytest

from tests.contract import is_documented
from tests.tf import data_sources, logical_id, only, policy, reference, resources, where

REMOTE = "${{data.terraform_remote_state.remote-{}.outputs.{}}}"
STATIC = {"lang-portal": "lang-portal.app-dw.net", "haiku": "haiku.app-dw.net"}
CONTAINER_UIS = {"vocab-generator": "vocab-generator-frontend", "writing-practice": "writing-practice"}
# AWS's managed CloudFront policies by the IDs AWS documents for them.
MANAGED_POLICIES = {"658327ea-f89d-4fab-a63d-7e88639e58f6": "Managed-CachingOptimized",
                    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": "Managed-CachingDisabled",
                    "216adef6-5c7f-47e4-b989-5492eafa07d3": "Managed-AllViewer"}


def distribution(stack: dict) -> tuple[str, dict]:
    body = only(stack, "aws_cloudfront_distribution")
    return logical_id(stack, "aws_cloudfront_distribution", body), body


def site_bucket(stack: dict, suffix: str = "site") -> tuple[str, dict]:
    """The site's bucket, or with suffix "media" the bucket its API writes media to."""
    (body,) = [b for b in resources(stack, "aws_s3_bucket").values() if b["bucket"].endswith(f"-{suffix}")]
    return logical_id(stack, "aws_s3_bucket", body), body


def only_the_distribution_reads(stack: dict, bucket_id: str, sid: str, objects: str) -> list[dict]:
    """The bucket's policy allows nothing but GetObject of `objects` by this stack's distribution;
    returns all its statements."""
    distribution_id, _ = distribution(stack)
    (bucket_policy,) = where(stack, "aws_s3_bucket_policy", bucket=reference("aws_s3_bucket", bucket_id, "id"))
    statements = policy(bucket_policy)["Statement"]
    assert [s for s in statements if s["Effect"] == "Allow"] == [{
        "Effect": "Allow", "Action": ["s3:GetObject"], "Sid": sid, "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Resource": [objects],
        "Condition": {"StringEquals": {"AWS:SourceArn": reference("aws_cloudfront_distribution", distribution_id, "arn")}}}]
    return statements


@pytest.mark.parametrize("project", STATIC)
def test_site_bucket_is_private_encrypted_and_read_only_by_this_distribution(stacks, project):
    stack = stacks[f"{project}-frontend"]
    bucket_id, bucket = site_bucket(stack)
    assert bucket["bucket"] == f"app-dw-dev-{project}-site"
    bucket_ref = reference("aws_s3_bucket", bucket_id, "id")
    (block,) = where(stack, "aws_s3_bucket_public_access_block", bucket=bucket_ref)
    assert all(block[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                  "restrict_public_buckets"))
    statements = only_the_distribution_reads(stack, bucket_id, "CloudFrontReadsSite",
                                             f"arn:aws:s3:::app-dw-dev-{project}-site/*")
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)


@pytest.mark.parametrize("project", STATIC)
def test_site_key_lets_only_this_distribution_decrypt(stacks, project):
    stack = stacks[f"{project}-frontend"]
    distribution_id, _ = distribution(stack)
    key_id = logical_id(stack, "aws_kms_key", only(stack, "aws_kms_key"))
    # the site's files and its media: one key, only this distribution decrypts
    encryptions = resources(stack, "aws_s3_bucket_server_side_encryption_configuration").values()
    assert len(encryptions) == len(resources(stack, "aws_s3_bucket")) == 2
    for encryption in encryptions:
        by_default = encryption["rule"][0]["apply_server_side_encryption_by_default"]
        assert by_default == {"sse_algorithm": "aws:kms", "kms_master_key_id": reference("aws_kms_key", key_id, "arn")}
    statements = policy(only(stack, "aws_kms_key"))["Statement"]
    cloudfront = [s for s in statements if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}]
    assert cloudfront == [{
        "Effect": "Allow", "Action": ["kms:Decrypt"], "Sid": "ServiceUse0",
        "Principal": {"Service": "cloudfront.amazonaws.com"}, "Resource": ["*"],
        "Condition": {"StringEquals": {"AWS:SourceArn": reference(
            "aws_cloudfront_distribution", distribution_id, "arn")}}}]
    assert only(stack, "aws_kms_key")["enable_key_rotation"] is True


@pytest.mark.parametrize("project", STATIC)
def test_origin_access_control_signs_every_s3_request(stacks, project):
    stack = stacks[f"{project}-frontend"]
    oac = only(stack, "aws_cloudfront_origin_access_control")
    assert (oac["origin_access_control_origin_type"], oac["signing_behavior"], oac["signing_protocol"]) == (
        "s3", "always", "sigv4")
    oac_ref = reference("aws_cloudfront_origin_access_control",
                        logical_id(stack, "aws_cloudfront_origin_access_control", oac), "id")
    _, body = distribution(stack)
    for origin in body["origin"]:
        if origin["origin_id"] in ("site", "media"):
            assert origin["origin_access_control_id"] == oac_ref
            assert "s3_origin_config" not in origin  # no legacy origin access identity
    site = next(o for o in body["origin"] if o["origin_id"] == "site")
    assert site["domain_name"] == f"app-dw-dev-{project}-site.s3.us-east-1.amazonaws.com"


@pytest.mark.parametrize("project,host", STATIC.items())
def test_distribution_serves_the_project_host_over_tls_1_2_with_the_waf(stacks, project, host):
    stack = stacks[f"{project}-frontend"]
    _, body = distribution(stack)
    assert body["aliases"] == [host]
    assert body["viewer_certificate"] == {
        "acm_certificate_arn": REMOTE.format("edge", "certificate_arn"),
        "ssl_support_method": "sni-only", "minimum_protocol_version": "TLSv1.2_2021"}
    assert body["web_acl_id"] == REMOTE.format("edge", "waf_web_acl_arn_cloudfront")
    assert body["default_root_object"] == "index.html"
    assert body["enabled"] is True and body["is_ipv6_enabled"] is True
    assert body["default_cache_behavior"]["viewer_protocol_policy"] == "redirect-to-https"
    assert all(b["viewer_protocol_policy"] in ("redirect-to-https", "https-only")
               for b in body["ordered_cache_behavior"])


@pytest.mark.parametrize("project", STATIC)
def test_client_routes_get_index_html_without_masking_api_errors(stacks, project):
    """The SPA fallback is a viewer-request function on the site behaviour only: a
    distribution-wide custom error response would turn the API's 403/404 into 200 index.html."""
    stack = stacks[f"{project}-frontend"]
    _, body = distribution(stack)
    assert "custom_error_response" not in body
    function = only(stack, "aws_cloudfront_function")
    assert function["runtime"] == "cloudfront-js-2.0" and function["publish"] is True
    assert "request.uri = '/index.html'" in function["code"]
    assert body["default_cache_behavior"]["function_association"] == [{
        "event_type": "viewer-request",
        "function_arn": reference("aws_cloudfront_function",
                                  logical_id(stack, "aws_cloudfront_function", function), "arn")}]
    assert all("function_association" not in b for b in body["ordered_cache_behavior"])


@pytest.mark.parametrize("project", STATIC)
def test_api_behaviour_goes_uncached_to_the_alb_with_everything_the_viewer_sent(stacks, project):
    stack = stacks[f"{project}-frontend"]
    _, body = distribution(stack)
    (api,) = [b for b in body["ordered_cache_behavior"] if b["path_pattern"] == "/api/*"]
    assert body["ordered_cache_behavior"][0] is api  # first: matched before any other pattern
    assert MANAGED_POLICIES[api["cache_policy_id"]] == "Managed-CachingDisabled"
    assert MANAGED_POLICIES[api["origin_request_policy_id"]] == "Managed-AllViewer"
    assert set(api["allowed_methods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    (origin,) = [o for o in body["origin"] if o["origin_id"] == api["target_origin_id"]]
    assert origin["domain_name"] == REMOTE.format("edge", "alb_dns_name")
    assert origin["custom_origin_config"]["origin_protocol_policy"] == "https-only"
    assert origin["custom_origin_config"]["origin_ssl_protocols"] == ["TLSv1.2"]


@pytest.mark.parametrize("project", STATIC)
def test_requests_to_the_alb_carry_the_origin_secret_the_alb_requires(stacks, project):
    # Without it the ALB answers 403 on this host (tests/test_edge.py): CloudFront and its web ACL
    # cannot be skipped by calling the ALB with this Host header.
    stack = stacks[f"{project}-frontend"]
    _, body = distribution(stack)
    (origin,) = [o for o in body["origin"] if o["origin_id"] == "api"]
    (secret_read,) = data_sources(stack, "aws_secretsmanager_secret_version").values()
    assert secret_read["secret_id"] == REMOTE.format("edge", "origin_verify_secret_arn")
    assert origin["custom_header"] == [{
        "name": "X-Origin-Verify",
        "value": "${data.aws_secretsmanager_secret_version.origin-verify.secret_string}"}]
    assert all("custom_header" not in o for o in body["origin"] if o["origin_id"] != "api")


@pytest.mark.parametrize("project", STATIC)
def test_media_prefix_is_served_from_the_media_bucket_and_cached(stacks, project):
    stack = stacks[f"{project}-frontend"]
    _, body = distribution(stack)
    (media,) = [b for b in body["ordered_cache_behavior"] if b["target_origin_id"] == "media"]
    assert media["path_pattern"] == f"{project}/*"
    assert media["allowed_methods"] == ["GET", "HEAD", "OPTIONS"]
    assert MANAGED_POLICIES[media["cache_policy_id"]] == "Managed-CachingOptimized"
    (origin,) = [o for o in body["origin"] if o["origin_id"] == "media"]
    assert origin["domain_name"] == f"app-dw-dev-{project}-media.s3.us-east-1.amazonaws.com"


@pytest.mark.parametrize("project", STATIC)
def test_the_media_bucket_beside_the_site_is_read_only_by_this_distribution(stacks, project):
    """Its policy and key name the one distribution that serves it (a shared media bucket in
    storage could only trust every distribution of the account: storage applies first)."""
    stack = stacks[f"{project}-frontend"]
    bucket_id, bucket = site_bucket(stack, "media")
    assert bucket["bucket"] == f"app-dw-dev-{project}-media"
    only_the_distribution_reads(stack, bucket_id, "CloudFrontReadsMedia",
                                f"arn:aws:s3:::app-dw-dev-{project}-media/{project}/*")
    (logging,) = where(stack, "aws_s3_bucket_logging", bucket=reference("aws_s3_bucket", bucket_id, "id"))
    assert logging["target_bucket"] == REMOTE.format("storage", "log_bucket_name")
    assert logging["target_prefix"] == f"s3/app-dw-dev-{project}-media/"
    outputs = stack["output"]
    assert outputs["media_bucket_name"]["value"] == reference("aws_s3_bucket", bucket_id, "bucket")
    assert outputs["media_bucket_arn"]["value"] == reference("aws_s3_bucket", bucket_id, "arn")


def test_haiku_serves_its_media_through_cloudfront(stacks):
    _, body = distribution(stacks["haiku-frontend"])
    assert [b["path_pattern"] for b in body["ordered_cache_behavior"]] == ["/api/*", "haiku/*"]


@pytest.mark.parametrize("project", STATIC)
def test_every_behaviour_sends_the_security_headers(stacks, project):
    stack = stacks[f"{project}-frontend"]
    headers = only(stack, "aws_cloudfront_response_headers_policy")
    headers_ref = reference("aws_cloudfront_response_headers_policy",
                            logical_id(stack, "aws_cloudfront_response_headers_policy", headers), "id")
    _, body = distribution(stack)
    for behaviour in [body["default_cache_behavior"], *body["ordered_cache_behavior"]]:
        assert behaviour["response_headers_policy_id"] == headers_ref
    config = headers["security_headers_config"]
    hsts = config["strict_transport_security"]
    assert hsts["access_control_max_age_sec"] >= 31536000 and hsts["include_subdomains"] and hsts["override"]
    assert config["content_type_options"] == {"override": True}
    assert config["frame_options"] == {"frame_option": "DENY", "override": True}
    csp = config["content_security_policy"]["content_security_policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "connect-src 'self' https://auth.app-dw.net" in csp  # the hosted UI's token endpoint
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


@pytest.mark.parametrize("project", STATIC)
def test_access_logs_are_delivered_to_the_log_bucket(stacks, project):
    stack = stacks[f"{project}-frontend"]
    distribution_id, body = distribution(stack)
    assert "logging_config" not in body  # legacy logging needs bucket ACLs
    source = only(stack, "aws_cloudwatch_log_delivery_source")
    assert source["log_type"] == "ACCESS_LOGS"
    assert source["resource_arn"] == reference("aws_cloudfront_distribution", distribution_id, "arn")
    destination = only(stack, "aws_cloudwatch_log_delivery_destination")
    assert destination["delivery_destination_configuration"] == [{
        "destination_resource_arn": REMOTE.format("storage", "log_bucket_arn") + f"/cloudfront/{project}"}]
    delivery = only(stack, "aws_cloudwatch_log_delivery")
    assert delivery["delivery_source_name"] == reference(
        "aws_cloudwatch_log_delivery_source", logical_id(stack, "aws_cloudwatch_log_delivery_source", source), "name")
    assert delivery["delivery_destination_arn"] == reference(
        "aws_cloudwatch_log_delivery_destination",
        logical_id(stack, "aws_cloudwatch_log_delivery_destination", destination), "arn")


@pytest.mark.parametrize("project,host", STATIC.items())
def test_project_host_is_an_alias_of_the_distribution(stacks, project, host):
    stack = stacks[f"{project}-frontend"]
    distribution_id, _ = distribution(stack)
    records = resources(stack, "aws_route53_record").values()
    assert sorted(r["type"] for r in records) == ["A", "AAAA"]
    for record in records:
        assert record["name"] == host and record["zone_id"] == REMOTE.format("edge", "hosted_zone_id")
        assert record["alias"] == {
            "name": reference("aws_cloudfront_distribution", distribution_id, "domain_name"),
            "zone_id": reference("aws_cloudfront_distribution", distribution_id, "hosted_zone_id"),
            "evaluate_target_health": False}


@pytest.mark.parametrize("project", STATIC)
def test_static_frontend_publishes_the_contract_outputs(stacks, project):
    outputs = set(stacks[f"{project}-frontend"]["output"])
    assert outputs == {"site_bucket_name", "site_bucket_arn", "cloudfront_distribution_id",
                       "cloudfront_distribution_arn", "cloudfront_domain_name", "site_kms_key_arn",
                       "media_bucket_name", "media_bucket_arn"}  # both static sites have media
    # site_kms_key_arn: the pipeline's deploy role encrypts uploads with the site's own key.
    assert all(is_documented("<project>-frontend", name) for name in outputs - {"site_kms_key_arn"})
    assert not resources(stacks[f"{project}-frontend"], "aws_ecs_service")


@pytest.mark.parametrize("project,service", CONTAINER_UIS.items())
def test_container_uis_are_services_of_the_frontend_workspace(stacks, project, service):
    stack = stacks[f"{project}-frontend"]
    assert [s["name"] for s in resources(stack, "aws_ecs_service").values()] == [service]
    assert not resources(stack, "aws_cloudfront_distribution") and not resources(stack, "aws_ecr_repository")
    assert set(stack["output"]) == {f"ecs_service_name_{service.replace('-', '_')}"}
    assert all(is_documented("<project>-frontend", name) for name in stack["output"])


def test_media_needs_a_static_site_to_be_served_from():
    import tomllib

    from toolkit.definition import DEFAULT_DEFINITION, DefinitionError, parse_definition

    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    next(p for p in data["projects"] if p["name"] == "writing-practice")["media"] = True
    with pytest.raises(DefinitionError, match="media = true but a gradio frontend"):
        parse_definition(data)


# --- sign-in at the ALB (issue 16) ----------------------------------------------------------

def ui_projects(platform) -> list:
    """Projects whose frontend is a UI service (derived, never by name)."""
    return [p for p in platform.projects if p.frontend in ("streamlit", "gradio")]


def environment(stack: dict, service: str) -> dict[str, str]:
    import json

    (task,) = resources(stack, "aws_ecs_task_definition").values()
    app_container = next(c for c in json.loads(task["container_definitions"]) if c["name"] != "aws-otel-collector")
    return {e["name"]: e["value"] for e in app_container["environment"]}


def assert_signs_in_then_forwards(stack: dict, project, platform) -> None:
    from workspaces.edge import alb_routes

    (route,) = [r for r in alb_routes(platform) if r.project.name == project.name and r.service.routing == "site"]
    (rule,) = resources(stack, "aws_lb_listener_rule").values()
    assert rule["listener_arn"] == REMOTE.format("edge", "https_listener_arn")
    assert rule["priority"] == route.priority
    assert rule["condition"] == [{"host_header": {"values": [platform.host(project.subdomain)]}},
                                 {"path_pattern": {"values": ["/*"]}}]
    authenticate, forward = rule["action"]
    assert (authenticate["type"], authenticate["order"], forward["type"], forward["order"]) == (
        "authenticate-cognito", 1, "forward", 2)
    assert authenticate["authenticate_cognito"] == {
        "user_pool_arn": REMOTE.format("auth", "user_pool_arn"),
        "user_pool_client_id": REMOTE.format("auth", f"app_client_id_{project.name.replace('-', '_')}"),
        "user_pool_domain": REMOTE.format("auth", "hosted_ui_domain"),
        "scope": " ".join(platform.auth.oauth_scopes),
        # the refresh token's 30 days, capped at the ALB's longest session (7 days)
        "session_timeout": min(platform.auth.refresh_token_validity_days * 86400, 604800),
        "on_unauthenticated_request": "authenticate"}
    assert forward["target_group_arn"] == REMOTE.format(
        "edge", f"target_group_arn_{route.service.name.replace('-', '_')}")


def test_every_ui_service_is_reached_only_through_the_albs_sign_in(stacks, platform):
    assert {p.name for p in ui_projects(platform)} == set(CONTAINER_UIS)
    for project in ui_projects(platform):
        assert_signs_in_then_forwards(stacks[f"{project.name}-frontend"], project, platform)
    # no plain forward for those hosts anywhere else
    hosts = {platform.host(p.subdomain) for p in ui_projects(platform)}
    for name, stack in stacks.items():
        if not name.endswith("-frontend"):
            for rule in resources(stack, "aws_lb_listener_rule").values():
                assert not set(rule["condition"][0]["host_header"]["values"]) & hosts, name


@pytest.mark.parametrize("project,service", CONTAINER_UIS.items())
def test_ui_services_know_the_alb_the_staff_group_and_the_clients_to_trust(stacks, project, service):
    env = environment(stacks[f"{project}-frontend"], service)
    assert env["ALB_ARN"] == REMOTE.format("edge", "alb_arn")            # the signer of x-amzn-oidc-data
    assert env["STAFF_GROUP"] == REMOTE.format("auth", "staff_group_name")
    assert env["COGNITO_ISSUER"] == REMOTE.format("auth", "user_pool_issuer")
    # its own (the ALB's) client: the app verifies the access token the ALB forwards
    assert REMOTE.format("auth", f"app_client_id_{project.replace('-', '_')}") in env["COGNITO_CLIENT_IDS"].split(",")
    assert env["LANG_PORTAL_API_URL"].startswith("http://lang-portal-api.")
    assert "ALB_PUBLIC_KEY_URL" not in env  # the apps derive the regional endpoint from ALB_ARN's region


def test_the_vocab_generator_backend_admits_staff_by_the_platforms_group(stacks):
    env = environment(stacks["vocab-generator-backend"], "vocab-generator-backend")
    assert env["STAFF_GROUP"] == REMOTE.format("auth", "staff_group_name")
    assert "ALB_ARN" not in env  # reached through Cloud Map only: it verifies the forwarded access token
    assert REMOTE.format("auth", "app_client_id_vocab_generator") in env["COGNITO_CLIENT_IDS"].split(",")


def test_the_lang_portal_api_accepts_the_access_tokens_of_its_callers_alb_clients(stacks, platform):
    env = environment(stacks["lang-portal-backend"], "lang-portal-api")
    expected = [REMOTE.format("auth", f"app_client_id_{p.replace('-', '_')}")
                for p in ("lang-portal", "vocab-generator", "writing-practice")]
    assert env["COGNITO_CLIENT_IDS"].split(",") == expected
    assert {p.name for p in platform.callers_of("lang-portal")} == {"vocab-generator", "writing-practice"}


def test_the_service_key_reaches_only_the_vocab_generator(stacks):
    # Writing Practice acts as the signed-in learner; the key's one job is the Vocab Generator's
    # shared-vocabulary imports, which its frontend makes (docs/decisions.md).
    holders = set()
    for name, stack in stacks.items():
        for task in resources(stack, "aws_ecs_task_definition").values():
            if "lang_portal_api_key_secret_arn" in task["container_definitions"]:
                holders.add(task["family"])
    assert holders == {"app-dw-dev-lang-portal-api", "app-dw-dev-vocab-generator-frontend"}


def test_a_fifth_ui_project_signs_in_at_the_alb_with_no_code_change(tmp_path):
    import copy
    import tomllib

    from toolkit.definition import DEFAULT_DEFINITION, Platform, parse_definition
    from toolkit.synth import synthesize

    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    data["projects"].append({
        "name": "kanji-sketch", "subdomain": "kanji", "security_group": "kanji-sketch-sg", "database": False,
        "media": False, "calls": ["lang-portal"], "frontend": "gradio",
        "services": [{"name": "kanji-sketch", "component": "frontend", "container": "gradio-app", "port": 7860,
                      "health_path": "/healthz", "routing": "site", "alb_health_path": "/healthz"}]})
    platform = Platform(parse_definition(copy.deepcopy(data)), "dev")
    stacks = synthesize(platform, tmp_path, use_cache=False).stacks
    (project,) = [p for p in ui_projects(platform) if p.name == "kanji-sketch"]
    assert_signs_in_then_forwards(stacks["kanji-sketch-frontend"], project, platform)
    (client,) = [c for c in resources(stacks["auth"], "aws_cognito_user_pool_client").values() if c["name"] == "kanji-sketch"]
    assert client["generate_secret"] is True and client["callback_urls"] == ["https://kanji.app-dw.net/oauth2/idpresponse"]
    env = environment(stacks["kanji-sketch-frontend"], "kanji-sketch")
    assert {"ALB_ARN", "STAFF_GROUP", "COGNITO_ISSUER", "COGNITO_CLIENT_IDS", "LANG_PORTAL_API_URL"} <= set(env)
    portal = environment(stacks["lang-portal-backend"], "lang-portal-api")
    assert REMOTE.format("auth", "app_client_id_kanji_sketch") in portal["COGNITO_CLIENT_IDS"].split(",")
