"""The auth workspace, as synthesized: Cognito user pool, hosted UI, app clients, identity
pool, and the generated application secrets."""
from __future__ import annotations

import json

import pytest

from tests.contract import is_documented
from tests.tf import logical_id, only, reference, remote_reads, resources
from toolkit.definition import load_platform

EDGE = "data.terraform_remote_state.remote-edge.outputs"
STORAGE = "data.terraform_remote_state.remote-storage.outputs"


@pytest.fixture(scope="module")
def auth(stacks):
    return stacks["auth"]


@pytest.fixture(scope="module")
def pool_id(auth):
    return logical_id(auth, "aws_cognito_user_pool", only(auth, "aws_cognito_user_pool"))


def test_user_pool_signs_in_by_verified_email_with_a_strong_password(auth, platform):
    pool = only(auth, "aws_cognito_user_pool")
    assert pool["name"] == "app-dw-dev-users"
    assert pool["username_attributes"] == ["email"]
    assert pool["auto_verified_attributes"] == ["email"]
    assert pool["username_configuration"] == {"case_sensitive": False}
    assert pool["password_policy"] == {
        "minimum_length": platform.auth.password_minimum_length, "password_history_size": 5,
        "require_lowercase": True, "require_uppercase": True, "require_numbers": True, "require_symbols": True,
        "temporary_password_validity_days": 3}
    assert platform.auth.password_minimum_length >= 12
    assert pool["account_recovery_setting"] == {"recovery_mechanism": [{"name": "verified_email", "priority": 1}]}


def test_user_pool_mfa_is_optional_by_authenticator_app(auth):
    pool = only(auth, "aws_cognito_user_pool")
    assert pool["mfa_configuration"] == "OPTIONAL"
    assert pool["software_token_mfa_configuration"] == {"enabled": True}


def test_user_pool_audits_threats_and_remembers_devices(auth, platform):
    pool = only(auth, "aws_cognito_user_pool")
    assert platform.auth.advanced_security_mode == "AUDIT"     # spec: advanced security mode audit only
    assert pool["user_pool_add_ons"] == {"advanced_security_mode": "AUDIT"}
    assert pool["user_pool_tier"] == "PLUS"                      # threat protection needs the Plus tier
    assert pool["device_configuration"] == {
        "challenge_required_on_new_device": True, "device_only_remembered_on_user_prompt": False}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_deletion_protection_follows_the_environment(synth_env, environment):
    assert load_platform(environment=environment).env.deletion_protection is True
    pool = only(synth_env(environment).stacks["auth"], "aws_cognito_user_pool")
    assert pool["deletion_protection"] == "ACTIVE"
    assert pool["name"] == f"app-dw-{environment}-users"


def test_hosted_ui_is_on_auth_subdomain_with_the_edge_certificate(auth, pool_id):
    domain = only(auth, "aws_cognito_user_pool_domain")
    assert domain["domain"] == "auth.app-dw.net"
    assert domain["certificate_arn"] == f"${{{EDGE}.certificate_arn}}"
    assert domain["managed_login_version"] == 1                  # the classic hosted UI
    assert domain["user_pool_id"] == reference("aws_cognito_user_pool", pool_id, "id")


def test_hosted_ui_domain_has_alias_records_in_the_edge_zone(auth):
    domain_id = logical_id(auth, "aws_cognito_user_pool_domain", only(auth, "aws_cognito_user_pool_domain"))
    records = resources(auth, "aws_route53_record").values()
    assert sorted(r["type"] for r in records) == ["A", "AAAA"]
    for record in records:
        assert record["name"] == "auth.app-dw.net"
        assert record["zone_id"] == f"${{{EDGE}.hosted_zone_id}}"
        assert record["alias"] == {
            "name": reference("aws_cognito_user_pool_domain", domain_id, "cloudfront_distribution"),
            # resolves to CloudFront's zone, Z2FDTNDATAQYW2
            "zone_id": reference("aws_cognito_user_pool_domain", domain_id, "cloudfront_distribution_zone_id"),
            "evaluate_target_health": False}


