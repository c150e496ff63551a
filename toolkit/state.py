"""Where each workspace keeps its Terraform state, read from the synthesized backend blocks.

`workspaces/base.py` decides the state bucket and keys; the commands that run Terraform
(plan, drift, e2e) learn them from what was synthesized, so the naming lives in one place.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StateObject:
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def state_object(stack: dict) -> StateObject | None:
    """The S3 object holding a workspace's state; None for a workspace on local state (bootstrap)."""
    backend = stack.get("terraform", {}).get("backend", {}).get("s3")
    return StateObject(backend["bucket"], backend["key"]) if backend else None


def state_bucket(stacks: dict[str, dict]) -> str | None:
    """The bucket the S3 backends of these workspaces share (bootstrap creates it)."""
    buckets = {found.bucket for found in map(state_object, stacks.values()) if found}
    if len(buckets) > 1:
        raise ValueError(f"workspaces keep their state in more than one bucket: {', '.join(sorted(buckets))}")
    return next(iter(buckets), None)


def remote_state_reads(stack: dict) -> dict[str, StateObject]:
    """{data source address: the state object it reads} of a synthesized stack."""
    return {f"data.terraform_remote_state.{logical}": StateObject(body["config"]["bucket"], body["config"]["key"])
            for logical, body in stack.get("data", {}).get("terraform_remote_state", {}).items()}


def workspace_of(state: StateObject) -> str:
    """dev/network/terraform.tfstate -> network."""
    return state.key.split("/")[-2]
