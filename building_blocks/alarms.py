"""CloudWatch metrics as data, and an alarm on one metric or on metric math over several.

Every alarm notifies its actions both when it fires and when it recovers, so whoever was paged
also learns the all-clear.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

COMPARISONS = {">": "GreaterThanThreshold", ">=": "GreaterThanOrEqualToThreshold",
               "<": "LessThanThreshold", "<=": "LessThanOrEqualToThreshold"}


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: dict[str, str] = field(default_factory=dict)
    stat: str = "Sum"               # Sum | Average | Minimum | Maximum | SampleCount | pNN
    period: int = 60
    label: str | None = None

    @property
    def is_percentile(self) -> bool:
        return self.stat.startswith("p")

    def graph_entry(self, **options) -> list:
        """The metric as a dashboard widget's metrics entry."""
        entry: list = [self.namespace, self.name]
        for key, value in self.dimensions.items():
            entry += [key, value]
        rendering = {"stat": self.stat, "period": self.period, **({"label": self.label} if self.label else {}), **options}
        return entry + [rendering]


@dataclass(frozen=True)
class AlarmProps:
    name: str
    description: str
    comparison: str                  # ">", ">=", "<", "<="
    threshold: float
    actions: tuple[str, ...]         # notified on ALARM and on OK
    metric: Metric | None = None     # a single metric ...
    expression: str | None = None    # ... or metric math over `inputs` (ids are the keys)
    inputs: dict[str, Metric] = field(default_factory=dict)
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    # Most platform metrics are only published when something happens (errors, blocks, task
    # failures): no data means nothing went wrong.
    treat_missing_data: str = "notBreaching"


class MetricAlarm(Construct):
    def __init__(self, scope: Construct, id: str, props: AlarmProps):
        super().__init__(scope, id)
        if (props.metric is None) == (props.expression is None):
            raise ValueError(f"alarm {props.name!r} needs exactly one of metric or expression")
        if props.comparison not in COMPARISONS:
            raise ValueError(f"alarm {props.name!r}: comparison {props.comparison!r} is not one of {list(COMPARISONS)}")
        common = dict(
            alarm_name=props.name, alarm_description=props.description,
            comparison_operator=COMPARISONS[props.comparison], threshold=props.threshold,
            evaluation_periods=props.evaluation_periods, datapoints_to_alarm=props.datapoints_to_alarm,
            treat_missing_data=props.treat_missing_data, actions_enabled=True,
            alarm_actions=list(props.actions), ok_actions=list(props.actions))
        if props.metric is not None:
            metric = props.metric
            self.alarm = CloudwatchMetricAlarm(
                self, "alarm", namespace=metric.namespace, metric_name=metric.name, dimensions=metric.dimensions,
                period=metric.period,
                statistic=None if metric.is_percentile else metric.stat,
                extended_statistic=metric.stat if metric.is_percentile else None, **common)
        else:
            queries = [CloudwatchMetricAlarmMetricQuery(
                id=query_id, return_data=False, label=metric.label,
                metric=CloudwatchMetricAlarmMetricQueryMetric(
                    namespace=metric.namespace, metric_name=metric.name, dimensions=metric.dimensions,
                    stat=metric.stat, period=metric.period))
                for query_id, metric in props.inputs.items()]
            queries.append(CloudwatchMetricAlarmMetricQuery(
                id="result", expression=props.expression, label=props.description, return_data=True))
            self.alarm = CloudwatchMetricAlarm(self, "alarm", metric_query=queries, **common)
        self.arn = self.alarm.arn
        self.name = props.name