def test_one_client_per_project_with_code_flow_on_its_subdomain(auth, platform, pool_id):
    """An SPA's client is public (a browser keeps no secret; PKCE); a UI service's is the ALB's:
    a secret (Cognito makes it, the ALB reads it) and the code back at /oauth2/idpresponse."""
    clients = {c["name"]: c for c in resources(auth, "aws_cognito_user_pool_client").values()}
    assert sorted(clients) == sorted(p.name for p in platform.projects)
    alb_signed_in = {p.name for p in platform.projects if p.frontend in ("streamlit", "gradio")}
    assert alb_signed_in == {"vocab-generator", "writing-practice"}
    for project in platform.projects:
        client = clients[project.name]
        host = f"https://{project.subdomain}.app-dw.net"
        callback = f"{host}/oauth2/idpresponse" if project.name in alb_signed_in else f"{host}/auth/callback"
        assert client["user_pool_id"] == reference("aws_cognito_user_pool", pool_id, "id")
        assert client["generate_secret"] is (project.name in alb_signed_in)
        assert client["allowed_oauth_flows_user_pool_client"] is True
        assert client["allowed_oauth_flows"] == ["code"]         # never the implicit flow
        assert client["allowed_oauth_scopes"] == ["openid", "email", "profile"] == platform.auth.oauth_scopes
        assert client["supported_identity_providers"] == ["COGNITO"]
        assert client["callback_urls"] == [callback]
        assert client["default_redirect_uri"] == callback
        assert client["logout_urls"] == [f"{host}/"]
        assert client["explicit_auth_flows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
        assert client["enable_token_revocation"] is True
        assert client["prevent_user_existence_errors"] == "ENABLED"


def test_client_tokens_last_an_hour_and_refresh_for_30_days(auth, platform):
    assert (platform.auth.access_token_validity_hours, platform.auth.id_token_validity_hours,
            platform.auth.refresh_token_validity_days) == (1, 1, 30)
    for client in resources(auth, "aws_cognito_user_pool_client").values():
        validity = (client["access_token_validity"], client["id_token_validity"], client["refresh_token_validity"])
        assert validity == (1, 1, 30)
        assert client["token_validity_units"] == [
            {"access_token": "hours", "id_token": "hours", "refresh_token": "days"}]


def test_identity_pool_admits_only_signed_in_users_of_the_app_clients(auth, pool_id):
    identity = only(auth, "aws_cognito_identity_pool")
    assert identity["allow_unauthenticated_identities"] is False
    assert identity["allow_classic_flow"] is False
    clients = {reference("aws_cognito_user_pool_client", name, "id")
               for name in resources(auth, "aws_cognito_user_pool_client")}
    providers = identity["cognito_identity_providers"]
    assert {p["client_id"] for p in providers} == clients and len(providers) == len(clients)
    for provider in providers:
        assert provider["provider_name"] == reference("aws_cognito_user_pool", pool_id, "endpoint")
        assert provider["server_side_token_check"] is True


def test_outputs_give_the_apps_pool_clients_issuer_and_keys(auth, platform, pool_id):
    outputs = auth["output"]
    expected = {"user_pool_id", "user_pool_arn", "user_pool_issuer", "user_pool_jwks_url", "hosted_ui_domain",
                "identity_pool_id", "lang_portal_api_key_secret_arn", "jwt_secret_arn", "staff_group_name"}
    expected |= {f"app_client_id_{p.name.replace('-', '_')}" for p in platform.projects}
    assert set(outputs) == expected
    assert all(is_documented("auth", name) for name in outputs)
    endpoint = reference("aws_cognito_user_pool", pool_id, "endpoint")  # cognito-idp.<region>.amazonaws.com/<pool id>
    assert outputs["user_pool_issuer"]["value"] == f"https://{endpoint}"
    assert outputs["user_pool_jwks_url"]["value"] == f"https://{endpoint}/.well-known/jwks.json"
    assert outputs["user_pool_id"]["value"] == reference("aws_cognito_user_pool", pool_id, "id")
    clients = {c["name"]: name for name, c in resources(auth, "aws_cognito_user_pool_client").items()}
    for project in platform.projects:
        assert outputs[f"app_client_id_{project.name.replace('-', '_')}"]["value"] == reference(
            "aws_cognito_user_pool_client", clients[project.name], "id")


def test_shared_secrets_are_generated_write_only_and_encrypted_with_the_data_key(auth):
    secrets = {s["name"]: name for name, s in resources(auth, "aws_secretsmanager_secret").items()}
    assert sorted(secrets) == ["app-dw-dev/jwt-secret", "app-dw-dev/lang-portal-api-key"]
    generators = auth["ephemeral"]["aws_secretsmanager_random_password"]
    versions = resources(auth, "aws_secretsmanager_secret_version").values()
    assert len(versions) == 2
    for secret_name, logical in secrets.items():
        secret = resources(auth, "aws_secretsmanager_secret")[logical]
        assert secret["kms_key_id"] == f"${{{STORAGE}.kms_key_arn_data}}"
        (version,) = [v for v in versions if v["secret_id"] == reference("aws_secretsmanager_secret", logical, "id")]
        assert "secret_string" not in version                   # write-only: not in state, plan or outputs
        generated = f"ephemeral.aws_secretsmanager_random_password.{logical}.random_password"
        assert version["secret_string_wo"] == f"${{{generated}}}"
        assert version["secret_string_wo_version"] == 1
        assert generators[logical] == {
            "password_length": 64, "exclude_punctuation": True, "require_each_included_type": True}
    outputs = auth["output"]
    for output, name in (("jwt_secret_arn", "jwt-secret"), ("lang_portal_api_key_secret_arn", "lang-portal-api-key")):
        assert outputs[output]["value"] == reference("aws_secretsmanager_secret", secrets[f"app-dw-dev/{name}"], "arn")


def test_no_output_carries_a_secret_value(auth):
    for name, output in auth["output"].items():
        text = json.dumps(output["value"])
        assert "aws_secretsmanager_secret_version" not in text and "ephemeral." not in text, name
        assert "client_secret" not in text, name


def test_reads_only_outputs_the_contract_documents(auth):
    reads = remote_reads(auth)
    assert reads == {"edge": ["certificate_arn", "hosted_zone_id", "waf_web_acl_arn_regional"],
                     "storage": ["kms_key_arn_data"]}
    for workspace, outputs in reads.items():
        for output in outputs:
            assert is_documented(workspace, output), f"auth reads {workspace}.{output}, not in docs/contract.md"


def test_sign_in_is_behind_the_regional_web_acl(auth, pool_id):
    """The spec's audit-only threat protection blocks nothing: the hosted UI and the pool's API get
    the managed rules and the per-IP limits (a tighter one on the sign-in paths, tests/test_edge.py)."""
    (association,) = resources(auth, "aws_wafv2_web_acl_association").values()
    assert association["resource_arn"] == reference("aws_cognito_user_pool", pool_id, "arn")
    assert association["web_acl_arn"] == f"${{{EDGE}.waf_web_acl_arn_regional}}"


def test_a_staff_group_is_published_by_its_configured_name(auth, platform, pool_id):
    (group_id, group), = resources(auth, "aws_cognito_user_group").items()
    assert group["name"] == platform.auth.staff_group == "staff"
    assert group["user_pool_id"] == reference("aws_cognito_user_pool", pool_id, "id")
    assert auth["output"]["staff_group_name"]["value"] == reference("aws_cognito_user_group", group_id, "name")


def test_no_output_hands_out_a_client_secret(auth):
    assert "client_secret" not in json.dumps(auth["output"])
