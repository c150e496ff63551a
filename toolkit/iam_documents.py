"""Every IAM policy document in the synthesized JSON, wherever it sits, and a copy of it with
Terraform's `${...}` tokens replaced by values of the right shape, for a linter to read.

Documents are found two ways: the attributes known to hold one (`POLICY_ATTRIBUTES`, which also
say the document's kind), and any other string attribute whose JSON has a `Statement`, so a new
resource type holding a policy is linted too (as `unknown`, which the scan refuses until it is
named here). `aws_iam_policy_document` data sources are rendered to the JSON Terraform makes of
them, with the kind of the attribute that uses them.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["trust", "identity", "resource", "unknown"]
Stacks = dict[str, dict]

# (resource type, attribute) -> what the document is. Resource policies are on the resource
# they guard; KMS key policies are resource policies whose "*" means the key itself.
POLICY_ATTRIBUTES: dict[tuple[str, str], Kind] = {
    ("aws_iam_role", "assume_role_policy"): "trust",
    ("aws_iam_role", "inline_policy.policy"): "identity",
    ("aws_iam_role_policy", "policy"): "identity",
    ("aws_iam_policy", "policy"): "identity",
    ("aws_iam_user_policy", "policy"): "identity",
    ("aws_iam_group_policy", "policy"): "identity",
    ("aws_s3_bucket_policy", "policy"): "resource",
    ("aws_kms_key", "policy"): "resource",
    ("aws_kms_key_policy", "policy"): "resource",
    ("aws_cloudwatch_log_resource_policy", "policy_document"): "resource",
    ("aws_sns_topic_policy", "policy"): "resource",
    ("aws_sqs_queue_policy", "policy"): "resource",
    ("aws_ecr_repository_policy", "policy"): "resource",
    ("aws_secretsmanager_secret_policy", "policy"): "resource",
}
POLICY_DOCUMENT_DATA = "aws_iam_policy_document"
KEY_POLICY_TYPES = ("aws_kms_key", "aws_kms_key_policy")

# Stand-ins the linter reads in place of values known only at apply time.
ACCOUNT = "123456789012"
PARTITION = "aws"
_TOKEN = re.compile(r"\$\{((?:[^{}]|\{[^{}]*\})*)\}")
_REMOTE = re.compile(r"data\.terraform_remote_state\.([\w-]+)\.outputs\.(\w+)")
_RESOURCE = re.compile(r"(aws_\w+)\.([\w-]+)\.([\w.\[\]]+)")
_DATA = re.compile(r"data\.(aws_\w+)\.([\w-]+)\.(\w+)")
_ELEMENT_OF_SPLIT = re.compile(r'element\(split\("([^"]*)",\s*([^)]+)\),\s*(\d+)\)')
# ARN shapes of the resource types whose ARNs the platform's policies name.
ARN_SHAPES = {
    "aws_bedrock_guardrail": "arn:aws:bedrock:{region}:{account}:guardrail/{name}",
    "aws_cloudfront_distribution": "arn:aws:cloudfront::{account}:distribution/{name}",
    "aws_cloudwatch_log_group": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws_codebuild_project": "arn:aws:codebuild:{region}:{account}:project/{name}",
    "aws_codestarconnections_connection": "arn:aws:codestar-connections:{region}:{account}:connection/{name}",
    "aws_db_proxy": "arn:aws:rds:{region}:{account}:db-proxy:prx-{name}",
    "aws_ecr_repository": "arn:aws:ecr:{region}:{account}:repository/{name}",
    "aws_ecs_cluster": "arn:aws:ecs:{region}:{account}:cluster/{name}",
    "aws_iam_policy": "arn:aws:iam::{account}:policy/{name}",
    "aws_iam_role": "arn:aws:iam::{account}:role/{name}",
    "aws_kms_key": "arn:aws:kms:{region}:{account}:key/{name}",
    "aws_s3_bucket": "arn:aws:s3:::{name}",
    "aws_secretsmanager_secret": "arn:aws:secretsmanager:{region}:{account}:secret:{name}",
    "aws_sns_topic": "arn:aws:sns:{region}:{account}:{name}",
    "aws_ssm_parameter": "arn:aws:ssm:{region}:{account}:parameter/{name}",
}


@dataclass(frozen=True)
class PolicyDocument:
    workspace: str
    resource: str            # "aws_iam_role.<logical id>" or "data.aws_iam_policy_document.<logical id>"
    attribute: str           # e.g. "assume_role_policy"
    kind: Kind
    document: dict           # as synthesized, tokens intact

    @property
    def carrier(self) -> str:
        """The resource type holding the document (for a data source: the type that uses it)."""
        return self.resource.split(".")[0]

    @property
    def is_key_policy(self) -> bool:
        return self.carrier in KEY_POLICY_TYPES

    def statements(self) -> list[dict]:
        found = self.document.get("Statement", [])
        return found if isinstance(found, list) else [found]


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _parse(text: Any) -> dict | None:
    if not isinstance(text, str) or '"Statement"' not in text:
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) and "Statement" in parsed else None


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted attribute path, string) of every string inside a resource body; list indexes
    are left out of the path, so `inline_policy.policy` names every inline policy."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)


def render_policy_document(body: dict) -> dict:
    """The JSON an `aws_iam_policy_document` data source renders (statement blocks in HCL shape)."""
    statements = []
    for block in as_list(body.get("statement")):
        statement: dict[str, Any] = {"Effect": block.get("effect", "Allow")}
        if block.get("sid"):
            statement["Sid"] = block["sid"]
        for key, element in (("actions", "Action"), ("not_actions", "NotAction"),
                             ("resources", "Resource"), ("not_resources", "NotResource")):
            if block.get(key) is not None:
                statement[element] = block[key]
        for key, element in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            if block.get(key):
                principals: dict[str, list] = {}
                for principal in as_list(block[key]):
                    principals.setdefault(principal["type"], []).extend(as_list(principal["identifiers"]))
                statement[element] = "*" if principals == {"*": ["*"]} else principals
        if block.get("condition"):
            conditions: dict[str, dict] = {}
            for condition in as_list(block["condition"]):
                conditions.setdefault(condition["test"], {})[condition["variable"]] = condition["values"]
            statement["Condition"] = conditions
        statements.append(statement)
    return {"Version": body.get("version", "2012-10-17"), "Statement": statements}


def _document_data_users(stack: dict) -> dict[str, tuple[str, str]]:
    """{data source logical id: (resource type, attribute)} of the attributes that use its JSON."""
    users = {}
    for resource_type, items in stack.get("resource", {}).items():
        for body in items.values():
            for path, text in _strings(body):
                for name in re.findall(r"\$\{data\." + POLICY_DOCUMENT_DATA + r"\.([\w-]+)\.json\}", text):
                    users[name] = (resource_type, path)
    return users


def documents(stacks: Stacks) -> list[PolicyDocument]:
    found = []
    for workspace, stack in stacks.items():
        for resource_type, items in stack.get("resource", {}).items():
            for logical, body in items.items():
                for path, text in _strings(body):
                    document = _parse(text)
                    if document is not None:
                        kind = POLICY_ATTRIBUTES.get((resource_type, path), "unknown")
                        found.append(PolicyDocument(workspace, f"{resource_type}.{logical}", path, kind, document))
        users = _document_data_users(stack)
        for logical, body in stack.get("data", {}).get(POLICY_DOCUMENT_DATA, {}).items():
            used_by = users.get(logical)
            document = render_policy_document(body)
            kind = POLICY_ATTRIBUTES.get(used_by, "unknown") if used_by else _guess_kind(document)
            found.append(PolicyDocument(workspace, f"data.{POLICY_DOCUMENT_DATA}.{logical}",
                                        used_by[1] if used_by else "json", kind, document))
    return found


def _guess_kind(document: dict) -> Kind:
    """A policy document nothing uses yet: a trust policy if it lets a principal assume a role,
    a resource policy if it names principals, else an identity policy."""
    statements = as_list(document.get("Statement"))
    if statements and all("Principal" in s for s in statements):
        actions = [a for s in statements for a in as_list(s.get("Action"))]
        return "trust" if actions and all(a.startswith("sts:AssumeRole") for a in actions) else "resource"
    return "identity"


class TokenResolver:
    """Replaces `${...}` tokens with stand-ins of the shape they take at apply time: an account
    id, the region, the ARN of the referenced resource (followed through remote state into the
    workspace that owns it), so that a linter checks the ARNs against the actions."""

    def __init__(self, stacks: Stacks):
        self.stacks = stacks

    def resolve(self, value: Any, workspace: str, depth: int = 0) -> Any:
        if isinstance(value, str):
            return _TOKEN.sub(lambda m: self._stand_in(m.group(1).strip(), workspace, depth), value)
        if isinstance(value, dict):
            return {k: self.resolve(v, workspace, depth) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, workspace, depth) for v in value]
        return value

    def _region(self, workspace: str) -> str:
        providers = self.stacks[workspace].get("provider", {}).get("aws", [{}])
        return providers[0].get("region", "us-east-1")

    def _stand_in(self, expression: str, workspace: str, depth: int) -> str:
        if depth > 5:
            return "placeholder"
        stack = self.stacks[workspace]
        if match := _REMOTE.fullmatch(expression):
            state = stack.get("data", {}).get("terraform_remote_state", {}).get(match.group(1), {})
            owner = state.get("config", {}).get("key", "").split("/")[1:2]
            output = self.stacks.get(owner[0], {}).get("output", {}).get(match.group(2)) if owner else None
            if output is None or not isinstance(output.get("value"), str):
                return "placeholder"
            return self.resolve(output["value"], owner[0], depth + 1)
        if match := _ELEMENT_OF_SPLIT.fullmatch(expression):
            whole = self._stand_in(match.group(2).strip(), workspace, depth + 1)
            parts = whole.split(match.group(1))
            index = int(match.group(3))
            return parts[index] if index < len(parts) else "placeholder"
        if match := _DATA.fullmatch(expression):
            data_type, _, attribute = match.groups()
            return {("aws_caller_identity", "account_id"): ACCOUNT, ("aws_region", "name"): self._region(workspace),
                    ("aws_region", "region"): self._region(workspace),
                    ("aws_partition", "partition"): PARTITION}.get((data_type, attribute), "placeholder")
        if match := _RESOURCE.fullmatch(expression):
            return self._attribute(*match.groups(), workspace=workspace, depth=depth)
        return "placeholder"

    def _attribute(self, resource_type: str, logical: str, attribute: str, workspace: str, depth: int) -> str:
        body = self.stacks[workspace].get("resource", {}).get(resource_type, {}).get(logical, {})
        name = next((self.resolve(body[k], workspace, depth + 1) for k in ("name", "bucket", "name_prefix")
                     if isinstance(body.get(k), str)), logical)
        region, account = self._region(workspace), ACCOUNT
        if attribute.endswith("secret_arn"):
            return ARN_SHAPES["aws_secretsmanager_secret"].format(region=region, account=account, name=name)
        if attribute in ("arn", "guardrail_arn"):
            shape = ARN_SHAPES.get(resource_type, "arn:aws:" + resource_type.split("_")[1] + ":{region}:{account}:{name}")
            return shape.format(region=region, account=account, name=name)
        literal = body.get(attribute)
        if isinstance(literal, (str, int, float)) and not isinstance(literal, bool):
            return str(self.resolve(literal, workspace, depth + 1))
        return {"version": "1", "id": name, "name": name, "bucket": name}.get(attribute, "placeholder")
