"""The platform's own policy rules, cdk-nag style: small pure functions over the synthesized
JSON and the platform definition, each with an id and the reason it exists. `make scan` runs
them beside checkov and the IAM lint; they check what those cannot know (this platform's spec)
or miss (IAM rules the grammar allows). A violation fails the scan unless a reviewed skip
(toolkit/scan_skips.toml, toolkit/iam_skips.toml) covers it, as checkov's findings do.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from toolkit.definition import PlatformDefinition
from toolkit.iam_documents import PolicyDocument, as_list, documents

Stacks = dict[str, dict]
# What a check yields: (workspace, resource, message), or with the IAM action it concerns.
Found = tuple[str, str, str] | tuple[str, str, str, str]


@dataclass(frozen=True)
class Violation:
    rule: str
    workspace: str
    resource: str
    message: str
    action: str = ""         # the IAM action a violation concerns, for skips scoped to actions


@dataclass(frozen=True)
class Rule:
    id: str
    reason: str
    check: Callable[[Stacks, PlatformDefinition], Iterator[Found]]


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
def buckets_have_every_guard(stacks: Stacks, definition: PlatformDefinition):
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


@rule("ADW-LOG-1", "Log groups keep the configured retention (monitoring.log_retention_days; the spec: "
                   "7 days) and are encrypted with the platform's logs key.")
def log_groups_follow_the_retention(stacks: Stacks, definition: PlatformDefinition):
    retention = definition.monitoring.log_retention_days
    for workspace, resource, body in _resources(stacks, "aws_cloudwatch_log_group"):
        if body.get("retention_in_days") != retention:
            yield workspace, resource, f"retention_in_days is {body.get('retention_in_days')}, not {retention}"
        if not body.get("kms_key_id"):
            yield workspace, resource, "is not encrypted with a customer-managed key"


@rule("ADW-SG-1", "Every security-group rule says why it exists (spec: each rule has a Description).")
def security_group_rules_are_described(stacks: Stacks, definition: PlatformDefinition):
    for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"):
        for workspace, resource, body in _resources(stacks, kind):
            if not body.get("description"):
                yield workspace, resource, "has no description"


@rule("ADW-SG-2", "Only the ALB faces the internet, and only on 80 and 443 (spec: alb-sg inbound "
                  "rules; every other group admits traffic from other groups only).")
def only_the_alb_is_open_to_the_internet(stacks: Stacks, definition: PlatformDefinition):
    for workspace, resource, body in _resources(stacks, "aws_vpc_security_group_ingress_rule"):
        if body.get("cidr_ipv4") == "0.0.0.0/0" or body.get("cidr_ipv6") == "::/0":
            if body.get("from_port") not in (80, 443) or body.get("to_port") != body.get("from_port"):
                yield workspace, resource, f"opens port {body.get('from_port')} to the internet"


# --- IAM ---------------------------------------------------------------------------------

ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML",
                  "sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext")
# IAM's access levels by the verb an action starts with: these only read. Anything else writes
# (or manages permissions, or tags), which on "Resource": "*" reaches every resource of the account.
READ_VERBS = ("Get", "List", "Describe", "BatchGet", "Head", "Search", "Lookup", "View", "Query", "Scan")


def _allows(statement: dict) -> bool:
    return statement.get("Effect") == "Allow"


def _where(document: PolicyDocument) -> str:
    return document.resource if document.attribute in ("policy", "json") else f"{document.resource}.{document.attribute}"


def _documents(stacks: Stacks, *kinds: str) -> Iterator[PolicyDocument]:
    return (d for d in documents(stacks) if not kinds or d.kind in kinds)


@rule("ADW-IAM-0", "Every IAM document sits where the IAM lint knows what it is (trust, identity or a resource "
                   "policy it can lint); a document in an attribute nobody named would go unlinted.")
def iam_documents_are_known(stacks: Stacks, definition: PlatformDefinition):
    from toolkit.iam_lint import carrier

    for document in _documents(stacks):
        if carrier(document) is None:
            yield (document.workspace, _where(document),
                   f"holds a {document.kind} policy in {document.attribute} that the IAM lint has no template for "
                   "(add it to POLICY_ATTRIBUTES and CARRIERS)")


@rule("ADW-IAM-1", "IAM policies name their actions; a wildcard action grants what nobody reviewed.")
def no_wildcard_actions(stacks: Stacks, definition: PlatformDefinition):
    for document in _documents(stacks, "identity"):
        for statement in document.statements():
            for action in as_list(statement.get("Action")):
                if _allows(statement) and (action == "*" or action.endswith(":*")):
                    yield document.workspace, _where(document), f"allows {action}", action
            if _allows(statement) and "NotAction" in statement:
                yield document.workspace, _where(document), "allows everything but NotAction"


@rule("ADW-IAM-2", "A trust policy names who may assume the role (a Principal, never everyone), lets them only "
                   "assume it, and has no Resource: IAM refuses a trust policy with one (MalformedPolicyDocument), "
                   "which the emulator accepts.")
def trust_policies_are_trust_policies(stacks: Stacks, definition: PlatformDefinition):
    for document in _documents(stacks, "trust"):
        where = _where(document)
        for index, statement in enumerate(document.statements()):
            label = statement.get("Sid") or f"statement {index}"
            for element in ("Resource", "NotResource", "NotPrincipal", "NotAction"):
                if element in statement:
                    yield document.workspace, where, f"{label} has {element}"
            principal = statement.get("Principal")
            if not principal:
                yield document.workspace, where, f"{label} names no Principal"
            elif principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS"))):
                yield document.workspace, where, f"{label} lets anyone assume the role"
            actions = as_list(statement.get("Action"))
            if not actions:
                yield document.workspace, where, f"{label} has no assume action"
            for action in actions:
                if action not in ASSUME_ACTIONS:
                    yield document.workspace, where, f"{label} allows {action}, which is no assume action", action


@rule("ADW-IAM-3", "No statement of any policy (identity, resource or trust) allows \"Action\": \"*\".")
def no_statement_allows_every_action(stacks: Stacks, definition: PlatformDefinition):
    for document in _documents(stacks):
        for statement in document.statements():
            if _allows(statement) and "*" in as_list(statement.get("Action")):
                yield document.workspace, _where(document), "allows every action (\"*\")", "*"


def _writes(action: str) -> bool:
    """Whether the action (or any action a wildcard covers) writes: "s3:Get*" reads, "s3:*" writes."""
    return not action.split(":", 1)[-1].startswith(READ_VERBS)


@rule("ADW-IAM-4", "A write on \"Resource\": \"*\" reaches every resource of the account: scope it, unless AWS "
                   "has no resource-level permission for the action (then the reviewed skip says so). Key policies "
                   "are exempt: there \"*\" is the key itself.")
def no_writes_on_every_resource(stacks: Stacks, definition: PlatformDefinition):
    for document in _documents(stacks, "identity", "resource"):
        if document.is_key_policy:
            continue
        for statement in document.statements():
            if _allows(statement) and "*" in as_list(statement.get("Resource")):
                for action in as_list(statement.get("Action")):
                    if _writes(action):
                        yield document.workspace, _where(document), f"allows {action} on every resource", action


# Condition keys that bind a service principal to this account's own resources.
CONFUSED_DEPUTY_KEYS = ("aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid")


def _binds_the_caller(statement: dict) -> bool:
    keys = {key.lower() for operator in (statement.get("Condition") or {}).values() for key in operator}
    # A KMS encryption-context condition naming this account's resources binds a key's use as well
    # (CloudWatch Logs, whose documented guard for key policies it is).
    return bool(keys & set(CONFUSED_DEPUTY_KEYS)) or any(k.startswith("kms:encryptioncontext:") for k in keys)


@rule("ADW-IAM-5", "A resource policy that lets an AWS service act says on whose behalf (aws:SourceArn or "
                   "aws:SourceAccount): without it, the service can be made to act here for any account's "
                   "resource (the confused deputy).")
def service_principals_are_bound_to_the_source(stacks: Stacks, definition: PlatformDefinition):
    for document in _documents(stacks, "resource"):
        for index, statement in enumerate(document.statements()):
            principal = statement.get("Principal")
            if _allows(statement) and isinstance(principal, dict) and "Service" in principal \
                    and not _binds_the_caller(statement):
                services = ", ".join(as_list(principal["Service"]))
                yield (document.workspace, _where(document),
                       f"{statement.get('Sid') or f'statement {index}'} lets {services} act without "
                       "aws:SourceArn or aws:SourceAccount")


@rule("ADW-SECRET-1", "No secret value leaves a workspace as an output (spec: Secrets management "
                      "with Secrets Manager); outputs hand out ARNs, never values.")
def outputs_carry_no_secret_values(stacks: Stacks, definition: PlatformDefinition):
    for workspace, stack in stacks.items():
        for name, output in stack.get("output", {}).items():
            value = json.dumps(output.get("value", ""))
            if "secret_string" in value or "aws_secretsmanager_random_password" in value or ".password" in value:
                yield workspace, f"output.{name}", "publishes a secret value"


@rule("ADW-ECS-1", "Containers run as a non-root user (spec-derived hardening; the images are built "
                   "non-root).")
def containers_are_not_root(stacks: Stacks, definition: PlatformDefinition):
    for workspace, resource, body in _resources(stacks, "aws_ecs_task_definition"):
        try:
            containers = json.loads(body.get("container_definitions", "[]"))
        except json.JSONDecodeError:
            yield workspace, resource, "container_definitions is not plain JSON"
            continue
        for container in containers:
            if str(container.get("user", "0")) in ("0", "root"):
                yield workspace, resource, f"container {container.get('name')} runs as root"


def evaluate(stacks: Stacks, definition: PlatformDefinition, rules: list[Rule] | None = None) -> list[Violation]:
    return [Violation(r.id, *found) for r in (rules or RULES) for found in r.check(stacks, definition)]
