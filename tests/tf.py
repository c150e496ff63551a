"""Reading synthesized Terraform JSON in tests: find resources, follow references."""
from __future__ import annotations

import json
import re
from typing import Any

REFERENCE = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_.\[\]]+)\}")


def resources(stack: dict, resource_type: str) -> dict[str, dict]:
    """All resources of a type: {logical id: body}."""
    return stack.get("resource", {}).get(resource_type, {})


def data_sources(stack: dict, data_type: str) -> dict[str, dict]:
    return stack.get("data", {}).get(data_type, {})


def only(stack: dict, resource_type: str) -> dict:
    found = resources(stack, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))


def where(stack: dict, resource_type: str, **attributes: Any) -> list[dict]:
    """Resources of a type whose attributes equal the given values."""
    return [body for body in resources(stack, resource_type).values()
            if all(body.get(k) == v for k, v in attributes.items())]


def logical_id(stack: dict, resource_type: str, body: dict) -> str:
    for name, candidate in resources(stack, resource_type).items():
        if candidate is body:
            return name
    raise KeyError(body)


def reference(resource_type: str, name: str, attribute: str) -> str:
    return f"${{{resource_type}.{name}.{attribute}}}"


def refers_to(value: Any, resource_type: str, name: str | None = None) -> bool:
    """Whether a value (or any string inside it) references the resource type (and name)."""
    text = json.dumps(value)
    return any(m.group(1) == resource_type and (name is None or m.group(2) == name)
               for m in REFERENCE.finditer(text))


def policy(body: dict, attribute: str = "policy") -> dict:
    """A policy attribute parsed from its JSON string."""
    return json.loads(body[attribute])


def remote_reads(stack: dict) -> dict[str, list[str]]:
    """{workspace read: [outputs used]} from the stack's remote-state references."""
    reads: dict[str, set[str]] = {}
    states = stack.get("data", {}).get("terraform_remote_state", {})
    text = json.dumps(stack)
    for logical, body in states.items():
        workspace = body["config"]["key"].split("/")[1]
        used = re.findall(r"data\.terraform_remote_state\." + re.escape(logical) + r"\.outputs\.([A-Za-z0-9_-]+)", text)
        reads.setdefault(workspace, set()).update(used)
    return {k: sorted(v) for k, v in reads.items()}
