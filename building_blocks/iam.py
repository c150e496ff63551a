"""IAM policy documents as data: statements in, JSON policy text out."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Statement:
    actions: list[str]
    resources: list[str] = field(default_factory=lambda: ["*"])
    effect: str = "Allow"
    principals: dict[str, Any] | None = None
    conditions: dict[str, dict[str, Any]] | None = None
    sid: str | None = None

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


def policy_document(*statements: Statement) -> str:
    """A policy as a JSON string. String tokens inside it (ARNs of other resources) become
    `${...}` interpolations, so the synthesized JSON stays plain JSON that tests and checkov
    read as it is."""
    return json.dumps({"Version": "2012-10-17", "Statement": [s.render() for s in statements]})


def service_principal(service: str) -> dict[str, Any]:
    return {"Service": service}


def deny_insecure_transport(*resources: str) -> Statement:
    """The TLS-only statement every bucket policy carries."""
    return Statement(
        sid="DenyInsecureTransport", effect="Deny", actions=["s3:*"], principals={"AWS": "*"},
        resources=list(resources), conditions={"Bool": {"aws:SecureTransport": "false"}})
