"""The e2e run against the local emulator: its target settings, its error messages, and the
fault cases (a workspace applied before what it reads; a state lock held by another run)."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from cdktf import App
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

from tests.tf import only
from toolkit import e2e, emulator
from toolkit.definition import DefinitionError, Platform, load_platform
from workspaces.base import EmulatorEndpoints, Workspace
from workspaces.registry import WorkspaceSpec

URL = "http://127.0.0.1:4999"


# ----------------------------------------------------------------- two workspaces for the faults

class ProducerWorkspace(Workspace):
    """Publishes one value, kept in an SSM parameter (quick to create in the emulator)."""

    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        parameter = SsmParameter(self, "parameter", name=self.name("greeting"), type="String", value="hello")
        self.publish("greeting", parameter.name, "A value for the consumer")


class ConsumerWorkspace(Workspace):
    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        SsmParameter(self, "echo", name=self.name("echo"), type="String", value=self.read("producer", "greeting"))


FAULT_SPECS = [
    WorkspaceSpec("producer", "tests.test_e2e:ProducerWorkspace"),
    WorkspaceSpec("consumer", "tests.test_e2e:ConsumerWorkspace", ("producer",)),
]


def emulator_platform(url: str) -> Platform:
    plain = load_platform(environment="dev")
    return Platform(plain.definition, "dev", plain.source, emulator_url=url)


def synthesize(specs: list[WorkspaceSpec], platform: Platform, outdir: Path) -> Path:
    app = App(outdir=str(outdir))
    for spec in specs:
        spec.build(app, platform)
    app.synth()
    return outdir / "stacks"


# ------------------------------------------------------------------------------ the target

@pytest.fixture(scope="module")
def fault_stacks(tmp_path_factory) -> Path:
    return synthesize(FAULT_SPECS, emulator_platform(URL), tmp_path_factory.mktemp("faults"))


def stack(stacks: Path, name: str) -> dict:
    return json.loads((stacks / name / "cdk.tf.json").read_text())


def test_emulator_target_points_provider_backend_and_reads_at_the_emulator(fault_stacks):
    consumer = stack(fault_stacks, "consumer")
    (provider,) = consumer["provider"]["aws"]
    assert provider["endpoints"] == [{"ssm": URL, "sts": URL}]  # derived from the resources used
    assert provider["s3_use_path_style"] is True and provider["skip_credentials_validation"] is True
    assert provider["access_key"] == emulator.FAKE_ACCESS_KEY
    backend = consumer["terraform"]["backend"]["s3"]
    remote = consumer["data"]["terraform_remote_state"]["remote-producer"]["config"]
    for config in (backend, remote):
        assert config["endpoints"] == {"s3": URL} and config["use_path_style"] is True
        assert config["skip_credentials_validation"] and config["skip_requesting_account_id"]
        assert config["skip_metadata_api_check"] and config["access_key"] == emulator.FAKE_ACCESS_KEY
    assert backend["use_lockfile"] is True and backend["key"] == "dev/consumer/terraform.tfstate"


def test_the_aws_target_carries_no_emulator_setting(stacks):
    for name, workspace in stacks.items():
        (provider,) = workspace["provider"]["aws"]
        assert not {"endpoints", "access_key", "s3_use_path_style"} & set(provider), name
        configs = [workspace["terraform"]["backend"].get("s3", {})]
        configs += [body["config"] for body in workspace.get("data", {}).get("terraform_remote_state", {}).values()]
        assert not any({"endpoints", "access_key", "use_path_style"} & set(config) for config in configs), name


# The resource types each emulator flag leaves out. The AWS target has every one of them.
LEFT_OUT_ON_THE_EMULATOR = {
    "appautoscaling": {"aws_appautoscaling_target", "aws_appautoscaling_policy"},
    "applicationinsights": {"aws_applicationinsights_application"},
    "bedrock_guardrail": {"aws_bedrock_guardrail", "aws_bedrock_guardrail_version"},
    "codepipeline": {"aws_codepipeline"},
    "codestarconnections": {"aws_codestarconnections_connection"},
    "rds_proxy_endpoint": {"aws_db_proxy_endpoint"},
    "route53_dnssec": {"aws_route53_key_signing_key", "aws_route53_hosted_zone_dnssec", "aws_kms_key", "aws_kms_alias"},
    "xray": {"aws_xray_group", "aws_xray_sampling_rule"},
    "cloudfront_response_headers_policies": {"aws_cloudfront_response_headers_policy"},
    "cloudfront_function_publishing": set(),  # the function stays, unpublished
}


def addresses(stacks: dict) -> set[tuple[str, str, str]]:
    return {(name, kind, resource) for name, workspace in stacks.items()
            for kind, bodies in workspace.get("resource", {}).items() for resource in bodies}


@pytest.fixture(scope="module")
def emulator_synth(tmp_path_factory):
    from toolkit.synth import synthesize as synthesize_platform

    with e2e.emulator_target(URL):
        target = load_platform(environment="dev")
        result = synthesize_platform(target, tmp_path_factory.mktemp("emulator"), use_cache=False)
    return target, result.stacks


@pytest.mark.slow
def test_every_workspace_of_the_platform_gets_an_endpoint_for_each_service_it_uses(emulator_synth):
    _, stacks = emulator_synth
    known = EmulatorEndpoints.known
    for name, workspace in stacks.items():
        (provider,) = workspace["provider"]["aws"]
        endpoints = provider["endpoints"][0]
        assert set(endpoints.values()) == {URL}, name
        used = {emulator.endpoint_service(t, known) for kind in ("resource", "data")
                for t in workspace.get(kind, {}) if t != "terraform_remote_state"} - {None}
        assert used <= set(endpoints), f"{name}: no endpoint for {sorted(used - set(endpoints))}"


@pytest.mark.slow
def test_every_emulator_flag_is_asked_and_leaves_out_only_its_resources_on_the_emulator(emulator_synth, stacks):
    target, emulated = emulator_synth
    assert target.emulator_switched_off == set(emulator.EMULATOR_LIMITS) == set(LEFT_OUT_ON_THE_EMULATOR)
    on_aws, on_emulator = addresses(stacks), addresses(emulated)
    assert on_emulator <= on_aws
    left_out = {kind for _, kind, _ in on_aws - on_emulator}
    for flag, kinds in LEFT_OUT_ON_THE_EMULATOR.items():
        assert kinds <= left_out, (flag, kinds - left_out)
    assert left_out <= set().union(*LEFT_OUT_ON_THE_EMULATOR.values())
    for kind in left_out - {"aws_kms_key", "aws_kms_alias"}:  # other workspaces keep their keys
        assert not any(k == kind for _, k, _ in on_emulator), kind
    for workspace in ("lang-portal-frontend", "haiku-frontend"):
        assert only(stacks[workspace], "aws_cloudfront_function")["publish"] is True
        assert only(emulated[workspace], "aws_cloudfront_function")["publish"] is False


def test_stand_ins_keep_the_outputs_readers_need(emulator_synth, stacks):
    _, emulated = emulator_synth
    for workspace in ("ai", "database", "lang-portal-pipeline", "monitoring", "edge"):
        assert set(emulated[workspace]["output"]) == set(stacks[workspace]["output"]), workspace
    guardrail = emulated["ai"]["output"]["guardrail_arn"]["value"]
    assert guardrail.startswith(f"arn:aws:bedrock:us-east-1:{emulator.ACCOUNT_ID}:guardrail/")


@pytest.mark.parametrize("resource_type, service", [
    ("aws_route53_zone", "route53"), ("aws_route_table", "ec2"), ("aws_route", "ec2"),
    ("aws_lb_listener_rule", "elbv2"), ("aws_cloudwatch_log_group", "logs"), ("aws_cloudwatch_metric_alarm", "cloudwatch"),
    ("aws_cloudwatch_event_rule", "events"), ("aws_db_proxy", "rds"), ("aws_rds_cluster", "rds"),
    ("aws_cognito_identity_pool", "cognitoidentity"), ("aws_cognito_user_pool_client", "cognitoidp"),
    ("aws_service_discovery_service", "servicediscovery"), ("aws_vpc_security_group_ingress_rule", "ec2"),
    ("aws_caller_identity", "sts"), ("aws_iam_policy_document", None), ("aws_region", None),
])
def test_resource_types_map_to_provider_endpoints(resource_type, service):
    assert emulator.endpoint_service(resource_type, frozenset({"route53", "cloudwatch", "rds"})) == service


def test_a_type_with_no_known_endpoint_stops_synth_with_where_to_add_it():
    with pytest.raises(emulator.EmulatorError, match="aws_frobnicator_widget.*ENDPOINT_BY_PREFIX"):
        emulator.endpoint_service("aws_frobnicator_widget", frozenset({"s3"}))


def test_emulator_flags_answer_only_on_the_emulator_and_are_recorded():
    plain = load_platform(environment="dev")
    assert plain.emulator_skips("codepipeline") is False and not plain.emulator_switched_off
    target = emulator_platform(URL)
    assert target.emulator_skips("codepipeline") is True
    assert target.emulator_switched_off == {"codepipeline"}
    with pytest.raises(DefinitionError, match="unknown emulator limit 'code-pipeline'"):
        target.emulator_skips("code-pipeline")


def test_every_emulator_limit_says_why():
    for flag, limit in emulator.EMULATOR_LIMITS.items():
        assert limit.service and len(limit.reason) > 20, flag


def test_the_emulator_target_only_accepts_loopback(monkeypatch):
    monkeypatch.setenv("APP_DW_TARGET", "emulator")
    monkeypatch.setenv("APP_DW_EMULATOR_URL", "http://10.0.0.5:5000")
    with pytest.raises(DefinitionError, match="not on 127.0.0.1"):
        load_platform(environment="dev")
    monkeypatch.delenv("APP_DW_EMULATOR_URL")
    with pytest.raises(DefinitionError, match="needs APP_DW_EMULATOR_URL"):
        load_platform(environment="dev")
    monkeypatch.setenv("APP_DW_TARGET", "azure")
    with pytest.raises(DefinitionError, match="not a target"):
        load_platform(environment="dev")


# --------------------------------------------------------------------------- run mechanics

def test_run_graph_waits_for_needs_and_skips_after_a_failure():
    started: list[str] = []

    def action(name: str) -> bool:
        started.append(name)
        return name != "network"

    needs = {"network": {"storage"}, "edge": {"network"}, "ai": set()}
    outcome = e2e.run_graph(["storage", "network", "edge", "ai"], needs, action, workers=2, need_success=True)
    assert outcome == {"storage": True, "network": False, "edge": None, "ai": True}
    assert started.index("storage") < started.index("network") and "edge" not in started


def test_a_second_plan_passes_only_on_documented_emulator_quirks():
    def update(address: str, before: dict, after: dict) -> dict:
        return {"address": address, "mode": "managed", "type": address.split(".")[0],
                "change": {"actions": ["update"], "before": before, "after": after, "after_unknown": {}}}

    quirk = update("aws_ecs_service.api", {"availability_zone_rebalancing": None, "name": "api"},
                   {"availability_zone_rebalancing": "DISABLED", "name": "api"})
    drift = update("aws_ecs_service.ui", {"desired_count": 1}, {"desired_count": 2})
    replace = {"address": "aws_s3_bucket.media", "mode": "managed", "type": "aws_s3_bucket",
               "change": {"actions": ["delete", "create"]}}
    unexpected, tolerated = e2e.unexpected_changes({"resource_changes": [quirk, drift, replace]})
    assert tolerated == ["aws_ecs_service.api (availability_zone_rebalancing)"]
    assert unexpected == ["aws_ecs_service.ui (desired_count)", "delete/create aws_s3_bucket.media"]


def diagnostic(summary: str, detail: str = "", address: str = "") -> str:
    return json.dumps({"type": "diagnostic", "@level": "error",
                       "diagnostic": {"severity": "error", "summary": summary, "detail": detail, "address": address}})


def test_unknown_errors_keep_terraforms_first_lines_without_request_ids():
    output = diagnostic("creating S3 Bucket (x)", "operation error S3: CreateBucket, https response error "
                        "StatusCode: 409, RequestID: ABC, HostID: DEF, api error BucketAlreadyExists: taken",
                        "aws_s3_bucket.x")
    assert e2e.explain("storage", output, {}, "state") == (
        "creating S3 Bucket (x) [aws_s3_bucket.x]: operation error S3: CreateBucket, api error BucketAlreadyExists: taken")


def test_text_errors_are_read_too():
    output = "Initializing...\n\nError: Failed to get existing workspaces: S3 bucket \"state\" does not exist.\n\nmore\n"
    assert "apply bootstrap first" in e2e.explain("network", output, {}, "state")


# ------------------------------------------------------------------- faults, in the emulator

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with emulator.Emulator(tmp_path_factory.mktemp("emulator") / "moto.log") as running:
        yield running


@pytest.fixture
def faults(server, tmp_path):
    """The producer/consumer workspaces against an empty emulator holding only the state bucket."""
    server.reset()
    platform = emulator_platform(server.url)
    stacks = synthesize(FAULT_SPECS, platform, tmp_path)
    server.client("s3").create_bucket(Bucket=platform.state_bucket)
    return e2e.StackRunner(stacks, server.url, platform.state_bucket, step_timeout=300)


@pytest.mark.slow
def test_applying_a_workspace_before_the_one_it_reads_names_the_missing_workspace(faults):
    assert faults.init("consumer").ok
    result = faults.plan("consumer")
    assert not result.ok
    assert result.summary.startswith("consumer reads the outputs of producer, which has no state yet")
    assert result.summary.endswith("dev/producer/terraform.tfstate): apply producer first")


@pytest.mark.slow
def test_a_held_state_lock_fails_the_second_apply_clearly_and_leaves_the_state_intact(faults, server):
    for step in (faults.init, faults.plan, faults.apply):
        assert step("producer").ok
    s3, bucket, key = server.client("s3"), faults.state_bucket, "dev/producer/terraform.tfstate"
    state_before = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert faults.plan("producer").ok
    # What another apply holds while it runs: the lock object beside the state (use_lockfile).
    holder = {"ID": "5b0c9a1e-0000-4000-8000-000000000001", "Operation": "OperationTypeApply",
              "Who": "ci@other-runner", "Version": "1.11.4", "Created": "2026-01-01T00:00:00Z", "Path": f"{bucket}/{key}"}
    s3.put_object(Bucket=bucket, Key=f"{key}.tflock", Body=json.dumps(holder).encode())

    result = faults.apply("producer")
    assert not result.ok
    assert result.summary.startswith("the state of producer is locked by another run (OperationTypeApply by "
                                     "ci@other-runner since 2026-01-01 00:00:00")
    assert "lock ID 5b0c9a1e-0000-4000-8000-000000000001" in result.summary
    assert "terraform force-unlock 5b0c9a1e-0000-4000-8000-000000000001" in result.summary
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == state_before
    assert s3.get_object(Bucket=bucket, Key=f"{key}.tflock")["Body"].read() == json.dumps(holder).encode()

    # With a lock timeout, the apply waits for the other run to finish, then goes ahead.
    release = threading.Timer(5, lambda: s3.delete_object(Bucket=bucket, Key=f"{key}.tflock"))
    release.start()
    started = time.monotonic()
    try:
        waited = faults.apply("producer", lock_timeout="120s")
    finally:
        release.cancel()
    assert waited.ok, waited.summary
    assert time.monotonic() - started >= 5
    after = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert after["lineage"] == json.loads(state_before)["lineage"]
    assert [r["type"] for r in after["resources"]] == ["aws_ssm_parameter"]
    replan = faults.replan("producer")
    assert replan.ok and not replan.summary


@pytest.mark.slow
def test_the_emulator_decides_as_aws_where_moto_did_not(server):
    """toolkit/moto_launcher.py: the TLS-only bucket policy, logging set before the target's
    policy, a Cloud Map namespace's hosted zone, query logging to a log group's ARN, a Cognito
    custom domain's certificate, a CodeBuild project fed by its pipeline and deleted by ARN."""
    server.reset()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="app-dw-test-logs")
    s3.create_bucket(Bucket="app-dw-test-data")
    s3.put_bucket_policy(Bucket="app-dw-test-data", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:*"],
        "Resource": ["arn:aws:s3:::app-dw-test-data", "arn:aws:s3:::app-dw-test-data/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    s3.put_object(Bucket="app-dw-test-data", Key="state", Body=b"{}")
    assert s3.get_object(Bucket="app-dw-test-data", Key="state")["Body"].read() == b"{}"
    s3.put_bucket_logging(Bucket="app-dw-test-data", BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "app-dw-test-logs", "TargetPrefix": "s3/app-dw-test-data/"}})

    ec2, discovery, route53 = server.client("ec2"), server.client("servicediscovery"), server.client("route53")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    discovery.create_private_dns_namespace(Name="app-dw.test", Vpc=vpc)
    (namespace,) = discovery.list_namespaces()["Namespaces"]
    assert len(route53.list_hosted_zones()["HostedZones"]) == 1
    discovery.delete_namespace(Id=namespace["Id"])
    assert route53.list_hosted_zones()["HostedZones"] == []

    zone = route53.create_hosted_zone(Name="app-dw.test", CallerReference="test")["HostedZone"]["Id"]
    logs = server.client("logs")
    logs.create_log_group(logGroupName="/aws/route53/app-dw.test")
    group_arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]   # no ":*", as the provider's arn
    route53.create_query_logging_config(HostedZoneId=zone.split("/")[-1], CloudWatchLogsLogGroupArn=group_arn)
    (config,) = route53.list_query_logging_configs()["QueryLoggingConfigs"]
    assert config["CloudWatchLogsLogGroupArn"] == group_arn

    cognito = server.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="app-dw-test")["UserPool"]["Id"]
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/test"
    cognito.create_user_pool_domain(Domain="auth.app-dw.test", UserPoolId=pool,
                                    CustomDomainConfig={"CertificateArn": certificate})
    described = cognito.describe_user_pool_domain(Domain="auth.app-dw.test")["DomainDescription"]
    assert described["CustomDomainConfig"] == {"CertificateArn": certificate}

    codebuild = server.client("codebuild")
    project = codebuild.create_project(
        name="app-dw-test-build", source={"type": "CODEPIPELINE", "buildspec": "buildspec.yml"},
        artifacts={"type": "CODEPIPELINE"}, serviceRole="arn:aws:iam::123456789012:role/app-dw-test",
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"})
    codebuild.delete_project(name=project["project"]["arn"])
    assert codebuild.list_projects()["projects"] == []


@pytest.mark.slow
def test_a_subset_of_the_platform_applies_replans_clean_destroys_and_reports(tmp_path):
    """bootstrap, storage and network (which reads storage): the whole e2e cycle on the real
    workspaces, and the plan review report for them (the full run is `make e2e`)."""
    lines: list[str] = []
    result = e2e.run_e2e(load_platform(environment="dev"), tmp_path, workspaces=["network"],
                         progress=e2e.Progress(lines.append))
    log = "\n".join(lines)
    assert list(result.runs) == ["bootstrap", "storage", "network"], log
    failures = {name: run.failure().summary for name, run in result.runs.items() if run.failure()}
    assert not failures, log
    assert not result.leftovers, log
    for run in result.runs.values():
        assert list(run.steps) == ["init", "plan", "apply", "replan", "destroy"], run.name
    report = json.loads(result.report[1].read_text())
    assert [w["workspace"] for w in report["workspaces"]] == ["bootstrap", "storage", "network"]
    assert all(w["totals"]["create"] > 0 and not w["error"] for w in report["workspaces"])
    markdown = result.report[0].read_text()
    assert "### network" in markdown and "| aws_vpc " in markdown


def test_docs_list_every_emulator_flag_and_quirk():
    text = (Path(__file__).resolve().parent.parent / "docs" / "e2e.md").read_text()
    for flag in emulator.EMULATOR_LIMITS:
        assert f"| {flag} |" in text, flag
    for resource_type in emulator.EMULATOR_QUIRKS:
        assert f"| {resource_type} |" in text, resource_type


def test_a_replacement_passes_only_when_quirks_alone_force_it():
    def replace(resource_type: str, forcing: list[str]) -> dict:
        return {"address": f"{resource_type}.x", "mode": "managed", "type": resource_type,
                "change": {"actions": ["delete", "create"], "replace_paths": [[path] for path in forcing]}}

    unexpected, tolerated = e2e.unexpected_changes({"resource_changes": [
        replace("aws_ecs_service", ["capacity_provider_strategy"]),
        replace("aws_ecs_service", ["capacity_provider_strategy", "task_definition"])]})
    assert tolerated == ["aws_ecs_service.x (replaced for capacity_provider_strategy)"]
    assert unexpected == ["delete/create aws_ecs_service.x"]


def test_a_bucket_of_more_than_a_page_is_emptied_before_its_destroy(server):
    """The state bucket's access logs grow past one listing page (1000) in a full run; moto loses its
    place in a listing whose earlier page was deleted, so the bucket is listed from the start each time."""
    server.reset()
    s3 = server.client("s3")
    s3.create_bucket(Bucket="app-dw-test-many")
    s3.put_bucket_versioning(Bucket="app-dw-test-many", VersioningConfiguration={"Status": "Enabled"})
    for number in range(1003):
        s3.put_object(Bucket="app-dw-test-many", Key=f"log-{number}", Body=b"x")
    s3.delete_object(Bucket="app-dw-test-many", Key="log-0")  # a delete marker is a version too
    assert e2e.empty_bucket(server, "app-dw-test-many") == 1004
    assert "Versions" not in s3.list_object_versions(Bucket="app-dw-test-many")
    s3.delete_bucket(Bucket="app-dw-test-many")
