"""Each building block on its own: synthesized alone in an empty stack with only its required
props, its safe defaults checked, and every block together in one stack that `terraform
validate` accepts (one init for all of them). Nothing here reads platform.toml: a block that
needed app-dw's definition to stand up would fail here."""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from building_blocks.alarms import AlarmProps, Metric, MetricAlarm
from building_blocks.aurora_postgres import AuroraPostgres, AuroraPostgresProps
from building_blocks.container_image_repository import ContainerImageRepository, ContainerImageRepositoryProps
from building_blocks.container_image_repository import RepositoryReference
from building_blocks.container_service import ContainerService, ContainerServiceProps, HealthCheck
from building_blocks.container_service import RollingDeployment, Scaling
from building_blocks.dashboard import Dashboard, DashboardProps, Graph
from building_blocks.ecs_cluster import ClusterReference, EcsCluster, EcsClusterProps
from building_blocks.encryption_key import EncryptionKey, EncryptionKeyProps
from building_blocks.flow_log import VpcFlowLog, VpcFlowLogProps
from building_blocks.guardrail import Guardrail, GuardrailProps
from building_blocks.hosted_zone import PublicHostedZone, PublicHostedZoneProps
from building_blocks.load_balancer import LoadBalancer, LoadBalancerProps
from building_blocks.log_group import LogGroup, LogGroupProps, LogGroupReference
from building_blocks.network_acl import ServiceSubnetAcl, ServiceSubnetAclProps
from building_blocks.pipeline import BuildStep, ComponentPipeline, ComponentPipelineProps, EcsDeployTarget
from building_blocks.secret import GeneratedValue, Secret, SecretProps
from building_blocks.secure_bucket import SecureBucket, SecureBucketProps
from building_blocks.security_groups import Group, Rule, SecurityGroups, SecurityGroupsProps
from building_blocks.static_site import StaticSite, StaticSiteProps
from building_blocks.user_pool import AppClientProps, UserPool, UserPoolProps
from building_blocks.vpc import Vpc, VpcProps
from building_blocks.vpc_endpoints import VpcEndpoints, VpcEndpointsProps
from building_blocks.web_acl import WebAcl, WebAclProps
from tests.tf import only, policy, resources
from toolkit import terraform

REGION = "us-east-1"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
SUBNETS = ["subnet-0a", "subnet-0b"]
LOGS = LogGroupReference("/test/logs", "arn:aws:logs:us-east-1:123456789012:log-group:/test/logs")
TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms"
CLUSTER = ClusterReference("test", "arn:aws:ecs:us-east-1:123456789012:cluster/test")

