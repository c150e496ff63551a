"""Container services (backend workspaces and the UI containers of frontend workspaces), as
synthesized: every number below is the spec's (aws-tech-specs-v2.md), not read from config."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from modules.settings import AppSettings
from tests.tf import logical_id, only, policy, reference, resources, where
from toolkit.definition import REPO_ROOT

REMOTE = "${{data.terraform_remote_state.remote-{}.outputs.{}}}"

# Spec, "Task Definition per application": container name, port, health path, secrets.
# lang-portal-api also reads LANG_PORTAL_API_KEY: it verifies the key its callers present
# (docs/decisions.md).
SPEC_SERVICES = {
    "lang-portal-api": ("lang-portal-backend", "fastapi-app", 8000, "/health",
                        {"DATABASE_URL", "JWT_SECRET", "LANG_PORTAL_API_KEY"}),
    "haiku-api": ("haiku-backend", "fastapi-app", 8000, "/health", {"DATABASE_URL"}),
    "vocab-generator-frontend": ("vocab-generator-frontend", "streamlit-app", 8501, "/healthz", {"LANG_PORTAL_API_KEY"}),
    # The spec gives it LANG_PORTAL_API_KEY; only its frontend calls the Lang Portal (docs/decisions.md).
    "vocab-generator-backend": ("vocab-generator-backend", "fastapi-app", 8000, "/health", set()),
    # The spec gives it LANG_PORTAL_API_KEY; it acts as the signed-in learner instead (docs/decisions.md).
    "writing-practice": ("writing-practice-frontend", "gradio-app", 7860, "/healthz", set()),
}
SECRET_OUTPUTS = {
    "JWT_SECRET": REMOTE.format("auth", "jwt_secret_arn"),
    "LANG_PORTAL_API_KEY": REMOTE.format("auth", "lang_portal_api_key_secret_arn"),
}
# Spec, Service Discovery: the Cloud Map names; routed = behind the ALB (Listener Rules).
ROUTED = {"lang-portal-api", "haiku-api", "vocab-generator-frontend", "writing-practice"}
# What each app calls (the spec's diagrams): its managed policies from the ai workspace.
AI_POLICIES = {
    "lang-portal-api": {"bedrock_policy_arn", "polly_policy_arn", "bedrock_image_policy_arn"},
    "haiku-api": {"bedrock_policy_arn", "polly_policy_arn", "bedrock_image_policy_arn"},
    "vocab-generator-frontend": set(),
    "vocab-generator-backend": {"bedrock_policy_arn", "polly_policy_arn"},
    "writing-practice": {"bedrock_policy_arn", "polly_policy_arn"},
}
MEDIA = {"lang-portal-api": "lang-portal", "haiku-api": "haiku"}


def task_definition(stacks, service: str) -> tuple[dict, dict]:
    workspace = SPEC_SERVICES[service][0]
    (body,) = where(stacks[workspace], "aws_ecs_task_definition", family=f"app-dw-dev-{service}")
    return stacks[workspace], body


def containers(body: dict) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(body["container_definitions"])}


def app(stacks, service: str) -> dict:
    _, body = task_definition(stacks, service)
    return containers(body)[SPEC_SERVICES[service][1]]


def ecs_service(stacks, service: str) -> dict:
    (body,) = where(stacks[SPEC_SERVICES[service][0]], "aws_ecs_service", name=service)
    return body


def role_policies(stack: dict, role_reference: str) -> tuple[list[dict], list[str]]:
    """(inline statements, attached policy ARNs) of the role a task definition names."""
    role_id = role_reference.split(".")[1]
    role_name = reference("aws_iam_role", role_id, "name")
    statements = [s for body in resources(stack, "aws_iam_role_policy").values() if body["role"] == role_name
                  for s in policy(body)["Statement"]]
    attached = [body["policy_arn"] for body in resources(stack, "aws_iam_role_policy_attachment").values()
                if body["role"] == role_name]
    return statements, attached


def actions_of(statements: list[dict]) -> set[str]:
    return {a for s in statements for a in s["Action"]}


@pytest.mark.parametrize("project", ["lang-portal", "haiku", "vocab-generator", "writing-practice"])
def test_every_project_has_its_three_workspaces(stacks, project):
    for component in ("backend", "frontend", "pipeline"):
        assert f"{project}-{component}" in stacks


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_task_definition_is_fargate_with_one_vcpu_and_two_gb(stacks, service):
    _, body = task_definition(stacks, service)
    assert body["requires_compatibilities"] == ["FARGATE"]
    assert body["network_mode"] == "awsvpc"
    assert (body["cpu"], body["memory"]) == ("1024", "2048")
    assert body["execution_role_arn"] != body["task_role_arn"]


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_containers_are_the_app_and_the_essential_otel_sidecar(stacks, service):
    _, body = task_definition(stacks, service)
    defined = containers(body)
    # A service with a database first runs the owner's migration in a container of its own image.
    migrate = {"migrate"} if "DATABASE_URL" in SPEC_SERVICES[service][4] else set()
    assert set(defined) == {SPEC_SERVICES[service][1], "aws-otel-collector"} | migrate
    assert {name for name, c in defined.items() if not c["essential"]} == migrate
    sidecar = defined["aws-otel-collector"]
    assert sidecar["image"].startswith("public.ecr.aws/aws-observability/aws-otel-collector:")
    assert sidecar["secrets"] == [{"name": "AOT_CONFIG_CONTENT",
                                   "valueFrom": REMOTE.format("monitoring", "otel_config_parameter_arn")}]


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_app_container_matches_the_spec_task_definition(stacks, service):
    _, _, port, health_path, secrets = SPEC_SERVICES[service]
    container = app(stacks, service)
    assert container["portMappings"] == [{"containerPort": port, "protocol": "tcp"}]
    assert {"name": "AWS_DEFAULT_REGION", "value": "us-east-1"} in container["environment"]
    assert container["healthCheck"] == {
        "command": ["CMD-SHELL", f"curl -f http://localhost:{port}{health_path} || exit 1"],
        "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}
    assert container["stopTimeout"] == 120  # Fargate Spot's two minutes between SIGTERM and the stop
    assert {s["name"] for s in container["secrets"]} == secrets
    for secret in container["secrets"]:
        expected = SECRET_OUTPUTS.get(secret["name"]) or REMOTE.format(
            "database", f"database_url_secret_arn_{service.removesuffix('-api').replace('-', '_')}")
        assert secret["valueFrom"] == expected


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_image_comes_from_the_project_repository_at_the_deployed_tag(stacks, service):
    workspace = SPEC_SERVICES[service][0]
    stack = stacks[workspace]
    repository, tag = app(stacks, service)["image"].rsplit(":", 1)
    if workspace.endswith("-backend"):
        (ecr,) = where(stack, "aws_ecr_repository", name=f"app-dw/dev/{service}")
        assert repository == reference("aws_ecr_repository", logical_id(stack, "aws_ecr_repository", ecr),
                                       "repository_url")
    else:  # UI images live in the project's backend workspace
        backend = workspace.removesuffix("-frontend") + "-backend"
        assert repository == REMOTE.format(backend, f"ecr_repository_url_{service.replace('-', '_')}")
    # The tag the pipeline recorded after its last verified deploy; "latest" until then.
    (parameter,) = where(stack, "aws_ssm_parameter", name=f"/app-dw/dev/image-tag/{service}")
    assert parameter["insecure_value"] == "latest"
    assert parameter["lifecycle"] == {"ignore_changes": ["insecure_value"]}
    assert tag == reference("aws_ssm_parameter", logical_id(stack, "aws_ssm_parameter", parameter), "insecure_value")


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_containers_log_to_the_spec_group_read_only_and_not_as_root(stacks, service):
    _, body = task_definition(stacks, service)
    for container in containers(body).values():
        assert container["logConfiguration"] == {"logDriver": "awslogs", "options": {
            "awslogs-group": REMOTE.format("cluster", "ecs_log_group_name"),
            "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}}
        assert container["readonlyRootFilesystem"] is True
        assert container["user"] not in ("0", "root") and container["privileged"] is False
        assert {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False} in container["mountPoints"]
    assert body["volume"] == [{"name": "tmp"}]


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_service_runs_on_fargate_spot_in_private_subnets_with_the_project_group(stacks, service):
    body = ecs_service(stacks, service)
    project_group = {"lang-portal-api": "lang_portal_api_sg", "haiku-api": "haiku_api_sg",
                     "writing-practice": "writing_practice_sg"}.get(service, "vocab_generator_sg")
    assert body["capacity_provider_strategy"] == [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]
    assert "launch_type" not in body
    assert body["cluster"] == REMOTE.format("cluster", "ecs_cluster_arn")
    assert body["network_configuration"] == {
        "assign_public_ip": False, "subnets": REMOTE.format("network", "private_subnet_ids"),
        "security_groups": [REMOTE.format("network", f"security_group_id_{project_group}")]}
    assert body["enable_execute_command"] is False


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_rolling_deployment_with_circuit_breaker(stacks, service):
    body = ecs_service(stacks, service)
    assert body["deployment_controller"] == {"type": "ECS"}
    assert body["deployment_maximum_percent"] == 200
    assert body["deployment_minimum_healthy_percent"] == 100
    assert body["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    # Auto scaling owns the count; Terraform still owns the task definition (no ignore).
    assert body["lifecycle"] == {"ignore_changes": ["desired_count"]}
    stack, task = task_definition(stacks, service)
    assert body["task_definition"] == reference("aws_ecs_task_definition",
                                                logical_id(stack, "aws_ecs_task_definition", task), "arn")
    assert task["track_latest"] is True


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_routed_services_join_their_target_group_with_the_grace_period(stacks, service):
    body = ecs_service(stacks, service)
    container, port = SPEC_SERVICES[service][1], SPEC_SERVICES[service][2]
    if service in ROUTED:
        assert body["load_balancer"] == [{
            "container_name": container, "container_port": port,
            "target_group_arn": REMOTE.format("edge", f"target_group_arn_{service.replace('-', '_')}")}]
        assert body["health_check_grace_period_seconds"] == 60
    else:
        assert "load_balancer" not in body and "health_check_grace_period_seconds" not in body


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_every_service_registers_in_cloud_map_under_its_spec_name(stacks, service):
    stack = stacks[SPEC_SERVICES[service][0]]
    (discovery,) = where(stack, "aws_service_discovery_service", name=service)
    assert discovery["dns_config"] == {
        "namespace_id": REMOTE.format("cluster", "service_discovery_namespace_id"),
        "routing_policy": "MULTIVALUE", "dns_records": [{"type": "A", "ttl": 60}]}
    assert ecs_service(stacks, service)["service_registries"] == {
        "registry_arn": reference("aws_service_discovery_service",
                                  logical_id(stack, "aws_service_discovery_service", discovery), "arn")}


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_auto_scaling_tracks_cpu_and_memory_at_seventy_percent(stacks, service):
    stack = stacks[SPEC_SERVICES[service][0]]
    (target,) = [t for t in resources(stack, "aws_appautoscaling_target").values() if service in t["resource_id"]]
    assert (target["min_capacity"], target["max_capacity"]) == (1, 3)
    assert target["scalable_dimension"] == "ecs:service:DesiredCount" and target["service_namespace"] == "ecs"
    assert target["resource_id"].startswith("service/" + REMOTE.format("cluster", "ecs_cluster_name") + "/")
    policies = [p for p in resources(stack, "aws_appautoscaling_policy").values() if p["name"].startswith(service + "-")]
    metrics = {}
    for body in policies:
        assert body["policy_type"] == "TargetTrackingScaling"
        config = body["target_tracking_scaling_policy_configuration"]
        metrics[config["predefined_metric_specification"]["predefined_metric_type"]] = (
            config["target_value"], config["scale_in_cooldown"], config["scale_out_cooldown"])
    assert metrics == {"ECSServiceAverageCPUUtilization": (70, 300, 60),
                       "ECSServiceAverageMemoryUtilization": (70, 300, 60)}


@pytest.mark.parametrize("project,services", [
    ("lang-portal", ["lang-portal-api"]), ("haiku", ["haiku-api"]),
    ("vocab-generator", ["vocab-generator-frontend", "vocab-generator-backend"]),
    ("writing-practice", ["writing-practice"])])
def test_backend_workspace_holds_an_image_repository_per_container(stacks, project, services):
    stack = stacks[f"{project}-backend"]
    repositories = resources(stack, "aws_ecr_repository")
    assert sorted(r["name"] for r in repositories.values()) == sorted(f"app-dw/dev/{s}" for s in services)
    for name, repository in repositories.items():
        assert repository["image_tag_mutability"] == "IMMUTABLE"
        assert repository["image_scanning_configuration"] == {"scan_on_push": True}
        assert repository["encryption_configuration"] == [
            {"encryption_type": "KMS", "kms_key": REMOTE.format("storage", "kms_key_arn_artifacts")}]
        (lifecycle,) = where(stack, "aws_ecr_lifecycle_policy", repository=reference("aws_ecr_repository", name, "name"))
        (rule,) = json.loads(lifecycle["policy"])["rules"]
        assert rule["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20}
        assert rule["action"] == {"type": "expire"}
    for service in services:
        key = service.replace("-", "_")
        assert {f"ecr_repository_url_{key}", f"ecr_repository_arn_{key}"} <= set(stack["output"])


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_execution_role_reads_exactly_its_secrets_and_pulls_its_image(stacks, service):
    stack, body = task_definition(stacks, service)
    statements, attached = role_policies(stack, body["execution_role_arn"])
    assert attached == []
    secret_reads = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    # Every Secrets Manager secret a container of the task gets (a JSON key's "<arn>:<key>::" is its
    # secret's ARN); the collector's configuration is an SSM parameter (ssm:GetParameters).
    injected = {re.sub(r":\w+::$", "", secret["valueFrom"]) for container in containers(body).values()
                for secret in container.get("secrets", []) if secret["name"] != "AOT_CONFIG_CONTENT"}
    assert [set(s["Resource"]) for s in secret_reads] == ([injected] if injected else [])
    assert actions_of(statements) == {
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents", "ssm:GetParameters"} | (
        {"secretsmanager:GetSecretValue", "kms:Decrypt"} if injected else set())
    pull = next(s for s in statements if "ecr:BatchGetImage" in s["Action"])
    assert pull["Resource"] != ["*"]


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_task_role_holds_what_the_app_calls_and_nothing_else(stacks, service):
    stack, body = task_definition(stacks, service)
    statements, attached = role_policies(stack, body["task_role_arn"])
    assert set(attached) == {REMOTE.format("ai", name) for name in AI_POLICIES[service]}
    actions = actions_of(statements)
    assert not [a for a in actions if a == "*" or a.endswith(":*")]
    assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= actions          # the sidecar's traces
    assert ("rds-db:connect" in actions) == ("DATABASE_URL" in SPEC_SERVICES[service][4])
    assert ("s3:PutObject" in actions) == (service in MEDIA)
    assert not any(a.startswith("secretsmanager:") for a in actions)                  # injected at start
    if service in MEDIA:
        objects = next(s for s in statements if "s3:PutObject" in s["Action"])
        frontend = f"{MEDIA[service]}-frontend"  # the media bucket sits beside the project's site
        assert objects["Resource"] == [REMOTE.format(frontend, "media_bucket_arn") + f"/{MEDIA[service]}/*"]
        key = next(s for s in statements if s.get("Sid") == "MediaKey")
        assert key["Resource"] == [REMOTE.format(frontend, "site_kms_key_arn")]
        listing = next(s for s in statements if s["Action"] == ["s3:ListBucket"])
        assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{MEDIA[service]}/*"]}}
    if "DATABASE_URL" in SPEC_SERVICES[service][4]:
        connect = next(s for s in statements if s["Action"] == ["rds-db:connect"])
        project = service.removesuffix("-api").replace("-", "_")
        assert connect["Resource"] == [REMOTE.format("database", f"db_iam_connect_arn_{project}")]


@pytest.mark.parametrize("service,project", [("lang-portal-api", "lang_portal"), ("haiku-api", "haiku")])
def test_the_owners_migration_runs_first_and_only_it_gets_the_master_password(stacks, service, project):
    """The app connects as its own database user (IAM token through the proxy); the master
    credentials reach only the migrate container, which the app waits for."""
    _, body = task_definition(stacks, service)
    defined = containers(body)
    app_container, migrate = defined[SPEC_SERVICES[service][1]], defined["migrate"]
    assert migrate["image"] == app_container["image"]
    assert migrate["command"] == ["python", "-m", f"projects.{project}.backend.owner_migration"]
    assert {"containerName": "migrate", "condition": "SUCCESS"} in app_container["dependsOn"]
    database = "database"  # the workspace whose outputs the secrets' ARNs are
    assert migrate["secrets"] == [
        {"name": "DATABASE_URL", "valueFrom": REMOTE.format(database, f"database_url_secret_arn_{project}")},
        {"name": "DB_APP_PASSWORD",
         "valueFrom": REMOTE.format(database, f"db_app_user_secret_arn_{project}") + ":password::"},
        {"name": "DB_OWNER_PASSWORD",
         "valueFrom": REMOTE.format(database, f"db_master_secret_arn_{project}") + ":password::"},
        {"name": "DB_OWNER_USERNAME",
         "valueFrom": REMOTE.format(database, f"db_master_secret_arn_{project}") + ":username::"},
    ]
    environment = {e["name"]: e["value"] for e in migrate["environment"]}
    assert environment["DB_OWNER_HOST"] == REMOTE.format(database, f"db_writer_endpoint_{project}")
    assert environment["DB_OWNER_PORT"] == "5432"
    assert "master" not in json.dumps(app_container["secrets"])
    app_environment = {e["name"]: e["value"] for e in app_container["environment"]}
    assert app_environment["MIGRATE_ON_STARTUP"] == "false" and app_environment["DB_IAM_AUTH"] == "true"
    module = REPO_ROOT / "projects" / project / "backend" / "owner_migration.py"
    assert module.exists()


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_roles_trust_only_ecs_tasks_of_this_account(stacks, service):
    stack, body = task_definition(stacks, service)
    for role_reference in (body["execution_role_arn"], body["task_role_arn"]):
        role = resources(stack, "aws_iam_role")[role_reference.split(".")[1]]
        (trust,) = policy(role, "assume_role_policy")["Statement"]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert "aws:SourceAccount" in trust["Condition"]["StringEquals"]


def test_apps_find_their_callees_through_cloud_map(stacks):
    namespace = REMOTE.format("cluster", "service_discovery_namespace_name")
    env = {e["name"]: e["value"] for e in app(stacks, "vocab-generator-frontend")["environment"]}
    assert env["LANG_PORTAL_API_URL"] == f"http://lang-portal-api.{namespace}:8000"
    assert env["VOCAB_GENERATOR_BACKEND_URL"] == f"http://vocab-generator-backend.{namespace}:8000"
    writing = {e["name"]: e["value"] for e in app(stacks, "writing-practice")["environment"]}
    assert writing["LANG_PORTAL_API_URL"] == f"http://lang-portal-api.{namespace}:8000"
    assert not [k for k in {e["name"] for e in app(stacks, "haiku-api")["environment"]}
                if k.endswith("_URL") and k != "MEDIA_BASE_URL"]  # it calls no other service


def test_guardrail_and_media_settings_reach_only_the_apps_that_use_them(stacks):
    for service in SPEC_SERVICES:
        env = {e["name"]: e["value"] for e in app(stacks, service)["environment"]}
        assert ("GUARDRAIL_ID" in env) == bool(AI_POLICIES[service] - {"polly_policy_arn"})
        assert ("MEDIA_BUCKET" in env) == (service in MEDIA)
        assert env["COGNITO_ISSUER"] == REMOTE.format("auth", "user_pool_issuer")
    lang_portal = {e["name"]: e["value"] for e in app(stacks, "lang-portal-api")["environment"]}
    # The Lang Portal API accepts tokens of its own client and of the apps that call it.
    assert lang_portal["COGNITO_CLIENT_IDS"].split(",") == [
        REMOTE.format("auth", f"app_client_id_{p}") for p in ("lang_portal", "vocab_generator", "writing_practice")]
    assert lang_portal["MEDIA_PREFIX"] == "lang-portal/" and lang_portal["DB_IAM_AUTH"] == "true"
    # Media links through the project's own site, whose CloudFront serves its prefix of the media bucket.
    haiku = {e["name"]: e["value"] for e in app(stacks, "haiku-api")["environment"]}
    assert (haiku["MEDIA_PREFIX"], haiku["MEDIA_BASE_URL"]) == ("haiku/", "https://haiku.app-dw.net")
    assert lang_portal["MEDIA_BASE_URL"] == "https://lang-portal.app-dw.net"
    # The study activities it launches, at their public addresses (platform.toml's launches and subdomains).
    assert json.loads(lang_portal["STUDY_ACTIVITY_URLS"]) == {"writing-practice": "https://writing.app-dw.net",
                                                              "haiku": "https://haiku.app-dw.net"}
    assert not [s for s in SPEC_SERVICES if s != "lang-portal-api"
                and "STUDY_ACTIVITY_URLS" in {e["name"] for e in app(stacks, s)["environment"]}]


@pytest.mark.parametrize("service", SPEC_SERVICES)
def test_every_app_sends_its_telemetry_to_the_sidecar_as_the_collector_takes_it(stacks, service):
    env = {e["name"]: e["value"] for e in app(stacks, service)["environment"]}
    telemetry = {name: value for name, value in env.items() if name.startswith(("OTEL_", "TRACES_"))}
    collector = yaml.safe_load(only(stacks["monitoring"], "aws_ssm_parameter")["value"])
    rule = only(stacks["monitoring"], "aws_xray_sampling_rule")
    assert telemetry == {
        "OTEL_SERVICE_NAME": service,  # the Cloud Map name: the metrics' service.name dimension
        "OTEL_RESOURCE_ATTRIBUTES": "service.namespace=app-dw,deployment.environment.name=dev",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{collector['receivers']['otlp']['protocols']['http']['endpoint']}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION": "base2_exponential_bucket_histogram",
        "OTEL_METRIC_EXPORT_INTERVAL": "60000",  # the spec's 1-minute resolution
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": str(rule["fixed_rate"]),
        "TRACES_RESERVOIR_PER_SECOND": str(rule["reservoir_size"]),
    }
    assert env["SERVICE_NAME"] == service
    AppSettings(**{name.lower(): value for name, value in telemetry.items()})  # the apps accept every value
