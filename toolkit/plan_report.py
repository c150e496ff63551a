"""The plan review report: what each workspace's plan changes, what of it needs a reviewer's
attention, what it costs, and what had drifted, from `terraform show -json <planfile>`.

Everything here is a pure function of the plan JSON (and of the cost estimate made from it):
`workspace_plan` reads one plan, `render_markdown` gives the text a reviewer pastes into a
pull request, `render_json` the same numbers for tools. `python -m toolkit plan` and the
emulator run (`make e2e`) both write their report with it.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.report import table

if TYPE_CHECKING:
    from toolkit.cost import CostChange

KINDS = ("create", "update", "replace", "destroy")
VALUE_WIDTH = 60   # characters of a drifted value shown in a table cell


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
class Attention:
    """A change a reviewer must look at: which rule flagged it, and why the rule exists."""
    rule: str
    address: str
    action: str
    reason: str


@dataclass(frozen=True)
class Drift:
    """An attribute that differs between the state and the real resource."""
    address: str
    attribute: str
    in_state: str
    now: str


@dataclass
class WorkspacePlan:
    workspace: str
    rows: list[PlanRow] = field(default_factory=list)
    attention: list[Attention] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    cost: "CostChange | None" = None
    error: str = ""                 # the workspace could not be planned, and why
    plan_file: Path | None = None

    def totals(self) -> dict[str, int]:
        return {kind: sum(getattr(row, kind) for row in self.rows) for kind in KINDS}


# ------------------------------------------------------------------------- plan JSON

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


def managed_changes(plan: dict) -> list[tuple[str, dict]]:
    """(kind, resource change) of every managed resource the plan changes."""
    found = []
    for change in plan.get("resource_changes", []):
        kind = change_kind(change["change"]["actions"])
        if change.get("mode", "managed") == "managed" and kind:
            found.append((kind, change))
    return found


def plan_rows(plan: dict) -> list[PlanRow]:
    """Managed-resource changes of a plan, counted by resource type and kind, sorted by type."""
    counts: dict[str, Counter] = {}
    for kind, change in managed_changes(plan):
        counts.setdefault(change["type"], Counter())[kind] += 1
    return [PlanRow(resource_type, **{kind: found[kind] for kind in KINDS})
            for resource_type, found in sorted(counts.items())]


# --------------------------------------------------------------- what needs attention

IAM_POLICY_TYPES = {"aws_s3_bucket_policy", "aws_sns_topic_policy", "aws_ecr_repository_policy",
                    "aws_secretsmanager_secret_policy", "aws_cloudwatch_log_resource_policy", "aws_lambda_permission"}
SECURITY_GROUP_TYPES = {"aws_security_group", "aws_security_group_rule", "aws_default_security_group",
                        "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule",
                        "aws_network_acl", "aws_network_acl_rule"}
DELETION_PROTECTION = ("deletion_protection", "enable_deletion_protection")


def _after(change: dict) -> dict:
    return change["change"].get("after") or {}


def _before(change: dict) -> dict:
    return change["change"].get("before") or {}


def _protected(value) -> bool:
    return value is True or value == "ACTIVE"   # Cognito says ACTIVE / INACTIVE


def _loses_deletion_protection(kind: str, change: dict) -> bool:
    for name in DELETION_PROTECTION:
        after = _after(change)
        if name not in after or kind == "destroy":
            continue
        if not _protected(after[name]) and (kind == "create" or _protected(_before(change).get(name))):
            return True
    return False


def _changes_key_policy(kind: str, change: dict) -> bool:
    if change["type"] == "aws_kms_key_policy":
        return True
    return change["type"] == "aws_kms_key" and (kind != "update" or _before(change).get("policy") != _after(change).get("policy"))


@dataclass(frozen=True)
class AttentionRule:
    id: str
    reason: str
    applies: Callable[[str, dict], bool]   # (kind, resource change) -> flagged


# Small pure rules, each with an id and the reason a reviewer should look.
ATTENTION_RULES = (
    AttentionRule("replace", "replaced: what it holds and its identity are lost, and it is down meanwhile",
                  lambda kind, change: kind == "replace"),
    AttentionRule("destroy", "destroyed: what it holds is gone",
                  lambda kind, change: kind == "destroy"),
    AttentionRule("iam", "changes who may do what",
                  lambda kind, change: change["type"].startswith("aws_iam_") or change["type"] in IAM_POLICY_TYPES),
    AttentionRule("security-group", "changes what may reach what",
                  lambda kind, change: change["type"] in SECURITY_GROUP_TYPES),
    AttentionRule("kms-key-policy", "changes who may use or manage an encryption key", _changes_key_policy),
    AttentionRule("deletion-protection", "can now be deleted by a single apply or console click",
                  _loses_deletion_protection),
)


def attention(plan: dict) -> list[Attention]:
    """Every change a rule of ATTENTION_RULES flags, in plan order."""
    return [Attention(rule.id, change["address"], kind, rule.reason)
            for kind, change in managed_changes(plan) for rule in ATTENTION_RULES if rule.applies(kind, change)]


# ----------------------------------------------------------------------------- drift

def flatten(value, prefix: str = "") -> dict[str, object]:
    """{"tags.team": "x", "ingress[0].from_port": 80}: nested values as attribute paths."""
    if isinstance(value, dict):
        items = {}
        for key, item in value.items():
            items.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return items or ({prefix: {}} if prefix else {})
    if isinstance(value, list):
        items = {}
        for index, item in enumerate(value):
            items.update(flatten(item, f"{prefix}[{index}]"))
        return items or {prefix: []}
    return {prefix: value}


def shown(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= VALUE_WIDTH else text[:VALUE_WIDTH - 3] + "..."


EMPTY = (None, "", [], {})
ALWAYS_MANAGED = {"tags", "tags_all"}   # the provider's default tags are configuration too


def configured_attributes(plan: dict) -> dict[str, set[str]]:
    """{address: the top-level attributes its configuration sets} from the plan's configuration."""
    return {resource["address"]: set(resource.get("expressions", {})) | ALWAYS_MANAGED
            for resource in plan.get("configuration", {}).get("root_module", {}).get("resources", [])}


