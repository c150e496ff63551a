"""The two ends of OTLP in every task, made to agree: the ADOT collector sidecar's configuration (the
monitoring workspace stores it) and the OpenTelemetry settings of the app container beside it (the
project workspaces put them in its environment; modules.telemetry reads them). Plain data, no
constructs: the load benchmark runs an API with the same settings.
"""
from __future__ import annotations

import re

import yaml

from modules.app_metrics import APP_METRICS
from toolkit.definition import Platform, Service

# Where the collector sidecar takes OTLP from the app container (the task's localhost), by protocol.
COLLECTOR_OTLP_PORTS = {"grpc": 4317, "http/protobuf": 4318}


def otel_sdk_environment(platform: Platform, service: Service) -> dict[str, str]:
    """The OpenTelemetry settings of an app container (modules.telemetry reads them), made to match the
    collector's (`otel_collector_config`): its OTLP port for the protocol; counters and histograms as deltas (the awsemf exporter
    turns cumulative counters into deltas but sends a cumulative histogram's totals as they are) and
    histograms as exponential ones (sent to CloudWatch as values and counts, of which it computes
    percentiles; explicit buckets become min/max/sum/count only), one export per alarm period; traces
    sampled as the X-Ray sampling rule says (its reservoir per process, then its rate, unless the caller
    decided); the resource: the service's Cloud Map name, the platform and the environment (the version is
    the image's own, SERVICE_VERSION, which a pipeline deploy changes without a new environment)."""
    s = platform.monitoring
    return {
        "OTEL_SERVICE_NAME": service.name,
        "OTEL_RESOURCE_ATTRIBUTES": f"service.namespace={platform.name},deployment.environment.name={platform.environment}",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{COLLECTOR_OTLP_PORTS[s.otlp_protocol]}",  # as bound
        "OTEL_EXPORTER_OTLP_PROTOCOL": s.otlp_protocol,
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
        "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION": "base2_exponential_bucket_histogram",
        "OTEL_METRIC_EXPORT_INTERVAL": str(s.alarm_period_seconds * 1000),
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": str(s.xray_sampling_rate),
        "TRACES_RESERVOIR_PER_SECOND": str(s.xray_reservoir_per_second),
    }


def emf_metric_declarations() -> tuple[list[dict], list[dict]]:
    """The awsemf exporter's metric declarations and descriptors, from `modules.app_metrics`: each app metric
    with exactly its dimension sets (anything else an instrumentation records is dropped, so no dimension
    CloudWatch bills for comes from elsewhere), in its CloudWatch unit."""
    declarations = [{"dimensions": [list(dimensions) for dimensions in metric.dimension_sets],
                     "metric_name_selectors": [f"^{re.escape(metric.name)}$"]} for metric in APP_METRICS]
    descriptors = [{"metric_name": metric.name, "unit": metric.cloudwatch_unit, "overwrite": True}
                   for metric in APP_METRICS]
    return declarations, descriptors


def otel_collector_config(platform: Platform, region: str) -> str:
    """The ADOT sidecar's configuration: OTLP in on localhost, traces to X-Ray (platform and
    environment as indexed annotations, so the X-Ray group can select them), the app metrics to
    CloudWatch as EMF in the containers' log group (the resource's attributes, service.name among
    them, become labels the dimension sets can name)."""
    identity = [{"key": "platform", "value": platform.name, "action": "upsert"},
                {"key": "environment", "value": platform.environment, "action": "upsert"}]
    declarations, descriptors = emf_metric_declarations()
    config = {
        "extensions": {"health_check": {"endpoint": "127.0.0.1:13133"}},
        "receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": f"127.0.0.1:{COLLECTOR_OTLP_PORTS['grpc']}"},
            "http": {"endpoint": f"127.0.0.1:{COLLECTOR_OTLP_PORTS['http/protobuf']}"}}}},
        "processors": {
            "resourcedetection": {"detectors": ["env", "ecs"], "timeout": "2s", "override": False},
            "attributes/identity": {"actions": identity},
            "batch/traces": {"timeout": "1s", "send_batch_size": 50},
            "batch/metrics": {"timeout": "60s"},
        },
        "exporters": {
            "awsxray": {"region": region, "indexed_attributes": ["platform", "environment"]},
            "awsemf": {"region": region, "namespace": platform.monitoring.app_metrics_namespace,
                       "log_group_name": platform.containers.log_group,
                       "log_stream_name": "otel-emf/{TaskId}",
                       "dimension_rollup_option": "NoDimensionRollup",
                       "resource_to_telemetry_conversion": {"enabled": True},
                       "metric_declarations": declarations, "metric_descriptors": descriptors},
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {"receivers": ["otlp"], "processors": ["resourcedetection", "attributes/identity", "batch/traces"],
                           "exporters": ["awsxray"]},
                "metrics": {"receivers": ["otlp"], "processors": ["resourcedetection", "batch/metrics"],
                            "exporters": ["awsemf"]},
            },
        },
    }
    return yaml.safe_dump(config, sort_keys=False)
