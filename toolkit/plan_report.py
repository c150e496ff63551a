"""The plan review report: what each workspace's plan creates, updates, replaces and destroys,
counted by resource type from `terraform show -json <planfile>`.

`plan_rows` is a pure function of the plan JSON; `render_markdown` gives the text a reviewer
pastes into a pull request, `render_json` the same numbers for tools.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from toolkit.report import table

KINDS = ("create", "update", "replace", "destroy")


@dataclass(frozen=True)
class PlanRow:
    resource_type: str
    create: int = 0
    update: int = 0
    replace: int = 0
    destroy: int = 0

    def counts(self) -> list[int]:
        return [getattr(self, kind) for kind in KINDS]


@dataclass(frozen=True)
class WorkspacePlan:
    workspace: str
    rows: list[PlanRow] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)   # "replace aws_x.y": what a reviewer must look at
    error: str = ""                                        # the plan failed: no rows

    def totals(self) -> dict[str, int]:
        return {kind: sum(getattr(row, kind) for row in self.rows) for kind in KINDS}


def change_kind(actions: list[str]) -> str | None:
    """Terraform's action list as one of KINDS; None for no-op and data reads."""
    if actions == ["create"]:
        return "create"
    if actions == ["update"]:
        return "update"
    if actions == ["delete"]:
        return "destroy"
    if sorted(actions) == ["create", "delete"]:   # delete-then-create or create-before-destroy
        return "replace"
    return None


def plan_rows(plan: dict) -> list[PlanRow]:
    """Managed-resource changes of a plan, counted by resource type and kind, sorted by type."""
    counts: dict[str, Counter] = {}
    for change in plan.get("resource_changes", []):
        if change.get("mode", "managed") != "managed":
            continue
        kind = change_kind(change["change"]["actions"])
        if kind:
            counts.setdefault(change["type"], Counter())[kind] += 1
    return [PlanRow(resource_type, **{kind: found[kind] for kind in KINDS})
            for resource_type, found in sorted(counts.items())]


def attention(plan: dict) -> list[str]:
    """Addresses the plan replaces or destroys: the changes that lose data or cause downtime."""
    found = []
    for change in plan.get("resource_changes", []):
        kind = change_kind(change["change"]["actions"])
        if change.get("mode", "managed") == "managed" and kind in ("replace", "destroy"):
            found.append(f"{kind} {change['address']}")
    return found


def workspace_plan(workspace: str, plan: dict) -> WorkspacePlan:
    return WorkspacePlan(workspace, plan_rows(plan), attention(plan))


def render_markdown(plans: list[WorkspacePlan], title: str) -> str:
    headers = ["resource type", *KINDS]
    summary = [[p.workspace, *(p.totals().values())] if not p.error else [p.workspace, "-", "-", "-", "-"]
               for p in plans]
    parts = [f"## {title}", "", table(["workspace", *KINDS], summary, markdown=True)]
    for plan in plans:
        parts += ["", f"### {plan.workspace}", ""]
        if plan.error:
            parts.append(f"Plan failed: {plan.error}")
            continue
        if not plan.rows:
            parts.append("No changes.")
            continue
        parts.append(table(headers, [[row.resource_type, *row.counts()] for row in plan.rows], markdown=True))
        if plan.attention:
            parts += ["", "Replaced or destroyed: " + ", ".join(f"`{item}`" for item in plan.attention)]
    return "\n".join(parts) + "\n"


def render_json(plans: list[WorkspacePlan], title: str) -> str:
    return json.dumps({
        "title": title,
        "workspaces": [{"workspace": p.workspace, "totals": p.totals(), "changes": [asdict(r) for r in p.rows],
                        "attention": p.attention, "error": p.error} for p in plans],
    }, indent=2) + "\n"


def write_report(plans: list[WorkspacePlan], title: str, directory: Path) -> tuple[Path, Path]:
    """plan-report.md and plan-report.json in directory."""
    directory.mkdir(parents=True, exist_ok=True)
    markdown, as_json = directory / "plan-report.md", directory / "plan-report.json"
    markdown.write_text(render_markdown(plans, title))
    as_json.write_text(render_json(plans, title))
    return markdown, as_json
