"""The e2e run against the local emulator: its target settings, its error messages, and the
fault cases (a workspace applied before what it reads; a state lock held by another run)."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from cdktf import App
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

from tests.lossy_proxy import LossyProxy
from tests.tf import only
from toolkit import e2e, emulator, moto_launcher
from toolkit.definition import DefinitionError, Platform, load_platform
from toolkit.diagnostics import explain
from toolkit.state import state_object
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

def test_tasks_wait_for_their_needs_and_are_skipped_after_a_failure():
    started: list[str] = []

    def action(name: str):
        return lambda: started.append(name) or name != "network"

    tasks = {"storage": e2e.Task(action("storage")),
             "network": e2e.Task(action("network"), needs={"storage"}, must_succeed={"storage"}),
             "edge": e2e.Task(action("edge"), needs={"network"}, must_succeed={"network"}),
             "cleanup": e2e.Task(action("cleanup"), needs={"edge", "network"}),   # runs whatever they did
             "ai": e2e.Task(action("ai"))}
    outcome = e2e.run_tasks(tasks, workers=2)
    assert outcome == {"storage": True, "network": False, "edge": None, "cleanup": True, "ai": True}
    assert started.index("storage") < started.index("network") < started.index("cleanup") and "edge" not in started


def test_the_longest_chain_starts_first():
    started: list[str] = []
    tasks = {"leaf": e2e.Task(lambda: started.append("leaf") or True),
             "root": e2e.Task(lambda: started.append("root") or True),
             "middle": e2e.Task(lambda: started.append("middle") or True, needs={"root"}),
             "top": e2e.Task(lambda: started.append("top") or True, needs={"middle"})}
    e2e.run_tasks(tasks, workers=1)
    assert started[:2] == ["root", "middle"]   # the leaf was ready first, but nothing waits for it


def test_the_chain_is_measured_in_expected_seconds(tmp_path):
    started: list[str] = []
    tasks = {"many": e2e.Task(lambda: started.append("many") or True, seconds=5),
             "then": e2e.Task(lambda: started.append("then") or True, needs={"many"}, seconds=5),
             "slow": e2e.Task(lambda: started.append("slow") or True, seconds=60)}
    e2e.run_tasks(tasks, workers=1)
    assert started[0] == "slow"

    times = e2e.StepTimes(tmp_path / "step-seconds.json")
    assert times.expected("destroy", "database") == e2e.StepTimes.GUESS["destroy"]
    run = e2e.WorkspaceRun("database", {step: e2e.StepResult("database", step, True, seconds)
                                        for step, seconds in (("init", 1), ("plan", 9), ("apply", 90), ("destroy", 101))})
    times.save({"database": run})
    again = e2e.StepTimes(tmp_path / "step-seconds.json")
    assert (again.expected("apply", "database"), again.expected("destroy", "database")) == (100, 101)
    assert again.expected("replan", "database") == e2e.StepTimes.GUESS["replan"]   # not run: still a guess


def test_the_state_bucket_is_ready_before_bootstraps_lifecycle_rules_are_confirmed():
    stack = {"resource": {"aws_s3_bucket": {"state": {}}, "aws_s3_bucket_versioning": {"state": {}},
                          "aws_s3_bucket_lifecycle_configuration": {"state": {}}}}

    def complete(resource_type: str) -> str:
        return json.dumps({"type": "apply_complete", "hook": {"resource": {"resource_type": resource_type}}})

    watch = e2e.StateBucketWatch(stack)
    watch(complete("aws_s3_bucket"))
    watch('{"type": "apply_start"}')
    assert not watch.ready.is_set()
    watch(complete("aws_s3_bucket_lifecycle_configuration"))
    assert not watch.ready.is_set()   # the rules nobody waits for do not count
    watch(complete("aws_s3_bucket_versioning"))
    assert watch.ready.is_set()


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
    assert explain("storage", output, {}) == (
        "creating S3 Bucket (x) [aws_s3_bucket.x]: operation error S3: CreateBucket, api error BucketAlreadyExists: taken")


def test_text_errors_are_read_too():
    output = "Initializing...\n\nError: Failed to get existing workspaces: S3 bucket \"state\" does not exist.\n\nmore\n"
    assert "apply bootstrap first" in explain("network", output, {})


def test_missing_and_expired_credentials_say_what_to_do():
    missing = diagnostic("No valid credential sources found", "Please see https://docs.aws.amazon.com/... "
                         "Error: failed to refresh cached credentials, no EC2 IMDS role found")
    assert explain("network", missing, {}).startswith("no AWS credentials were found: set AWS_PROFILE")
    expired = diagnostic("retrieving caller identity", "api error ExpiredToken: The security token included in "
                         "the request is expired")
    assert "sign in again" in explain("network", expired, {})


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
    return e2e.StackRunner(stacks, server.url, step_timeout=300)


@pytest.mark.slow
def test_applying_a_workspace_before_the_one_it_reads_names_the_missing_workspace(faults):
    assert faults.init("consumer").ok
    result, _ = faults.plan("consumer", e2e.PLAN_FILE)
    assert not result.ok
    assert result.summary.startswith("consumer reads the outputs of producer, which has no state yet")
    assert result.summary.endswith("dev/producer/terraform.tfstate): apply producer first")


@pytest.mark.slow
def test_a_held_state_lock_fails_the_second_apply_clearly_and_leaves_the_state_intact(faults, server):
    assert faults.init("producer").ok and faults.plan("producer", e2e.PLAN_FILE)[0].ok and faults.apply("producer").ok
    state = state_object(faults.stack("producer"))
    s3, bucket, key = server.client("s3"), state.bucket, state.key
    assert key == "dev/producer/terraform.tfstate"
    state_before = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert faults.plan("producer", e2e.PLAN_FILE)[0].ok
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
def test_the_emulator_answers_one_request_at_a_time_on_the_port_it_bound(server):
    """toolkit/moto_launcher.py: moto's backends have no locks, so concurrent requests (two
    Aurora clusters adding readers in the same millisecond) must not run side by side; and the
    port is the one the launcher bound and announced, not one picked before and taken since."""
    server.reset()
    assert emulator.announced_port(server.log_path) == server.port
    rds = server.client("rds")
    rds.create_db_cluster(DBClusterIdentifier="app-dw-test", Engine="aurora-postgresql",
                          MasterUsername="admin_user", MasterUserPassword="not-a-real-password")
    log_before = server.log_path.read_text().count("\n")
    failures: list[Exception] = []

    def add_instance(number: int) -> None:
        try:
            rds.create_db_instance(DBInstanceIdentifier=f"app-dw-test-{number}", DBClusterIdentifier="app-dw-test",
                                   DBInstanceClass="db.r6g.large", Engine="aurora-postgresql")
        except Exception as error:   # noqa: BLE001 - every failure is the finding
            failures.append(error)

    threads = [threading.Thread(target=add_instance, args=(number,)) for number in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    members = rds.describe_db_clusters(DBClusterIdentifier="app-dw-test")["DBClusters"][0]["DBClusterMembers"]
    assert sorted(m["IsClusterWriter"] for m in members) == [False] * 11 + [True]   # one writer, decided once

    spans = []   # (start, end) of each CreateDBInstance as the request log has it
    for line in server.log_path.read_text().splitlines()[log_before:]:
        if line.startswith("request ") and " CreateDBInstance " in line:
            fields = line.split()
            spans.append((float(fields[1]), float(fields[1]) + float(fields[-1].removesuffix("ms")) / 1000))
    assert len(spans) == 12
    spans.sort()
    assert all(end <= next_start + 0.0015 for (_, end), (next_start, _) in zip(spans, spans[1:]))   # log rounding


def create_twice_answered_once(server, action: str):
    """Creates what `action` makes through a proxy that loses moto's first answer to it; the
    client's SDK retries (botocore, as the provider's aws-sdk-go-v2, retries a lost answer for
    every operation). Returns what exists afterwards."""
    with LossyProxy(server.port, action) as proxy:
        def client(service: str):
            return boto3.client(service, endpoint_url=proxy.url, region_name="us-east-1",
                                aws_access_key_id=emulator.FAKE_ACCESS_KEY, aws_secret_access_key=emulator.FAKE_SECRET_KEY,
                                config=Config(retries={"mode": "standard", "max_attempts": 3}))
        if action == "AuthorizeSecurityGroupEgress":
            ec2 = client("ec2")
            vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
            proxy_sg, aurora_sg = (ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
                                   for name in ("haiku-rds-proxy-sg", "haiku-aurora-sg"))
            ec2.revoke_security_group_egress(GroupId=proxy_sg, IpPermissions=[   # as the provider does first
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            ec2.authorize_security_group_egress(GroupId=proxy_sg, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": aurora_sg}]}])
            made = [(r["IpProtocol"], r["FromPort"], r["ReferencedGroupInfo"]["GroupId"])
                    for r in ec2.describe_security_group_rules(
                        Filters=[{"Name": "group-id", "Values": [proxy_sg]}])["SecurityGroupRules"] if r["IsEgress"]]
            expected = [("tcp", 5432, aurora_sg)]
        else:
            rds = client("rds")
            rds.create_db_cluster(DBClusterIdentifier="app-dw-dev-haiku", Engine="aurora-postgresql",
                                  MasterUsername="admin_user", MasterUserPassword="not-a-real-password")
            rds.create_db_instance(DBInstanceIdentifier="app-dw-dev-haiku-2", DBClusterIdentifier="app-dw-dev-haiku",
                                   DBInstanceClass="db.r6g.large", Engine="aurora-postgresql")
            made = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
            expected = ["app-dw-dev-haiku-2"]
        assert proxy.dropped == 1
    return made, expected


@pytest.mark.slow
@pytest.mark.parametrize("action", ["AuthorizeSecurityGroupEgress", "CreateDBInstance"])
def test_a_retry_after_a_lost_answer_gets_the_answer_not_already_exists(server, action):
    """toolkit/moto_launcher.py: the CLI flow's InvalidPermission.Duplicate and the e2e run's
    DBInstanceAlreadyExists were the SDK's retry of a create whose answer was lost after moto had
    stored it. The retry (same invocation ID, attempt 2) is given the stored answer."""
    server.reset()
    lines_before = server.log_path.read_text().count("\n")
    made, expected = create_twice_answered_once(server, action)
    assert made == expected
    attempts = [line.split(f" {action} ")[1] for line in server.log_path.read_text().splitlines()[lines_before:]
                if line.startswith("request ") and f" {action} " in line]
    assert len(attempts) == 2   # moto did the work once; the retry was answered from the first answer
    assert attempts[0].split()[-2] == "200" and "attempt=" not in attempts[0]
    assert " attempt=2 replayed 200 " in attempts[1]


def ec2_query(server, body: str, invocation: str, attempt: int) -> int:
    """An EC2 query request as an SDK sends it (signature unchecked by moto); the HTTP status."""
    request = urllib.request.Request(server.url, data=f"{body}&Version=2016-11-15".encode(), method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "amz-sdk-invocation-id": invocation,
        "amz-sdk-request": f"attempt={attempt}; max=3",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.slow
def test_only_a_retry_of_a_successful_answer_is_answered_from_memory(server):
    """A retry after an error answer (a throttle, a 5xx, a refusal) runs again, as the SDK means it
    to; a first attempt is never answered from memory, even with an invocation ID seen before."""
    server.reset()
    create = "Action=CreateSecurityGroup&GroupName=app-dw-test&GroupDescription=test"
    assert ec2_query(server, create, "invocation-a", 1) == 200
    assert ec2_query(server, create, "invocation-a", 2) == 200          # lost answer: given again
    assert ec2_query(server, create, "invocation-b", 1) == 400          # a second create is refused
    assert ec2_query(server, create, "invocation-b", 2) == 400          # and its retry runs again
    assert ec2_query(server, create, "invocation-a", 1) == 400          # a new first attempt runs
    tails = [line.split(" CreateSecurityGroup")[1] for line in server.log_path.read_text().splitlines()
             if line.startswith("request ") and " CreateSecurityGroup" in line][-5:]
    assert [" ".join(tail.split()[:-1]) for tail in tails] == [
        "200", "attempt=2 replayed 200", "400", "attempt=2 400", "400"]


def test_the_answers_kept_for_retries_stay_within_their_budget(monkeypatch):
    monkeypatch.setattr(moto_launcher, "ANSWERED", moto_launcher.OrderedDict())
    monkeypatch.setattr(moto_launcher, "kept_bytes", 0)
    monkeypatch.setattr(moto_launcher, "ANSWER_BYTES_KEPT", 10)
    for invocation, body in (("a", b"1234"), ("b", b"1234"), ("a", b"12"), ("c", b"12345")):
        moto_launcher.keep(invocation, ("200 OK", [], body))
    assert list(moto_launcher.ANSWERED) == ["a", "c"] and moto_launcher.kept_bytes == 7   # b, the oldest, went


def test_the_run_reports_the_emulators_retries_and_server_errors(tmp_path):
    log = tmp_path / "moto.log"
    log.write_text("listening on 127.0.0.1:4999\n"
                   "request 1796144546.172 thread=1 CreateDBInstance app-dw-dev-haiku-1 200 6ms\n"
                   '127.0.0.1 - - [01/Dec/2026 17:02:26] "POST / HTTP/1.1" 200 -\n'
                   "request 1796144546.282 thread=1 CreateDBInstance app-dw-dev-haiku-1 attempt=2 replayed 200 0ms\n"
                   "request 1796144547.001 thread=2 CreateGuardrail 501 3ms\n"
                   "request 1796144547.301 thread=2 CreateGuardrail attempt=2 501 2ms\n")
    counts = emulator.request_counts(log)
    assert counts == emulator.RequestCounts(requests=4, retries=2, replayed=1, server_errors=2)
    assert str(counts) == ("emulator: 4 requests, 2 SDK retries (1 of an answer lost on the way, given it again), "
                           "2 server errors")


@pytest.mark.slow
def test_the_emulator_decides_as_aws_where_moto_did_not(server):
    """toolkit/moto_launcher.py: the TLS-only bucket policy, logging set before the target's
    policy, a Cloud Map namespace's hosted zone, query logging to a log group's ARN, a Cognito
    custom domain's certificate, a CodeBuild project fed by its pipeline and deleted by ARN, the
    description of a rule that names another security group."""
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

    alb = ec2.create_security_group(GroupName="alb", Description="ALB", VpcId=vpc)["GroupId"]
    api = ec2.create_security_group(GroupName="api", Description="API", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=api, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000,
        "UserIdGroupPairs": [{"GroupId": alb, "Description": "Allow traffic from ALB"}]}])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [api]}])["SecurityGroupRules"]
    (rule,) = [r for r in rules if not r["IsEgress"]]
    assert rule["Description"] == "Allow traffic from ALB"


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
