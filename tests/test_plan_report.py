"""The plan review report: counts by resource type from `terraform show -json`, what needs
attention, drift, the cost change, as Markdown and JSON."""
from __future__ import annotations

import json

from toolkit.cost import CostChange, LineChange
from toolkit.plan_report import (
    Drift,
    PlanRow,
    WorkspacePlan,
    attention,
    change_kind,
    drift,
    plan_rows,
    render_json,
    render_markdown,
    workspace_plan,
    write_report,
)


def change(address: str, actions: list[str], mode: str = "managed", before: dict | None = None,
           after: dict | None = None) -> dict:
    resource_type = address.split(".")[-2]
    return {"address": address, "mode": mode, "type": resource_type, "name": address.split(".")[-1],
            "change": {"actions": actions, "before": before, "after": after if after is not None else {}}}


# A small hand-made plan in the shape `terraform show -json` writes (format 1.2).
PLAN = {
    "format_version": "1.2",
    "terraform_version": "1.11.4",
    "resource_changes": [
        change("aws_s3_bucket.media", ["create"]),
        change("aws_s3_bucket.logs", ["create"]),
        change("aws_s3_bucket_policy.media", ["update"]),
        change("aws_security_group.alb", ["delete", "create"]),
        change("aws_security_group.api", ["create", "delete"]),
        change("aws_iam_role.old", ["delete"]),
        change("aws_kms_key.data", ["no-op"]),
        change("data.aws_caller_identity.account", ["read"], mode="data"),
        change("module.site.aws_cloudfront_distribution.site", ["create"]),
    ],
}


def test_change_kinds_cover_terraforms_action_lists():
    assert change_kind(["create"]) == "create"
    assert change_kind(["update"]) == "update"
    assert change_kind(["delete"]) == "destroy"
    assert change_kind(["delete", "create"]) == "replace"
    assert change_kind(["create", "delete"]) == "replace"
    assert change_kind(["no-op"]) is None
    assert change_kind(["read"]) is None


def test_rows_count_managed_changes_by_type_sorted():
    assert plan_rows(PLAN) == [
        PlanRow("aws_cloudfront_distribution", create=1),
        PlanRow("aws_iam_role", destroy=1),
        PlanRow("aws_s3_bucket", create=2),
        PlanRow("aws_s3_bucket_policy", update=1),
        PlanRow("aws_security_group", replace=2),
    ]


def test_a_plan_without_changes_has_no_rows():
    assert plan_rows({"resource_changes": [change("aws_kms_key.data", ["no-op"])]}) == []
    assert plan_rows({}) == []


def flagged(plan: dict) -> list[tuple[str, str, str]]:
    return [(a.rule, a.address, a.action) for a in attention(plan)]


def test_replaces_destroys_iam_and_security_groups_need_attention():
    plan = workspace_plan("network", PLAN)
    assert [(a.rule, a.address) for a in plan.attention] == [
        ("iam", "aws_s3_bucket_policy.media"),
        ("replace", "aws_security_group.alb"), ("security-group", "aws_security_group.alb"),
        ("replace", "aws_security_group.api"), ("security-group", "aws_security_group.api"),
        ("destroy", "aws_iam_role.old"), ("iam", "aws_iam_role.old"),
    ]
    assert all(a.reason for a in plan.attention)
    assert plan.totals() == {"create": 3, "update": 1, "replace": 2, "destroy": 1}


def test_key_policies_and_deletion_protection_need_attention():
    plan = {"resource_changes": [
        change("aws_kms_key.data", ["update"], before={"policy": "a", "description": "x"}, after={"policy": "b", "description": "x"}),
        change("aws_kms_key.logs", ["update"], before={"policy": "a", "description": "x"}, after={"policy": "a", "description": "y"}),
        change("aws_rds_cluster.db", ["update"], before={"deletion_protection": True}, after={"deletion_protection": False}),
        change("aws_rds_cluster.kept", ["update"], before={"deletion_protection": True}, after={"deletion_protection": True}),
        change("aws_lb.alb", ["create"], after={"enable_deletion_protection": False}),
        change("aws_cognito_user_pool.users", ["update"], before={"deletion_protection": "ACTIVE"},
               after={"deletion_protection": "INACTIVE"}),
    ]}
    assert flagged(plan) == [("kms-key-policy", "aws_kms_key.data", "update"),
                             ("deletion-protection", "aws_rds_cluster.db", "update"),
                             ("deletion-protection", "aws_lb.alb", "create"),
                             ("deletion-protection", "aws_cognito_user_pool.users", "update")]