def drift(plan: dict) -> list[Drift]:
    """What Terraform's refresh found changed outside Terraform (`resource_drift`), attribute by
    attribute: the attributes the configuration sets, and tags. Left out: read-backs of what other
    resources manage (an S3 bucket's inline lifecycle rules, set by its lifecycle configuration; a
    network ACL's rules, set by its rule resources), null against empty, and `tags_all` entries that
    repeat a `tags` entry."""
    configured = configured_attributes(plan)
    found = []
    for change in plan.get("resource_drift", []):
        if change.get("mode", "managed") != "managed":
            continue
        address = change["address"]
        if change["change"]["actions"] == ["delete"]:
            found.append(Drift(address, "(the whole resource)", "exists", "deleted outside Terraform"))
            continue
        managed = configured.get(address)
        before, after = flatten(_before(change)), flatten(_after(change))
        differing = {path for path in set(before) | set(after)
                     if before.get(path) != after.get(path)
                     and not (before.get(path) in EMPTY and after.get(path) in EMPTY)
                     and (managed is None or re.split(r"[.\[]", path)[0] in managed)}
        for path in sorted(differing):
            if path.startswith("tags_all.") and "tags." + path.removeprefix("tags_all.") in differing:
                continue
            found.append(Drift(address, path, shown(before.get(path, "(absent)")), shown(after.get(path, "(absent)"))))
    return found


def workspace_plan(workspace: str, plan: dict, cost: "CostChange | None" = None,
                   plan_file: Path | None = None) -> WorkspacePlan:
    return WorkspacePlan(workspace, plan_rows(plan), attention(plan), drift(plan), cost, plan_file=plan_file)


