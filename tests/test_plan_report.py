"""The plan review report: counts by resource type from `terraform show -json`, as Markdown and JSON."""
from __future__ import annotations

import json

from toolkit.plan_report import (
    PlanRow,
    WorkspacePlan,
    change_kind,
    plan_rows,
    render_json,
    render_markdown,
    workspace_plan,
    write_report,
)


def change(address: str, actions: list[str], mode: str = "managed") -> dict:
    resource_type = address.split(".")[-2]
    return {"address": address, "mode": mode, "type": resource_type, "name": address.split(".")[-1],
            "change": {"actions": actions, "before": None, "after": {}}}


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


def test_replaces_and_destroys_are_named_for_the_reviewer():
    plan = workspace_plan("network", PLAN)
    assert plan.attention == ["replace aws_security_group.alb", "replace aws_security_group.api",
                              "destroy aws_iam_role.old"]
    assert plan.totals() == {"create": 3, "update": 1, "replace": 2, "destroy": 1}


def test_markdown_is_a_pull_request_table_per_workspace():
    text = render_markdown([workspace_plan("network", PLAN), WorkspacePlan("ai"),
                            WorkspacePlan("edge", error="plan failed here")], "Plan review: dev")
    lines = text.splitlines()
    assert lines[0] == "## Plan review: dev"
    assert "| workspace | create | update | replace | destroy |" in text
    assert any(line.startswith("| network ") and line.replace(" ", "").endswith("|3|1|2|1|") for line in lines)
    assert "### network" in text and "### ai" in text and "### edge" in text
    assert any(line.startswith("| aws_s3_bucket ") and line.replace(" ", "").endswith("|2|0|0|0|") for line in lines)
    assert "No changes." in text
    assert "Plan failed: plan failed here" in text
    assert "`replace aws_security_group.alb`" in text
    # Number columns are right-aligned in the rendered Markdown.
    assert "--:|" in text


def test_json_holds_the_same_numbers(tmp_path):
    plans = [workspace_plan("network", PLAN)]
    data = json.loads(render_json(plans, "Plan review: dev"))
    (network,) = data["workspaces"]
    assert network["totals"] == {"create": 3, "update": 1, "replace": 2, "destroy": 1}
    assert {"resource_type": "aws_s3_bucket", "create": 2, "update": 0, "replace": 0, "destroy": 0} in network["changes"]
    markdown, as_json = write_report(plans, "Plan review: dev", tmp_path)
    assert markdown.name == "plan-report.md" and as_json.name == "plan-report.json"
    assert json.loads(as_json.read_text()) == data
