"""IAM policy documents as data: statements in, JSON policy text out.

Two kinds of statement, because IAM's grammar has two: a `Statement` grants actions on named
resources (identity policies, and resource policies with a principal), and a `TrustStatement`
says who may assume a role, which names no Resource at all (CreateRole refuses a trust policy
that has one: "Has prohibited field Resource").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

ASSUME_ROLE = "sts:AssumeRole"


@dataclass(frozen=True)
class Statement:
    actions: list[str]
    resources: list[str]            # required: "*" only where AWS has no resource-level permission
    effect: str = "Allow"
    principals: dict[str, Any] | None = None   # only in resource policies (bucket, key, log group)
    conditions: dict[str, dict[str, Any]] | None = None
    sid: str | None = None

    def __post_init__(self) -> None:
        if not self.actions:
            raise ValueError(f"statement {self.sid or ''!r} grants no action")
        if not self.resources:
            raise ValueError(f"statement {self.sid or ''!r} ({', '.join(self.actions)}) names no resource")

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Effect": self.effect, "Action": self.actions}
        if self.sid:
            body["Sid"] = self.sid
        if self.principals is not None:
            body["Principal"] = self.principals
        body["Resource"] = self.resources
        if self.conditions:
            body["Condition"] = self.conditions
        return body


@dataclass(frozen=True)
class TrustStatement:
    """Who may assume a role: a principal, the assume action, and no Resource."""

    principals: dict[str, Any]
    conditions: dict[str, dict[str, Any]] | None = None
    actions: tuple[str, ...] = (ASSUME_ROLE,)

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Effect": "Allow", "Action": list(self.actions), "Principal": self.principals}
        if self.conditions:
            body["Condition"] = self.conditions
        return body


def policy_document(*statements: Statement | TrustStatement) -> str:
    """A policy as a JSON string. String tokens inside it (ARNs of other resources) become
    `${...}` interpolations, so the synthesized JSON stays plain JSON that tests and checkov
    read as it is."""
    return json.dumps({"Version": "2012-10-17", "Statement": [s.render() for s in statements]})


def service_principal(service: str) -> dict[str, Any]:
    return {"Service": service}


def assumed_by_service(service: str, conditions: dict[str, dict[str, Any]] | None = None) -> str:
    """The trust policy of a role an AWS service assumes, e.g. "ecs-tasks.amazonaws.com";
    `conditions` are the confused-deputy guard (aws:SourceAccount, aws:SourceArn)."""
    return policy_document(TrustStatement(service_principal(service), conditions))


def deny_insecure_transport(*resources: str) -> Statement:
    """The TLS-only statement every bucket policy carries."""
    return Statement(
        sid="DenyInsecureTransport", effect="Deny", actions=["s3:*"], principals={"AWS": "*"},
        resources=list(resources), conditions={"Bool": {"aws:SecureTransport": "false"}})
