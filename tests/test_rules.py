"""The platform rules: each catches what it names, and the platform breaks none."""
from __future__ import annotations

import json


from toolkit.definition import load_platform
from toolkit.rules import RULES, evaluate as evaluate_with

DEFINITION = load_platform(environment="dev").definition


def evaluate(stacks: dict):
    return evaluate_with(stacks, DEFINITION)


def ids(stacks: dict) -> list[tuple[str, str]]:
    return sorted((v.rule, v.resource) for v in evaluate(stacks))


def stack(**resources) -> dict:
    return {"resource": resources}


def test_the_synthesized_platform_breaks_no_rule_but_the_reviewed_skips(stacks):
    from toolkit.scan import Finding, judge, load_skips

    findings = [Finding(v.rule, v.message, v.workspace, v.resource, None, v.action) for v in evaluate(stacks)]
    failed, _, _ = judge(findings, load_skips())
    assert [(f.check, f.workspace, f.resource, f.title) for f in failed] == []


def test_every_rule_has_an_id_and_a_reason():
    assert len({r.id for r in RULES}) == len(RULES)
    assert all(len(r.reason) > 30 for r in RULES)


def test_a_bucket_missing_guards_is_named_for_each_one():
    found = ids({"storage": stack(aws_s3_bucket={"b": {"bucket": "x"}})})
    assert ("ADW-S3-1", "aws_s3_bucket.b") in found
    messages = [v.message for v in evaluate({"storage": stack(aws_s3_bucket={"b": {}})})]
    assert "has no aws_s3_bucket_public_access_block" in messages
    assert "bucket policy does not deny requests without TLS" in messages


def test_a_fully_guarded_bucket_passes():
    ref = "${aws_s3_bucket.b.id}"
    guards = {t: {"g": {"bucket": ref}} for t in (
        "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning", "aws_s3_bucket_ownership_controls")}
    policy = {"p": {"bucket": ref, "policy": json.dumps({"Condition": {"Bool": {"aws:SecureTransport": "false"}}})}}
    assert ids({"s": stack(aws_s3_bucket={"b": {}}, aws_s3_bucket_policy=policy, **guards)}) == []


def test_log_retention_other_than_the_configured_one_is_caught():
    groups = stack(aws_cloudwatch_log_group={"g": {"retention_in_days": 30, "kms_key_id": "k"}})
    found = evaluate({"m": groups})
    assert [(v.rule, v.message) for v in found] == [("ADW-LOG-1", "retention_in_days is 30, not 7")]
    thirty = DEFINITION.model_copy(update={"monitoring": DEFINITION.monitoring.model_copy(
        update={"log_retention_days": 30})})
    assert evaluate_with({"m": groups}, thirty) == []


def test_security_group_rules_need_descriptions_and_only_alb_ports_face_the_internet():
    rules = {"open": {"cidr_ipv4": "0.0.0.0/0", "from_port": 22, "to_port": 22, "description": "ssh"},
             "https": {"cidr_ipv4": "0.0.0.0/0", "from_port": 443, "to_port": 443, "description": "web"},
             "quiet": {"referenced_security_group_id": "x", "from_port": 8000, "to_port": 8000}}
    found = ids({"network": stack(aws_vpc_security_group_ingress_rule=rules)})
    assert found == [("ADW-SG-1", "aws_vpc_security_group_ingress_rule.quiet"),
                     ("ADW-SG-2", "aws_vpc_security_group_ingress_rule.open")]


def test_wildcard_actions_are_caught():
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b"},
                                       {"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    found = evaluate({"a": stack(aws_iam_policy={"p": {"policy": policy}})})
    assert [(v.rule, v.message) for v in found] == [("ADW-IAM-1", "allows s3:*")]


def test_secret_values_in_outputs_are_caught():
    stacks = {"auth": {"output": {
        "key": {"value": "${aws_secretsmanager_secret_version.k.secret_string}"},
        "key_arn": {"value": "${aws_secretsmanager_secret.k.arn}"}}}}
    assert ids(stacks) == [("ADW-SECRET-1", "output.key")]


def test_root_containers_are_caught():
    definitions = json.dumps([{"name": "app", "user": "1000"}, {"name": "sidecar"}])
    found = evaluate({"b": stack(aws_ecs_task_definition={"t": {"container_definitions": definitions}})})
    assert [v.message for v in found] == ["container sidecar runs as root"]


def test_a_service_principal_without_a_source_condition_is_caught():
    def log_policy(condition: dict | None) -> dict:
        statement = {"Sid": "Delivery", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
                     "Action": ["logs:PutLogEvents"], "Resource": ["arn:aws:logs:us-east-1:1:log-group:g:*"]}
        if condition:
            statement["Condition"] = condition
        return {"p": {"policy_name": "p", "policy_document": json.dumps({"Statement": [statement]})}}

    unbound = evaluate({"m": stack(aws_cloudwatch_log_resource_policy=log_policy(None))})
    assert [(v.rule, v.message) for v in unbound] == [
        ("ADW-IAM-5", "Delivery lets delivery.logs.amazonaws.com act without aws:SourceArn or aws:SourceAccount")]
    for condition in ({"StringEquals": {"aws:SourceAccount": "1"}}, {"ArnLike": {"AWS:SourceArn": "arn:aws:events:*"}},
                      {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:1:*"}}):
        assert evaluate({"m": stack(aws_cloudwatch_log_resource_policy=log_policy(condition))}) == []