# Each block with only its required props (ids and ARNs of what it builds on are literals).
BLOCKS: dict[str, Callable[[Construct], object]] = {
    "alarm": lambda scope: MetricAlarm(scope, "alarm", AlarmProps(
        name="test-alarm", description="d", comparison=">", threshold=1, actions=(TOPIC,),
        metric=Metric("AWS/ECS", "CPUUtilization"))),
    "aurora": lambda scope: AuroraPostgres(scope, "aurora", AuroraPostgresProps(
        identifier="test-db", database_name="app", master_username="owner", app_username="app",
        app_user_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:app-user", engine_version="15.10",
        parameter_group_family="aurora-postgresql15", instance_class="db.r6g.large",
        availability_zones=("us-east-1a", "us-east-1b"), subnet_ids=SUBNETS, security_group_id="sg-1",
        proxy_security_group_id="sg-2", kms_key_arn=KEY, logs_kms_key_arn=KEY, region=REGION)),
    "image-repository": lambda scope: ContainerImageRepository(scope, "repository", ContainerImageRepositoryProps(
        name="test/app", kms_key_arn=KEY)),
    "container-service": lambda scope: ContainerService(scope, "service", ContainerServiceProps(
        name="app", family="test-app", container_name="app", port=8000, health_path="/health", cpu=256,
        memory=512, health_check=HealthCheck(30, 5, 3, 60), scaling=Scaling(1, 3, 70, 70, 300, 60),
        deployment=RollingDeployment(200, 100, 60),
        image_repository=RepositoryReference("123456789012.dkr.ecr.us-east-1.amazonaws.com/test/app",
                                             "arn:aws:ecr:us-east-1:123456789012:repository/test/app"),
        image_tag_parameter_name="/test/image-tag/app", cluster=CLUSTER, subnet_ids=SUBNETS,
        security_group_ids=["sg-1"], namespace_id="ns-1", dns_ttl_seconds=60, log_group=LOGS,
        log_stream_prefix="ecs", region=REGION, collector_image="public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3",
        collector_config_parameter_arn="arn:aws:ssm:us-east-1:123456789012:parameter/test/otel")),
    "dashboard": lambda scope: Dashboard(scope, "dashboard", DashboardProps(
        name="test", region=REGION, widgets=(Graph("CPU", (Metric("AWS/ECS", "CPUUtilization"),)),))),
    "ecs-cluster": lambda scope: EcsCluster(scope, "cluster", EcsClusterProps(
        name="test", vpc_id="vpc-1", namespace="test.internal", log_group_name="/ecs/test", log_retention_days=7,
        kms_key_arn=KEY)),
    "encryption-key": lambda scope: EncryptionKey(scope, "key", EncryptionKeyProps(alias="test", description="d")),
    "flow-log": lambda scope: VpcFlowLog(scope, "flow-log", VpcFlowLogProps(
        vpc_id="vpc-1", log_group_name="/vpc/test", role_name="test-flow-logs", retention_days=7, kms_key_arn=KEY,
        account_id="123456789012", region=REGION)),
    "guardrail": lambda scope: Guardrail(scope, "guardrail", GuardrailProps(
        name="test", blocked_input_message="no", blocked_output_message="no")),
    "hosted-zone": lambda scope: PublicHostedZone(scope, "zone", PublicHostedZoneProps(
        domain="example.net", resource_prefix="test", query_log_retention_days=7)),
    "load-balancer": lambda scope: LoadBalancer(scope, "alb", LoadBalancerProps(
        name="test", subnet_ids=SUBNETS, security_group_ids=["sg-1"], certificate_arn=CERTIFICATE,
        access_log_bucket="test-logs")),
    "log-group": lambda scope: LogGroup(scope, "logs", LogGroupProps(name="/test", retention_days=7)),
    "network-acl": lambda scope: ServiceSubnetAcl(scope, "acl", ServiceSubnetAclProps(
        name="test", vpc_id="vpc-1", subnet_ids=("subnet-0a",), port=5432, client_cidrs=("10.0.3.0/24",),
        tier_cidrs=("10.0.6.0/24",))),
    "pipeline": lambda scope: ComponentPipeline(scope, "pipeline", ComponentPipelineProps(
        name="test-app", connection_arn="arn:aws:codestar-connections:us-east-1:123456789012:connection/abc",
        repository="owner/repo", branch="main", trigger_paths=["app/**"], artifact_bucket_name="test-artifacts",
        artifact_bucket_arn="arn:aws:s3:::test-artifacts", artifact_key_arn=KEY, log_retention_days=7,
        log_kms_key_arn=KEY, build=BuildStep(buildspec="app/buildspec.yml"),
        integration_test=BuildStep(buildspec="app/buildspec-smoke.yml"),
        ecs_deploys=[EcsDeployTarget("Deploy-app", CLUSTER, "app", "test-app",
                                     ["arn:aws:iam::123456789012:role/test-app-task"])])),
    "secret": lambda scope: Secret(scope, "secret", SecretProps(
        name="test/secret", description="d", kms_key_arn=KEY, generate=GeneratedValue())),
    "secure-bucket": lambda scope: SecureBucket(scope, "bucket", SecureBucketProps(name="test-bucket")),
    "security-groups": lambda scope: SecurityGroups(scope, "groups", SecurityGroupsProps(
        vpc_id="vpc-1", vpc_cidr="10.0.0.0/16", groups=(Group("web", "Web"), Group("app", "App")),
        rules=(Rule("app", "ingress", 8000, "from web", peer_group="web"),))),
    "static-site": lambda scope: StaticSite(scope, "site", StaticSiteProps(
        bucket_name="test-site", region=REGION, domain_name="www.example.net", certificate_arn=CERTIFICATE,
        hosted_zone_id="Z123", web_acl_arn="arn:aws:wafv2:us-east-1:123456789012:global/webacl/test/abc",
        log_bucket_name="test-logs", log_bucket_arn="arn:aws:s3:::test-logs", log_prefix="cloudfront/test",
        content_security_policy="default-src 'self'")),
    "user-pool": lambda scope: UserPool(scope, "users", UserPoolProps(
        name="test", domain="auth.example.net", certificate_arn=CERTIFICATE, hosted_zone_id="Z123",
        clients=(AppClientProps("app", "app.example.net"),))),
    "vpc": lambda scope: Vpc(scope, "vpc", VpcProps(
        name="test", cidr="10.0.0.0/16", zones=("us-east-1a", "us-east-1b"),
        public_subnets=("10.0.0.0/24", "10.0.1.0/24"), private_subnets=("10.0.3.0/24", "10.0.4.0/24"),
        database_subnets=("10.0.6.0/24", "10.0.7.0/24"))),
    "vpc-endpoints": lambda scope: VpcEndpoints(scope, "endpoints", VpcEndpointsProps(
        name="test", vpc_id="vpc-1", region=REGION, interface_services=("logs",), subnet_ids=tuple(SUBNETS),
        security_group_ids=("sg-1",))),
    "web-acl": lambda scope: WebAcl(scope, "waf", WebAclProps(name="test", scope="REGIONAL", log_retention_days=7)),
}
ALL_TOGETHER = "every-block"


