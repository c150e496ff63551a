"""The platform's own policy rules, cdk-nag style: small pure functions over the synthesized
JSON, each with an id and the reason it exists. `make scan` runs them beside checkov; they
check what checkov cannot know: this platform's spec.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Stacks = dict[str, dict]


@dataclass(frozen=True)
class Violation:
    rule: str
    workspace: str
    resource: str
    message: str


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    check: Callable[[Stacks], Iterator[tuple[str, str, str]]]  # (workspace, resource, message)


RULES: list[Rule] = []


def rule(rule_id: str, reason: str):
    def register(check):
        RULES.append(Rule(rule_id, reason, check))
        return check
    return register


def _resources(stacks: Stacks, resource_type: str) -> Iterator[tuple[str, str, dict]]:
    for workspace, stack in stacks.items():
        for name, body in stack.get("resource", {}).get(resource_type, {}).items():
            yield workspace, f"{resource_type}.{name}", body


def _bucket_refs(stacks: Stacks, resource_type: str) -> set[tuple[str, str]]:
    """(workspace, bucket logical id) pairs a bucket-scoped resource type points at."""
    found = set()
    for workspace, _, body in _resources(stacks, resource_type):
        bucket = str(body.get("bucket", ""))
        if bucket.startswith("${aws_s3_bucket."):
            found.add((workspace, bucket.split(".")[1]))
    return found


@rule("ADW-S3-1", "Every bucket is private, encrypted, versioned and TLS-only (spec: Security "
                  "Considerations; a bucket missing one guard is the usual data leak).")
def buckets_have_every_guard(stacks: Stacks):
    guards = {t: _bucket_refs(stacks, t) for t in (
        "aws_s3_bucket_public_access_block", "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning", "aws_s3_bucket_policy", "aws_s3_bucket_ownership_controls")}
    policies = {(w, str(b.get("bucket", "")).split(".")[1]): b.get("policy", "")
                for w, _, b in _resources(stacks, "aws_s3_bucket_policy") if "${aws_s3_bucket." in str(b.get("bucket"))}
    for workspace, resource, _ in _resources(stacks, "aws_s3_bucket"):
        logical = resource.split(".", 1)[1]
        for guard, covered in guards.items():
            if (workspace, logical) not in covered:
                yield workspace, resource, f"has no {guard}"
        if "aws:SecureTransport" not in policies.get((workspace, logical), ""):
            yield workspace, resource, "bucket policy does not deny requests without TLS"


@rule("ADW-LOG-1", "Log groups keep the spec's 7 days (Monitoring: log retention 7 days) and are "
                   "encrypted with the platform's logs key.")
def log_groups_follow_the_retention(stacks: Stacks):
    for workspace, resource, body in _resources(stacks, "aws_cloudwatch_log_group"):
        if body.get("retention_in_days") != 7:
            yield workspace, resource, f"retention_in_days is {body.get('retention_in_days')}, not 7"
        if not body.get("kms_key_id"):
            yield workspace, resource, "is not encrypted with a customer-managed key"


@rule("ADW-SG-1", "Every security-group rule says why it exists (spec: each rule has a Description).")
def security_group_rules_are_described(stacks: Stacks):
    for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"):
        for workspace, resource, body in _resources(stacks, kind):
            if not body.get("description"):
                yield workspace, resource, "has no description"


@rule("ADW-SG-2", "Only the ALB faces the internet, and only on 80 and 443 (spec: alb-sg inbound "
                  "rules; every other group admits traffic from other groups only).")
def only_the_alb_is_open_to_the_internet(stacks: Stacks):
    for workspace, resource, body in _resources(stacks, "aws_vpc_security_group_ingress_rule"):
        if body.get("cidr_ipv4") == "0.0.0.0/0" or body.get("cidr_ipv6") == "::/0":
            if body.get("from_port") not in (80, 443) or body.get("to_port") != body.get("from_port"):
                yield workspace, resource, f"opens port {body.get('from_port')} to the internet"


@rule("ADW-IAM-1", "IAM policies name their actions; a wildcard action grants what nobody reviewed.")
def no_wildcard_actions(stacks: Stacks):
    for kind in ("aws_iam_policy", "aws_iam_role_policy"):
        for workspace, resource, body in _resources(stacks, kind):
            try:
                document = json.loads(body.get("policy", "{}"))
            except json.JSONDecodeError:
                yield workspace, resource, "policy is not plain JSON (cannot be reviewed)"
                continue
            statements = document.get("Statement", [])
            for statement in statements if isinstance(statements, list) else [statements]:
                actions = statement.get("Action", [])
                for action in [actions] if isinstance(actions, str) else actions:
                    if statement.get("Effect") == "Allow" and (action == "*" or action.endswith(":*")):
                        yield workspace, resource, f"allows {action}"


@rule("ADW-SECRET-1", "No secret value leaves a workspace as an output (spec: Secrets management "
                      "with Secrets Manager); outputs hand out ARNs, never values.")
def outputs_carry_no_secret_values(stacks: Stacks):
    for workspace, stack in stacks.items():
        for name, output in stack.get("output", {}).items():
            value = json.dumps(output.get("value", ""))
            if "secret_string" in value or "aws_secretsmanager_random_password" in value or ".password" in value:
                yield workspace, f"output.{name}", "publishes a secret value"


@rule("ADW-ECS-1", "Containers run as a non-root user (spec-derived hardening; the images are built "
                   "non-root).")
def containers_are_not_root(stacks: Stacks):
    for workspace, resource, body in _resources(stacks, "aws_ecs_task_definition"):
        try:
            containers = json.loads(body.get("container_definitions", "[]"))
        except json.JSONDecodeError:
            yield workspace, resource, "container_definitions is not plain JSON"
            continue
        for container in containers:
            if str(container.get("user", "0")) in ("0", "root"):
                yield workspace, resource, f"container {container.get('name')} runs as root"


def evaluate(stacks: Stacks, rules: list[Rule] | None = None) -> list[Violation]:
    return [Violation(r.id, workspace, resource, message)
            for r in (rules or RULES) for workspace, resource, message in r.check(stacks)]
