"""IAM as IAM reads it: every policy document of the platform found, linted with cfn-lint and
the platform's IAM rules, and every trust policy checked; bad documents are refused."""
from __future__ import annotations

import json

import pytest

from building_blocks.iam import Statement, TrustStatement, assumed_by_service, policy_document
from toolkit.definition import load_platform
from toolkit.iam_documents import ACCOUNT, TokenResolver, documents, render_policy_document
from toolkit.iam_lint import lint
from toolkit.rules import evaluate
from toolkit.scan import Finding, judge, load_skips

DEFINITION = load_platform(environment="dev").definition
ROLE = {"name": "r"}


def trust(**statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
         **statement}]})


def identity(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_every_role_lets_a_principal_assume_it_and_names_no_resource(stacks):
    roles = [(workspace, name, body) for workspace, stack in stacks.items()
             for name, body in stack.get("resource", {}).get("aws_iam_role", {}).items()]
    assert len(roles) == 38
    for workspace, name, body in roles:
        for statement in json.loads(body["assume_role_policy"])["Statement"]:
            where = f"{workspace} {name}"
            assert statement["Effect"] == "Allow", where
            assert statement["Action"] == ["sts:AssumeRole"], where
            assert set(statement["Principal"]) == {"Service"} and statement["Principal"]["Service"].endswith(
                ".amazonaws.com"), where
            assert not {"Resource", "NotResource", "NotPrincipal", "NotAction"} & set(statement), where


def test_every_policy_document_of_the_platform_is_found(stacks):
    found = documents(stacks)
    holders = {(d.workspace, d.resource, d.attribute) for d in found}
    for workspace, stack in stacks.items():
        for kind, attribute in (("aws_iam_role", "assume_role_policy"), ("aws_iam_role_policy", "policy"),
                                ("aws_iam_policy", "policy"), ("aws_s3_bucket_policy", "policy"),
                                ("aws_kms_key", "policy"),
                                ("aws_cloudwatch_log_resource_policy", "policy_document")):
            for name in stack.get("resource", {}).get(kind, {}):
                assert (workspace, f"{kind}.{name}", attribute) in holders
    assert {d.kind for d in found} == {"trust", "identity", "resource"}
    assert len(found) == 96  # and the state access-log bucket's; a media bucket per media site, not one shared


def test_the_platform_passes_the_iam_lint_but_for_reviewed_skips(stacks):
    found, findings = lint(stacks)
    assert len(found) == 96  # and the state access-log bucket's; a media bucket per media site, not one shared
    failed, skipped, _ = judge([Finding(f.check, f.message, f.document.workspace, f.document.resource, None)
                                for f in findings], load_skips())
    assert [(f.check, f.workspace, f.resource, f.title) for f in failed] == []
    # The one accepted finding: the connection's ARN keeps its codestar-connections prefix.
    assert {f.check for f in skipped} <= {"I3510"}


def test_the_lint_refuses_a_bad_document_of_each_kind():
    """One cfn-lint run over a workspace of broken documents, each refused by the check named."""
    bad = {
        "trust-with-resource": ("aws_iam_role", {"assume_role_policy": trust(Resource=["*"])}, "E3530"),
        "unknown-action": ("aws_iam_role_policy", {"policy": identity(
            {"Effect": "Allow", "Action": ["s3:GetObjct"], "Resource": ["arn:aws:s3:::b/*"]})}, "W3037"),
        "not-an-arn": ("aws_iam_policy", {"policy": identity(
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["bucket/key"]})}, "E3510"),
        "no-effect": ("aws_iam_role_policy", {"policy": identity(
            {"Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]})}, "E3510"),
        "arn-of-another-service": ("aws_iam_role_policy", {"policy": identity(
            {"Effect": "Allow", "Action": ["s3:GetObject"],
             "Resource": ["${aws_kms_key.key.arn}"]})}, "I3510"),
        "bucket-policy-without-principal": ("aws_s3_bucket_policy", {"bucket": "b", "policy": identity(
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]})}, "E3512"),
    }
    good = {"good-trust": ("aws_iam_role", {"assume_role_policy": trust()}),
            "good-policy": ("aws_iam_role_policy", {"policy": identity(
                {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["${aws_kms_key.key.arn}"]})})}
    resources: dict[str, dict] = {"aws_kms_key": {"key": {"description": "k"}}}
    for name, (kind, body, *_) in {**bad, **good}.items():
        resources.setdefault(kind, {})[name] = body
    _, findings = lint({"w": {"resource": resources}})
    caught = {}
    for finding in findings:
        caught.setdefault(finding.document.resource.split(".")[1], set()).add(finding.check)
    for name, (_, _, check) in bad.items():
        assert check in caught.get(name, set()), f"{name}: {caught.get(name)}"
    assert not {name: caught[name] for name in good if name in caught}


def rule_ids(resources: dict) -> list[tuple[str, str]]:
    return sorted((v.rule, v.action) for v in evaluate({"w": {"resource": resources}}, DEFINITION))


@pytest.mark.parametrize("resources, expected", [
    ({"aws_iam_role": {"r": {"assume_role_policy": trust(Resource=["*"])}}}, [("ADW-IAM-2", "")]),
    ({"aws_iam_role": {"r": {"assume_role_policy": trust(Principal={"AWS": "*"})}}}, [("ADW-IAM-2", "")]),
    ({"aws_iam_role": {"r": {"assume_role_policy": trust(Action=["sts:AssumeRole", "s3:GetObject"])}}},
     [("ADW-IAM-2", "s3:GetObject")]),
    ({"aws_iam_role": {"r": {"assume_role_policy": json.dumps({"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole"}]})}}}, [("ADW-IAM-2", "")]),
    ({"aws_iam_role_policy": {"p": {"policy": identity(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"})}}}, [("ADW-IAM-1", "s3:*")]),
    ({"aws_s3_bucket_policy": {"p": {"policy": identity(
        {"Effect": "Allow", "Action": "*", "Principal": {"AWS": "arn:aws:iam::1:root"},
         "Resource": "arn:aws:s3:::b"})}}}, [("ADW-IAM-3", "*")]),
    ({"aws_iam_role_policy": {"p": {"policy": identity(
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "ecr:GetAuthorizationToken"],
         "Resource": "*"})}}}, [("ADW-IAM-4", "s3:PutObject")]),
    ({"aws_sqs_queue_policy": {"q": {"policy": identity(
        {"Effect": "Allow", "Action": ["sqs:Get*", "sqs:Send*"], "Principal": {"Service": "sns.amazonaws.com"},
         "Resource": "*", "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"}}})}}},
     [("ADW-IAM-4", "sqs:Send*")]),
    ({"aws_sns_topic": {"t": {"policy": identity(
        {"Effect": "Allow", "Action": "sns:Publish", "Principal": {"Service": "events.amazonaws.com"},
         "Resource": "arn:aws:sns:us-east-1:1:t"})}}}, [("ADW-IAM-0", "")]),
])
def test_each_iam_rule_refuses_its_bad_document(resources, expected):
    assert rule_ids(resources) == expected


def test_a_key_policy_may_name_every_resource_it_means_the_key():
    key_policy = identity({"Effect": "Allow", "Action": ["kms:*"], "Principal": {"AWS": "arn:aws:iam::1:root"},
                           "Resource": "*"})
    assert rule_ids({"aws_kms_key": {"k": {"policy": key_policy}}}) == []


def test_skips_can_be_scoped_to_actions():
    skips = load_skips()
    finding = Finding("ADW-IAM-4", "x", "ai", "aws_iam_policy.policy-polly", None, "polly:SynthesizeSpeech")
    assert judge([finding], skips)[0] == []
    other = Finding("ADW-IAM-4", "x", "ai", "aws_iam_policy.policy-polly", None, "polly:PutLexicon")
    assert judge([other], skips)[0] == [other]


def test_tokens_become_arns_of_their_resource_followed_across_workspaces(stacks):
    resolver = TokenResolver(stacks)
    backend = "lang-portal-backend"
    data_key = "${data.terraform_remote_state.remote-storage.outputs.kms_key_arn_data}"
    assert resolver.resolve(data_key, backend).startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    connect = "${data.terraform_remote_state.remote-database.outputs.db_iam_connect_arn_lang_portal}"
    assert resolver.resolve(connect, backend) == (
        f"arn:aws:rds-db:us-east-1:{ACCOUNT}:dbuser:prx-app-dw-dev-lang-portal/lang_portal_app")
    media = "${data.terraform_remote_state.remote-lang-portal-frontend.outputs.media_bucket_arn}/lang-portal/*"
    assert resolver.resolve(media, backend) == "arn:aws:s3:::app-dw-dev-lang-portal-media/lang-portal/*"


def test_policy_document_data_sources_are_rendered_and_take_the_kind_of_their_user():
    data = {"statement": [{"effect": "Allow", "actions": ["sts:AssumeRole"],
                           "principals": [{"type": "Service", "identifiers": ["ecs-tasks.amazonaws.com"]}],
                           "condition": [{"test": "StringEquals", "variable": "aws:SourceAccount",
                                          "values": ["1"]}]}]}
    assert render_policy_document(data)["Statement"] == [{
        "Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"Service": ["ecs-tasks.amazonaws.com"]},
        "Condition": {"StringEquals": {"aws:SourceAccount": ["1"]}}}]
    stack = {"data": {"aws_iam_policy_document": {"trust": data}},
             "resource": {"aws_iam_role": {"r": {"assume_role_policy": "${data.aws_iam_policy_document.trust.json}"}}}}
    (document,) = documents({"w": stack})
    assert (document.kind, document.resource, document.attribute) == (
        "trust", "data.aws_iam_policy_document.trust", "assume_role_policy")


def test_statements_name_their_resources_and_trust_statements_none():
    with pytest.raises(TypeError):
        Statement(actions=["s3:GetObject"])  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="names no resource"):
        Statement(actions=["s3:GetObject"], resources=[])
    rendered = json.loads(assumed_by_service("rds.amazonaws.com"))["Statement"]
    assert rendered == [{"Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"Service": "rds.amazonaws.com"}}]
    assert "Resource" not in json.loads(policy_document(TrustStatement({"AWS": "arn:aws:iam::1:root"})))["Statement"][0]