def stack_of(app: App, name: str) -> TerraformStack:
    stack = TerraformStack(app, name)
    AwsProvider(stack, "aws", region=REGION)
    return stack


@pytest.fixture(scope="module")
def blocks(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """{block: its stack's JSON}, each block alone, and one stack holding them all."""
    outdir = tmp_path_factory.mktemp("blocks")
    app = App(outdir=str(outdir))
    for name, build in BLOCKS.items():
        build(stack_of(app, name))
    together = stack_of(app, ALL_TOGETHER)
    for name, build in BLOCKS.items():
        build(Construct(together, name))
    app.synth()
    stacks = {p.parent.name: json.loads(p.read_text()) for p in (outdir / "stacks").glob("*/cdk.tf.json")}
    return outdir / "stacks", stacks


@pytest.fixture
def block(blocks, request) -> dict:
    return blocks[1][request.param]


def statements(body: dict, attribute: str = "policy") -> list[dict]:
    return policy(body, attribute)["Statement"]


def wildcard_resources(stack: dict) -> set[str]:
    """Actions an identity policy of the stack grants on "*"."""
    found = set()
    for kind in ("aws_iam_role_policy", "aws_iam_policy"):
        for body in resources(stack, kind).values():
            for statement in statements(body):
                if "*" in statement["Resource"]:
                    found.update(statement["Action"])
    return found


def test_every_block_is_tested_alone(blocks):
    import building_blocks

    modules = {p.stem for p in Path(building_blocks.__file__).parent.glob("*.py")} - {"__init__", "iam"}
    assert len(modules) == len(BLOCKS) == len(set(BLOCKS))
    assert set(blocks[1]) == set(BLOCKS) | {ALL_TOGETHER}


def test_secure_bucket_is_private_encrypted_versioned_and_tls_only(blocks):
    stack = blocks[1]["secure-bucket"]
    assert only(stack, "aws_s3_bucket")["force_destroy"] is False
    access = only(stack, "aws_s3_bucket_public_access_block")
    assert all(access[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                           "restrict_public_buckets"))
    (rule,) = only(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert rule["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"
    assert only(stack, "aws_s3_bucket_versioning")["versioning_configuration"]["status"] == "Enabled"
    assert only(stack, "aws_s3_bucket_ownership_controls")["rule"]["object_ownership"] == "BucketOwnerEnforced"
    (deny,) = statements(only(stack, "aws_s3_bucket_policy"))
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_encryption_key_rotates_and_only_the_account_administers_it(blocks):
    key = only(blocks[1]["encryption-key"], "aws_kms_key")
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 30
    (admin,) = statements(key)
    assert admin["Principal"]["AWS"].endswith(":root")


def test_log_group_keeps_its_retention(blocks):
    assert only(blocks[1]["log-group"], "aws_cloudwatch_log_group")["retention_in_days"] == 7


def test_image_repository_is_immutable_scanned_encrypted_and_kept(blocks):
    stack = blocks[1]["image-repository"]
    repository = only(stack, "aws_ecr_repository")
    assert repository["image_tag_mutability"] == "IMMUTABLE" and repository["force_delete"] is False
    assert repository["image_scanning_configuration"]["scan_on_push"] is True
    assert repository["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": KEY}]
    lifecycle = json.loads(only(stack, "aws_ecr_lifecycle_policy")["policy"])
    assert lifecycle["rules"][0]["selection"]["countNumber"] == 20


def test_container_service_runs_private_non_root_read_only_with_least_privilege(blocks):
    stack = blocks[1]["container-service"]
    service = only(stack, "aws_ecs_service")
    assert service["network_configuration"]["assign_public_ip"] is False
    assert service["enable_execute_command"] is False
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    containers = json.loads(only(stack, "aws_ecs_task_definition")["container_definitions"])
    for container in containers:
        assert container["user"] not in ("0", "root") and container["readonlyRootFilesystem"] is True
        assert container["privileged"] is False
    for role in resources(stack, "aws_iam_role").values():
        (trust,) = statements(role, "assume_role_policy")
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"} and "Resource" not in trust
    # "*" only where AWS has no resource-level permission.
    assert wildcard_resources(stack) == {"ecr:GetAuthorizationToken", "xray:PutTraceSegments",
                                         "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                                         "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"}


def test_ecs_cluster_has_insights_encrypted_exec_logs_and_spot_first(blocks):
    stack = blocks[1]["ecs-cluster"]
    cluster = only(stack, "aws_ecs_cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enabled"}]
    execute = cluster["configuration"]["execute_command_configuration"]
    assert execute["kms_key_id"] == KEY and execute["log_configuration"]["cloud_watch_encryption_enabled"] is True
    providers = only(stack, "aws_ecs_cluster_capacity_providers")
    assert providers["default_capacity_provider_strategy"][0]["capacity_provider"] == "FARGATE_SPOT"


def test_aurora_is_encrypted_private_protected_and_iam_only_over_tls(blocks):
    stack = blocks[1]["aurora"]
    cluster = only(stack, "aws_rds_cluster")
    assert cluster["storage_encrypted"] is True and cluster["deletion_protection"] is True
    assert cluster["iam_database_authentication_enabled"] is True and cluster["manage_master_user_password"] is True
    assert cluster["port"] == 5432 and cluster["backup_retention_period"] == 7
    assert all(i["publicly_accessible"] is False for i in resources(stack, "aws_rds_cluster_instance").values())
    proxy = only(stack, "aws_db_proxy")
    assert proxy["require_tls"] is True and proxy["auth"][0]["iam_auth"] == "REQUIRED"
    parameters = {p["name"]: p["value"] for p in only(stack, "aws_rds_cluster_parameter_group")["parameter"]}
    assert parameters["rds.force_ssl"] == "1"


def test_flow_log_records_all_traffic_through_a_role_only_flow_logs_assume(blocks):
    stack = blocks[1]["flow-log"]
    assert only(stack, "aws_flow_log")["traffic_type"] == "ALL"
    (trust,) = statements(only(stack, "aws_iam_role"), "assume_role_policy")
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"} and "Resource" not in trust
    assert only(stack, "aws_cloudwatch_log_group")["kms_key_id"] == KEY


def test_guardrail_filters_everything_high_and_publishes_a_version(blocks):
    stack = blocks[1]["guardrail"]
    guardrail = only(stack, "aws_bedrock_guardrail")
    filters = guardrail["content_policy_config"][0]["filters_config"]
    assert {f["input_strength"] for f in filters} == {"HIGH"}
    assert guardrail["word_policy_config"][0]["managed_word_lists_config"] == [{"type": "PROFANITY"}]
    assert only(stack, "aws_bedrock_guardrail_version")["skip_destroy"] is True


def test_hosted_zone_is_signed_and_logs_its_queries(blocks):
    stack = blocks[1]["hosted-zone"]
    assert only(stack, "aws_route53_hosted_zone_dnssec")["signing_status"] == "SIGNING"
    assert only(stack, "aws_kms_key")["key_usage"] == "SIGN_VERIFY"
    assert only(stack, "aws_route53_query_log")


def test_load_balancer_terminates_tls_redirects_http_and_logs(blocks):
    stack = blocks[1]["load-balancer"]
    alb = only(stack, "aws_lb")
    assert alb["drop_invalid_header_fields"] is True and alb["enable_deletion_protection"] is True
    assert alb["access_logs"]["enabled"] is True
    listeners = {body["port"]: body for body in resources(stack, "aws_lb_listener").values()}
    assert listeners[443]["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")
    assert listeners[80]["default_action"][0]["redirect"]["protocol"] == "HTTPS"


def test_network_acl_serves_only_its_port_and_replies(blocks):
    rules = resources(blocks[1]["network-acl"], "aws_network_acl_rule").values()
    assert {(r["from_port"], r["to_port"]) for r in rules} == {(5432, 5432), (1024, 65535)}
    assert {r["rule_action"] for r in rules} == {"allow"}


def test_pipeline_encrypts_artifacts_and_scopes_its_roles(blocks):
    stack = blocks[1]["pipeline"]
    pipeline = only(stack, "aws_codepipeline")
    assert pipeline["pipeline_type"] == "V2"
    assert pipeline["artifact_store"][0]["encryption_key"] == {"id": KEY, "type": "KMS"}
    assert all(p["environment"]["privileged_mode"] is False for p in resources(stack, "aws_codebuild_project").values())
    for role in resources(stack, "aws_iam_role").values():
        (trust,) = statements(role, "assume_role_policy")
        assert "Resource" not in trust and "aws:SourceAccount" in trust["Condition"]["StringEquals"]
    # Reads without a resource-level permission; ListTasks is held to the cluster by a condition.
    assert wildcard_resources(stack) == {"ecs:DescribeTaskDefinition", "ecs:ListTasks"}
    (register,) = [s for role in resources(stack, "aws_iam_role_policy").values() for s in statements(role, "policy")
                   if "ecs:RegisterTaskDefinition" in s["Action"]]
    assert all(r.startswith("arn:aws:ecs:") and ":task-definition/" in r and r.endswith(":*") for r in register["Resource"])


def test_secret_is_encrypted_recoverable_and_generated_write_only(blocks):
    stack = blocks[1]["secret"]
    secret = only(stack, "aws_secretsmanager_secret")
    assert secret["kms_key_id"] == KEY and secret["recovery_window_in_days"] == 30
    version = only(stack, "aws_secretsmanager_secret_version")
    assert "secret_string" not in version and version["secret_string_wo"].startswith("${ephemeral.")


def test_security_groups_have_no_inline_rules_and_describe_each_rule(blocks):
    stack = blocks[1]["security-groups"]
    assert all("ingress" not in g and "egress" not in g for g in resources(stack, "aws_security_group").values())
    (rule,) = resources(stack, "aws_vpc_security_group_ingress_rule").values()
    assert rule["description"] == "from web" and rule["from_port"] == rule["to_port"] == 8000


def test_static_site_is_private_behind_cloudfront_tls_and_security_headers(blocks):
    stack = blocks[1]["static-site"]
    distribution = only(stack, "aws_cloudfront_distribution")
    assert distribution["viewer_certificate"]["minimum_protocol_version"] == "TLSv1.2_2021"
    assert distribution["default_cache_behavior"]["viewer_protocol_policy"] == "redirect-to-https"
    assert distribution["web_acl_id"].startswith("arn:aws:wafv2:")
    headers = only(stack, "aws_cloudfront_response_headers_policy")["security_headers_config"]
    assert headers["strict_transport_security"]["access_control_max_age_sec"] >= 31536000
    access = only(stack, "aws_s3_bucket_public_access_block")
    assert access["block_public_policy"] is True and access["restrict_public_buckets"] is True


def test_user_pool_has_a_strong_policy_public_clients_and_deletion_protection(blocks):
    stack = blocks[1]["user-pool"]
    pool = only(stack, "aws_cognito_user_pool")
    assert pool["password_policy"]["minimum_length"] == 12 and pool["deletion_protection"] == "ACTIVE"
    assert pool["user_pool_add_ons"]["advanced_security_mode"] == "AUDIT"
    client = only(stack, "aws_cognito_user_pool_client")
    assert client["generate_secret"] is False and client["allowed_oauth_flows"] == ["code"]
    assert client["prevent_user_existence_errors"] == "ENABLED" and client["enable_token_revocation"] is True


def test_vpc_assigns_no_public_ips_and_its_default_group_admits_nothing(blocks):
    stack = blocks[1]["vpc"]
    assert all(s["map_public_ip_on_launch"] is False for s in resources(stack, "aws_subnet").values())
    default = only(stack, "aws_default_security_group")
    assert "ingress" not in default and "egress" not in default
    assert len(resources(stack, "aws_nat_gateway")) == 2  # one per zone unless told otherwise


def test_vpc_endpoints_use_private_dns(blocks):
    assert only(blocks[1]["vpc-endpoints"], "aws_vpc_endpoint")["private_dns_enabled"] is True


def test_web_acl_rate_limits_logs_redacted_and_measures_every_rule(blocks):
    stack = blocks[1]["web-acl"]
    acl = only(stack, "aws_wafv2_web_acl")
    assert [r["name"] for r in acl["rule"]][:1] == ["rate-limit-per-ip"]
    assert all(r["visibility_config"]["cloudwatch_metrics_enabled"] is True for r in acl["rule"])
    logging = only(stack, "aws_wafv2_web_acl_logging_configuration")
    assert logging["redacted_fields"] == [{"single_header": {"name": "authorization"}}]


def test_alarm_notifies_on_alarm_and_recovery(blocks):
    alarm = only(blocks[1]["alarm"], "aws_cloudwatch_metric_alarm")
    assert alarm["alarm_actions"] == alarm["ok_actions"] == [TOPIC]
    assert alarm["treat_missing_data"] == "notBreaching"


def test_dashboard_body_is_plain_json(blocks):
    body = json.loads(only(blocks[1]["dashboard"], "aws_cloudwatch_dashboard")["dashboard_body"])
    assert body["widgets"][0]["properties"]["metrics"][0][:2] == ["AWS/ECS", "CPUUtilization"]


@pytest.mark.slow
def test_every_block_together_passes_terraform_validate(blocks):
    if not shutil.which("terraform") or terraform.cli_config() is None:
        pytest.fail("terraform and the provider mirror are needed to validate the building blocks")
    result = terraform.validate_workspace(blocks[0] / ALL_TOGETHER, terraform.terraform_env())
    assert result.ok, result.detail


def test_an_alb_sign_in_session_and_an_origin_header_are_bounded():
    from building_blocks.load_balancer import CognitoSignIn, HealthCheck, RequiredHeader, TargetGroupProps

    with pytest.raises(ValueError, match="1 to 604800 seconds"):
        CognitoSignIn(user_pool_arn="arn", client_id="c", domain="auth.example.com", session_timeout_seconds=30 * 86400)
    with pytest.raises(ValueError, match="one to three accepted values"):
        RequiredHeader("X-Origin-Verify", ())
    with pytest.raises(ValueError, match="stickiness lasts 1 second to 7 days, not 0"):
        TargetGroupProps(name="ui", port=8501, vpc_id="vpc-1", health_check=HealthCheck(path="/healthz"),
                         stickiness_seconds=0)
    with pytest.raises(ValueError, match="must not sign in as the master user"):
        AuroraPostgresProps(
            identifier="db", database_name="app", master_username="owner", app_username="owner",
            app_user_secret_arn="arn", engine_version="15.10", parameter_group_family="aurora-postgresql15",
            instance_class="db.r6g.large", availability_zones=("us-east-1a", "us-east-1b"), subnet_ids=SUBNETS,
            security_group_id="sg-1", proxy_security_group_id="sg-2", kms_key_arn=KEY, logs_kms_key_arn=KEY,
            region=REGION)
