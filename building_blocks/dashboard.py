"""A CloudWatch dashboard whose body is built in Python from graphs and alarm lists.

Widgets flow left to right, two per row; the body is plain JSON (json.dumps), so tests read
it as it is and ARNs of other resources stay `${...}` references inside it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from constructs import Construct

from building_blocks.alarms import Metric

WIDTH, HEIGHT, COLUMNS = 12, 6, 24


@dataclass(frozen=True)
class Graph:
    title: str
    metrics: tuple[Metric, ...] = ()
    # Metric math shown instead of its inputs: (id, expression, label); inputs get ids m0, m1, ...
    expressions: tuple[tuple[str, str, str], ...] = ()
    stacked: bool = False

    def properties(self, region: str) -> dict:
        entries = []
        for index, metric in enumerate(self.metrics):
            options = {"id": f"m{index}", "visible": False} if self.expressions else {}
            entries.append(metric.graph_entry(**options))
        entries += [[{"expression": expression, "label": label, "id": expression_id}]
                    for expression_id, expression, label in self.expressions]
        return {"title": self.title, "region": region, "view": "timeSeries", "stacked": self.stacked,
                "metrics": entries}


@dataclass(frozen=True)
class AlarmList:
    title: str
    alarm_arns: tuple[str, ...]

    def properties(self, region: str) -> dict:
        return {"title": self.title, "alarms": list(self.alarm_arns)}


@dataclass(frozen=True)
class DashboardProps:
    name: str
    region: str
    widgets: tuple[Graph | AlarmList, ...] = field(default_factory=tuple)


def dashboard_body(props: DashboardProps) -> str:
    widgets = []
    for index, widget in enumerate(props.widgets):
        widgets.append({
            "type": "alarm" if isinstance(widget, AlarmList) else "metric",
            "x": (index * WIDTH) % COLUMNS, "y": (index * WIDTH) // COLUMNS * HEIGHT,
            "width": WIDTH, "height": HEIGHT,
            "properties": widget.properties(props.region)})
    return json.dumps({"widgets": widgets})


class Dashboard(Construct):
    def __init__(self, scope: Construct, id: str, props: DashboardProps):
        super().__init__(scope, id)
        self.dashboard = CloudwatchDashboard(self, "dashboard", dashboard_name=props.name,
                                             dashboard_body=dashboard_body(props))
        self.name = props.name