# ---------------------------------------------------------------------------- report

def money(value: float | None) -> str:
    if value is None:
        return "-"
    sign = "+" if value > 0.005 else "-" if value < -0.005 else ""
    return f"{sign}${abs(value):,.2f}"


def _cost_cell(plan: WorkspacePlan) -> str:
    if plan.cost is None:
        return "-"
    return f"{money(plan.cost.difference)} (${plan.cost.before:,.2f} -> ${plan.cost.after:,.2f})"


def render_markdown(plans: list[WorkspacePlan], title: str) -> str:
    summary = [[p.workspace, *(p.totals().values()), len(p.attention), _cost_cell(p), len(p.drift)] if not p.error
               else [p.workspace, "-", "-", "-", "-", "-", "-", "-"] for p in plans]
    parts = [f"## {title}", "",
             table(["workspace", *KINDS, "attention", "monthly cost change", "drifted"], summary, markdown=True)]
    failed = [p for p in plans if p.error]
    if failed:
        parts += ["", "Not planned:", ""] + [f"- **{p.workspace}**: {p.error}" for p in failed]
    total = [p.cost for p in plans if p.cost is not None]
    if total:
        before, after = sum(c.before for c in total), sum(c.after for c in total)
        parts += ["", f"Monthly cost of the planned workspaces: ${before:,.2f} -> ${after:,.2f} "
                      f"({money(after - before)}; usage assumptions: platform.toml [usage], prices: toolkit/prices.toml)."]
    for plan in plans:
        if plan.error:
            continue
        parts += ["", f"### {plan.workspace}", ""]
        if not plan.rows:
            parts.append("No changes.")
        else:
            parts.append(table(["resource type", *KINDS], [[row.resource_type, *row.counts()] for row in plan.rows],
                               markdown=True))
        if plan.attention:
            parts += ["", "Needs attention:", "",
                      table(["rule", "resource", "change", "why"],
                            [[a.rule, f"`{a.address}`", a.action, a.reason] for a in plan.attention], markdown=True)]
        if plan.cost is not None and plan.cost.lines:
            parts += ["", f"Cost: {_cost_cell(plan)} a month", "",
                      table(["resource", "price dimension", "before $/month", "after $/month", "change"],
                            [[f"`{line.address}`", line.dimension, line.before, line.after, money(line.after - line.before)]
                             for line in plan.cost.lines], markdown=True)]
        if plan.cost is not None and plan.cost.not_priced:
            parts += ["", "Not priced: " + ", ".join(f"`{address}`" for address in plan.cost.not_priced)]
        if plan.drift:
            parts += ["", "Drift (changed outside Terraform, found while planning):", "",
                      table(["resource", "attribute", "in the state", "now"],
                            [[f"`{d.address}`", d.attribute, d.in_state, d.now] for d in plan.drift], markdown=True)]
        if plan.plan_file:
            parts += ["", f"Plan file: `{plan.plan_file}`"]
    return "\n".join(parts) + "\n"


def render_json(plans: list[WorkspacePlan], title: str) -> str:
    return json.dumps({
        "title": title,
        "workspaces": [{
            "workspace": p.workspace, "error": p.error, "plan_file": str(p.plan_file) if p.plan_file else None,
            "totals": p.totals(), "changes": [asdict(r) for r in p.rows],
            "attention": [asdict(a) for a in p.attention], "drift": [asdict(d) for d in p.drift],
            "cost": p.cost.as_dict() if p.cost is not None else None,
        } for p in plans],
    }, indent=2) + "\n"


def write_report(plans: list[WorkspacePlan], title: str, directory: Path) -> tuple[Path, Path]:
    """plan-report.md and plan-report.json in directory."""
    directory.mkdir(parents=True, exist_ok=True)
    markdown, as_json = directory / "plan-report.md", directory / "plan-report.json"
    markdown.write_text(render_markdown(plans, title))
    as_json.write_text(render_json(plans, title))
    return markdown, as_json
