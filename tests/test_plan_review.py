"""`plan` and `drift` against the emulator, inside one e2e run of bootstrap, storage and network
(the whole cycle: apply, re-plan clean, the checks below while everything is applied, destroy,
nothing left). The checks run in the run's `while_applied` hook; the tests read what they found.

- plan: the definition changed (a NAT gateway per zone, another application title, longer log
  retention) shows the updates, what needs attention and the cost difference; a workspace whose
  upstream was never applied is reported with its reason while the others are planned;
- drift: nothing drifted right after the apply; a bucket tag and a security group rule changed
  with boto3 behind Terraform's back are both named; a workspace never applied is reported as such.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from toolkit import drift, e2e, plan, prices
from toolkit.definition import DEFAULT_DEFINITION, load_platform
from toolkit.synth import synthesize

HOURS = 730
TAG = {"Key": "changed-by", "Value": "hand"}


def changed_definition(directory: Path) -> Path:
    """platform.toml with three values changed: dev gets a NAT gateway per zone, Haiku another
    title in the security-group rule descriptions, and every log group 14 days instead of 7."""
    text = DEFAULT_DEFINITION.read_text()
    text, nat = re.subn(r'(\[environments\.dev\]\n[^\[]*?nat_gateways = )"single"', r'\1"per_az"', text)
    text, title = re.subn(r'application_titles = \{ haiku = "Haiku Generator" \}',
                          'application_titles = { haiku = "Haiku Poems" }', text)
    text, retention = re.subn(r"^log_retention_days = 7 ", "log_retention_days = 14 ", text, flags=re.MULTILINE)
    assert nat == title == retention == 1, "platform.toml changed shape: update this test's edits"
    path = directory / "platform.toml"
    path.write_text(text)
    return path


def state_of(server, runner, workspace: str) -> dict:
    return e2e.workspace_state(server, runner.stack(workspace))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("plan-review")
    found: dict = {}

    def checks(runner, server):
        with e2e.emulator_target(server.url):
            target = load_platform(environment="dev")
            changed = load_platform(changed_definition(outdir), environment="dev")
            changed_stacks = synthesize(changed, outdir / "changed", use_cache=False).outdir / "stacks"
        stacks = runner.stacks_dir
        found["unchanged"] = plan.run_plans(target, stacks, ["storage", "network", "auth"])
        found["changed"] = plan.run_plans(changed, changed_stacks, ["network"])
        found["in sync"] = drift.check(target, stacks, ["storage", "network", "edge"])
        # Behind Terraform's back: a tag on the log bucket, the HTTPS rule of the ALB opened wider.
        bucket = next(b["bucket"] for b in e2e.managed(state_of(server, runner, "storage"), "aws_s3_bucket")
                      if "access-logs" in b["bucket"])
        s3 = server.client("s3")
        tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags + [TAG]})
        rule = next(r for r in e2e.managed(state_of(server, runner, "network"), "aws_vpc_security_group_ingress_rule")
                    if r.get("cidr_ipv4") and r.get("from_port") == 443)
        server.client("ec2").modify_security_group_rules(GroupId=rule["security_group_id"], SecurityGroupRules=[{
            "SecurityGroupRuleId": rule["security_group_rule_id"], "SecurityGroupRule": {
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIpv4": "203.0.113.0/24",
                "Description": rule.get("description") or ""}}])
        found["changed outside"] = drift.check(target, stacks, ["storage", "network"])
        found["bucket"], found["rule"] = bucket, rule

    lines: list[str] = []
    result = e2e.run_e2e(load_platform(environment="dev"), outdir, workspaces=["network"],
                         progress=e2e.Progress(lines.append), while_applied=checks)
    return result, found, "\n".join(lines)


@pytest.mark.slow
def test_the_subset_applies_replans_clean_destroys_and_reports(run):
    result, found, log = run
    assert list(result.runs) == ["bootstrap", "storage", "network"], log
    failures = {name: r.failure().summary for name, r in result.runs.items() if r.failure()}
    assert not failures, log
    assert not result.leftovers, log
    for workspace in result.runs.values():
        assert list(workspace.steps) == ["init", "plan", "apply", "replan", "destroy"], workspace.name
    report = json.loads(result.report[1].read_text())
    assert [w["workspace"] for w in report["workspaces"]] == ["bootstrap", "storage", "network"]
    assert all(w["totals"]["create"] > 0 and not w["error"] for w in report["workspaces"])
    network = report["workspaces"][2]
    assert network["cost"]["past_total_monthly_cost"] == 0 and network["cost"]["total_monthly_cost"] > 0
    assert {a["rule"] for a in network["attention"]} >= {"security-group", "iam"}
    markdown = result.report[0].read_text()
    assert "### network" in markdown and "| aws_vpc " in markdown and "Needs attention:" in markdown
    assert set(found) >= {"unchanged", "changed", "in sync", "changed outside"}, log


@pytest.mark.slow
def test_a_workspace_whose_upstream_was_never_applied_is_reported_while_the_others_are_planned(run):
    _, found, log = run
    storage, network, auth = found["unchanged"]
    assert not storage.error and not network.error, log
    assert storage.totals() == {"create": 0, "update": 0, "replace": 0, "destroy": 0}
    assert storage.plan_file and storage.plan_file.name == plan.PLAN_FILE
    assert auth.error.startswith("auth reads the outputs of edge, which has no state yet"), auth.error
    assert auth.error.endswith("dev/edge/terraform.tfstate): apply edge first")


@pytest.mark.slow
def test_a_changed_definition_shows_the_update_the_attention_and_the_cost(run):
    _, found, log = run
    (network,) = found["changed"]
    assert not network.error, network.error
    totals = network.totals()
    assert totals["create"] >= 4 and totals["update"] >= 2 and totals["destroy"] == 0, totals   # 2 NAT + 2 EIP
    flagged = {(a.rule, a.address.split(".")[0]) for a in network.attention}
    assert ("security-group", "aws_vpc_security_group_ingress_rule") in flagged, network.attention
    table = prices.load_prices()
    usage = load_platform(environment="dev").usage
    extra_nat = 2 * HOURS * (table["nat_gateway_hour"].usd + table["public_ipv4_hour"].usd)
    longer_logs = usage.log_ingestion_gb_per_group * (14 - 7) / (HOURS / 24) * table["logs_storage_gb_month"].usd
    assert network.cost.difference == pytest.approx(extra_nat + longer_logs, abs=0.01)
    assert any(line.address.startswith("aws_nat_gateway.") and line.before == 0 for line in network.cost.lines)


@pytest.mark.slow
def test_drift_finds_nothing_right_after_the_apply_and_says_what_was_never_applied(run):
    _, found, log = run
    statuses = {r.workspace: (r.status, r.drift) for r in found["in sync"]}
    assert statuses == {"storage": ("in sync", []), "network": ("in sync", []), "edge": ("not applied", [])}, log
    assert drift.exit_code(found["in sync"]) == 0


@pytest.mark.slow
def test_drift_names_a_tag_and_a_rule_changed_behind_terraforms_back(run):
    _, found, log = run
    storage, network = found["changed outside"]
    assert storage.status == network.status == "drifted", log
    (tag,) = [d for d in storage.drift if d.attribute == "tags.changed-by"]
    assert tag.address.startswith("aws_s3_bucket.") and (tag.in_state, tag.now) == ("(absent)", "hand")
    (rule,) = [d for d in network.drift if d.attribute == "cidr_ipv4"]
    assert rule.address.startswith("aws_vpc_security_group_ingress_rule.")
    assert (rule.in_state, rule.now) == (found["rule"]["cidr_ipv4"], "203.0.113.0/24")
    assert drift.exit_code(found["changed outside"]) == drift.EXIT_DRIFTED
    rendered = drift.render(found["changed outside"])
    assert "tags.changed-by" in rendered and "203.0.113.0/24" in rendered


def test_a_workspace_planned_without_aws_credentials_says_how_to_give_them(synth, tmp_path):
    """Against AWS with no credentials anywhere: the S3 backend's init fails before any request
    (the endpoint is a closed loopback port all the same) and the report says what to do."""
    import shutil

    from toolkit.terraform import terraform_env

    shutil.copytree(synth.outdir / "stacks" / "storage", tmp_path / "stacks" / "storage",
                    ignore=shutil.ignore_patterns(".terraform*"))
    env = {name: value for name, value in terraform_env().items() if not name.startswith("AWS_")}
    env.update(AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_ENDPOINT_URL="http://127.0.0.1:9")
    (storage,) = plan.run_plans(load_platform(environment="dev"), tmp_path / "stacks", ["storage"], env=env)
    assert storage.error.startswith("no AWS credentials were found: set AWS_PROFILE"), storage.error
