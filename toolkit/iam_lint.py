"""The IAM grammar lint: every policy document of the synthesized JSON through cfn-lint.

cfn-lint (AWS's CloudFormation linter) carries IAM's grammar as JSON schemas per kind of
document (identity, resource and trust policies), the service reference of every action,
resource type and condition key, refreshed with each weekly release, and checks ARNs against
the actions they are granted for. It reads CloudFormation, so each document is placed in a
small template as the property of the CloudFormation resource that holds the same kind of
document (a trust policy as a role's AssumeRolePolicyDocument, a bucket policy as a
BucketPolicy's PolicyDocument, ...), with `${...}` tokens replaced by values of their shape
(toolkit/iam_documents.py). It runs in its own environment, like checkov (docs/decisions.md).
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from toolkit.definition import REPO_ROOT
from toolkit.iam_documents import PolicyDocument, TokenResolver, documents

CFN_LINT = REPO_ROOT / ".venv-cfn-lint" / "bin" / "cfn-lint"

# Document kind or carrying resource type -> (CloudFormation type, policy property, other
# required properties). A resource type listed here is linted as its CloudFormation twin;
# other resource policies have no twin yet (the platform rule ADW-IAM-0 names them).
CARRIERS: dict[str, tuple[str, str, dict]] = {
    "trust": ("AWS::IAM::Role", "AssumeRolePolicyDocument", {}),
    "identity": ("AWS::IAM::ManagedPolicy", "PolicyDocument", {}),
    "aws_s3_bucket_policy": ("AWS::S3::BucketPolicy", "PolicyDocument", {"Bucket": "bucket"}),
    "aws_kms_key": ("AWS::KMS::Key", "KeyPolicy", {}),
    "aws_kms_key_policy": ("AWS::KMS::Key", "KeyPolicy", {}),
    "aws_cloudwatch_log_resource_policy": ("AWS::Logs::ResourcePolicy", "PolicyDocument", {"PolicyName": "policy"}),
    "aws_sns_topic_policy": ("AWS::SNS::TopicPolicy", "PolicyDocument", {"Topics": ["topic"]}),
    "aws_sqs_queue_policy": ("AWS::SQS::QueuePolicy", "PolicyDocument", {"Queues": ["queue"]}),
    "aws_ecr_repository_policy": ("AWS::ECR::Repository", "RepositoryPolicyText", {}),
    "aws_secretsmanager_secret_policy": ("AWS::SecretsManager::ResourcePolicy", "ResourcePolicy",
                                         {"SecretId": "secret"}),
}
STRING_PROPERTIES = {("AWS::Logs::ResourcePolicy", "PolicyDocument")}  # CloudFormation takes these as JSON text


@dataclass(frozen=True)
class LintFinding:
    check: str               # cfn-lint rule id, e.g. E3530
    level: str               # Error | Warning | Informational
    message: str
    document: PolicyDocument
    path: str                # where in the document, e.g. "Statement/0/Resource"


def carrier(document: PolicyDocument) -> tuple[str, str, dict] | None:
    if document.kind in ("trust", "identity"):
        return CARRIERS[document.kind]
    if document.kind == "resource":
        return CARRIERS.get(document.carrier)
    return None


def templates(stacks: dict[str, dict], found: list[PolicyDocument]) -> dict[str, tuple[dict, dict[str, PolicyDocument]]]:
    """{workspace: (CloudFormation template, {template logical id: document})}."""
    resolver = TokenResolver(stacks)
    result: dict[str, tuple[dict, dict[str, PolicyDocument]]] = {}
    for document in found:
        twin = carrier(document)
        if twin is None:
            continue
        cfn_type, policy_property, required = twin
        template, index = result.setdefault(document.workspace, (
            {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}, {}))
        logical = f"Document{len(index):04d}"
        resolved = resolver.resolve(document.document, document.workspace)
        value = json.dumps(resolved) if (cfn_type, policy_property) in STRING_PROPERTIES else resolved
        template["Resources"][logical] = {"Type": cfn_type, "Properties": {**required, policy_property: value}}
        index[logical] = document
    return result


def run_cfn_lint(paths: list[Path], region: str) -> list[dict]:
    if not CFN_LINT.exists():
        raise FileNotFoundError(f"cfn-lint is not installed at {CFN_LINT}: run `make setup`")
    completed = subprocess.run(
        [str(CFN_LINT), "--format", "json", "--regions", region, "--include-checks", "I", "--", *map(str, paths)],
        capture_output=True, text=True)
    # Exit codes are a bit mask of the levels found (2 error, 4 warning, 8 informational); 1 is a crash.
    if completed.returncode & 1 or not completed.stdout.strip().startswith("["):
        raise RuntimeError(f"cfn-lint failed (exit {completed.returncode}): {completed.stderr.strip()[-500:]}")
    return json.loads(completed.stdout)


def lint(stacks: dict[str, dict], region: str = "us-east-1",
         found: list[PolicyDocument] | None = None) -> tuple[list[PolicyDocument], list[LintFinding]]:
    """Every document found, and what cfn-lint says of them."""
    found = documents(stacks) if found is None else found
    built = templates(stacks, found)
    findings = []
    with tempfile.TemporaryDirectory(prefix="iam-lint-") as directory:
        paths = {}
        for workspace, (template, _) in built.items():
            path = Path(directory) / f"{workspace}.json"
            path.write_text(json.dumps(template, indent=1))
            paths[str(path)] = workspace
        results = run_cfn_lint(list(map(Path, paths)), region) if paths else []
    for result in results:
        workspace = paths[result["Filename"]]
        location = result["Location"]["Path"]
        # ["Resources", logical, "Properties", property, ...]: only what concerns the document itself.
        if len(location) < 4 or location[0] != "Resources" or location[2] != "Properties":
            continue
        template, index = built[workspace]
        document = index[location[1]]
        if location[3] != carrier(document)[1]:
            continue
        findings.append(LintFinding(result["Rule"]["Id"], result["Level"], result["Message"], document,
                                    "/".join(str(part) for part in location[4:])))
    return found, findings
