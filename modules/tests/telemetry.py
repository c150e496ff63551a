"""What an app traces and measures. Over the wire: `OtlpReceiver` and `OtlpGrpcReceiver`, a collector's OTLP/HTTP
and OTLP/gRPC receivers. In the test process: `recorded` starts this process's telemetry once (OpenTelemetry
allows one start per process), samples every trace while a test records and none otherwise, and hands each
test the spans that ended during it and the metrics recorded so far. Apps made after that
first start are traced whatever their settings. Other apps' tests use the fixture too:
`from modules.tests.telemetry import recorded  # noqa: F401`."""
from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (ExportMetricsServiceRequest,
                                                                          ExportMetricsServiceResponse)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (ExportTraceServiceRequest,
                                                                      ExportTraceServiceResponse)
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult

from modules.settings import AppSettings
from modules.telemetry import start_telemetry
from modules.tests.support import LocalServer

SERVICE = "telemetry-test"


class Ended(SpanProcessor):
    """Keeps the spans that end, for a test's own provider or span."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(span)


class SpansOfOneTest(SpanProcessor, Sampler):
    """Keeps the spans that end while a test records, and (as the sampler) samples only then: the other
    tests' requests cost what an unsampled request costs in production."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: list[ReadableSpan] | None = None

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None,
                      trace_state=None) -> SamplingResult:
        return SamplingResult(Decision.RECORD_AND_SAMPLE if self._spans is not None else Decision.DROP, attributes)

    def get_description(self) -> str:
        return "SpansOfOneTest"

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            if self._spans is not None:
                self._spans.append(span)

    def start(self) -> None:
        with self._lock:
            self._spans = []

    def stop(self) -> list[ReadableSpan]:
        with self._lock:
            spans, self._spans = self._spans or [], None
            return spans

    def spans(self) -> list[ReadableSpan]:
        with self._lock:
            return list(self._spans or [])


class Recorded:
    def __init__(self, spans: SpansOfOneTest, metrics: InMemoryMetricReader) -> None:
        self._spans = spans
        self._metrics = metrics

    def spans(self) -> list[ReadableSpan]:
        return self._spans.spans()

    def resources(self) -> list[dict]:
        """The attributes of the resource of each batch of metrics."""
        data = self._metrics.get_metrics_data()
        return [dict(resource_metrics.resource.attributes) for resource_metrics in (data.resource_metrics if data else ())]

    def points(self, name: str) -> dict[tuple, float]:
        """{sorted attribute items: value} of one app metric (a counter's sum, a histogram's count), cumulative
        since the process started recording."""
        data = self._metrics.get_metrics_data()
        return {tuple(sorted(point.attributes.items())): getattr(point, "value", None) or point.count
                for resource_metrics in (data.resource_metrics if data else ())
                for scope_metrics in resource_metrics.scope_metrics
                for metric in scope_metrics.metrics if metric.name == name
                for point in metric.data.data_points}


_process: tuple[SpansOfOneTest, InMemoryMetricReader] | None = None


def _started() -> tuple[SpansOfOneTest, InMemoryMetricReader]:
    global _process
    if _process is None:
        spans, reader = SpansOfOneTest(), InMemoryMetricReader()
        assert start_telemetry(AppSettings(service_name=SERVICE), "test", span_processor=spans, metric_reader=reader,
                               trace_sampler=spans)
        _process = spans, reader
    return _process


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    spans, reader = _started()
    spans.start()
    yield Recorded(spans, reader)
    spans.stop()


class ReceivedTelemetry:
    """What a collector's receiver was sent, decoded with opentelemetry-proto (`traces`, `metrics`)."""

    def __init__(self) -> None:
        self.traces: list[ExportTraceServiceRequest] = []
        self.metrics: list[ExportMetricsServiceRequest] = []

    def spans(self) -> list[tuple[dict, object]]:
        """(resource attributes, span) of every span received."""
        return [(attributes(resource_spans.resource.attributes), span) for request in list(self.traces)
                for resource_spans in request.resource_spans for scope_spans in resource_spans.scope_spans
                for span in scope_spans.spans]

    def metric_points(self) -> list[tuple[dict, object, dict]]:
        """(resource attributes, metric, data point attributes) of every data point received."""
        found = []
        for request in list(self.metrics):
            for resource_metrics in request.resource_metrics:
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        data = getattr(metric, metric.WhichOneof("data"))
                        found += [(attributes(resource_metrics.resource.attributes), metric, attributes(point.attributes))
                                  for point in data.data_points]
        return found


class OtlpReceiver(LocalServer, ReceivedTelemetry):
    """A collector's OTLP/HTTP receiver on a free 127.0.0.1 port: keeps what apps export to /v1/traces and
    /v1/metrics."""

    def __init__(self) -> None:
        ReceivedTelemetry.__init__(self)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/v1/traces":
                    owner.traces.append(ExportTraceServiceRequest.FromString(body))
                    answer = ExportTraceServiceResponse()
                elif self.path == "/v1/metrics":
                    owner.metrics.append(ExportMetricsServiceRequest.FromString(body))
                    answer = ExportMetricsServiceResponse()
                else:
                    self.send_error(404)
                    return
                payload = answer.SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        LocalServer.__init__(self, Handler)


class OtlpGrpcReceiver(ReceivedTelemetry):
    """A collector's OTLP/gRPC receiver on a free 127.0.0.1 port (`origin`), served inside `with`."""

    def __init__(self) -> None:
        super().__init__()
        owner = self

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request, context):  # noqa: N802 (the service's name for it)
                owner.traces.append(request)
                return ExportTraceServiceResponse()

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
            def Export(self, request, context):  # noqa: N802
                owner.metrics.append(request)
                return ExportMetricsServiceResponse()

        self._server = grpc.server(ThreadPoolExecutor(max_workers=2))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), self._server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), self._server)
        self.origin = f"http://127.0.0.1:{self._server.add_insecure_port('127.0.0.1:0')}"

    def __enter__(self) -> OtlpGrpcReceiver:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None)


def attributes(key_values) -> dict:
    return {item.key: getattr(item.value, item.value.WhichOneof("value")) for item in key_values}