def test_drift_is_named_attribute_by_attribute():
    plan = {"resource_drift": [
        {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket",
         "change": {"actions": ["update"],
                    "before": {"bucket": "logs", "tags": {"team": "a"}, "tags_all": {"team": "a", "env": "dev"}},
                    "after": {"bucket": "logs", "tags": {"team": "b"}, "tags_all": {"team": "b", "env": "dev"}}}},
        {"address": "aws_vpc_security_group_ingress_rule.https", "mode": "managed", "type": "x",
         "change": {"actions": ["update"], "before": {"from_port": 443, "cidr_ipv4": "10.0.0.0/16"},
                    "after": {"from_port": 443, "cidr_ipv4": "0.0.0.0/0"}}},
        {"address": "aws_iam_role.gone", "mode": "managed", "type": "aws_iam_role",
         "change": {"actions": ["delete"], "before": {"name": "gone"}, "after": None}},
    ]}
    assert drift(plan) == [
        Drift("aws_s3_bucket.logs", "tags.team", "a", "b"),
        Drift("aws_vpc_security_group_ingress_rule.https", "cidr_ipv4", "10.0.0.0/16", "0.0.0.0/0"),
        Drift("aws_iam_role.gone", "(the whole resource)", "exists", "deleted outside Terraform"),
    ]


def test_markdown_is_a_pull_request_table_per_workspace():
    text = render_markdown([workspace_plan("network", PLAN), WorkspacePlan("ai"),
                            WorkspacePlan("edge", error="plan failed here")], "Plan review: dev")
    lines = text.splitlines()
    assert lines[0] == "## Plan review: dev"
    assert "| workspace | create | update | replace | destroy |" in text
    # create, update, replace, destroy, attention, cost change (none computed), drifted
    assert any(line.startswith("| network ") and line.replace(" ", "").endswith("|3|1|2|1|7|-|0|") for line in lines)
    assert "### network" in text and "### ai" in text and "### edge" not in text   # failed: listed above
    assert any(line.startswith("| aws_s3_bucket ") and line.replace(" ", "").endswith("|2|0|0|0|") for line in lines)
    assert "No changes." in text
    assert "- **edge**: plan failed here" in text
    assert any(line.startswith("| replace ") and "`aws_security_group.alb`" in line for line in lines)
    # Number columns are right-aligned in the rendered Markdown.
    assert "--:|" in text


def test_markdown_shows_the_cost_change_and_drift():
    network = workspace_plan("network", PLAN, CostChange(10.0, 42.85, [
        LineChange("aws_nat_gateway.b", "NAT gateway hours, data processed", 0.0, 32.85)], []))
    network.drift = [Drift("aws_s3_bucket.logs", "tags.team", "a", "b")]
    text = render_markdown([network], "Plan review: dev")
    assert "+$32.85 ($10.00 -> $42.85)" in text
    assert any("`aws_nat_gateway.b`" in line and "+$32.85" in line for line in text.splitlines())
    assert "|`aws_s3_bucket.logs`|tags.team|a|b|" in text.replace(" ", "")


def test_json_holds_the_same_numbers(tmp_path):
    plans = [workspace_plan("network", PLAN)]
    data = json.loads(render_json(plans, "Plan review: dev"))
    (network,) = data["workspaces"]
    assert network["totals"] == {"create": 3, "update": 1, "replace": 2, "destroy": 1}
    assert {"resource_type": "aws_s3_bucket", "create": 2, "update": 0, "replace": 0, "destroy": 0} in network["changes"]
    assert {"rule": "destroy", "address": "aws_iam_role.old", "action": "destroy",
            "reason": "destroyed: what it holds is gone"} in network["attention"]
    markdown, as_json = write_report(plans, "Plan review: dev", tmp_path)
    assert markdown.name == "plan-report.md" and as_json.name == "plan-report.json"
    assert json.loads(as_json.read_text()) == data
