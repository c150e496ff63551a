"""modules.telemetry: X-Amzn-Trace-Id in and out, the X-Ray rule's sampling, the settings, and what a web
app records (server spans named by route, the app metrics, the trace id in its log lines) in-process."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Decision, ParentBased

from modules import app_metrics
from modules.auth import Principal, current_principal
from modules.json_logging import JsonFormatter
from modules.settings import AppSettings, SettingsError, load_settings
from modules import telemetry
from modules.telemetry import (ParentBasedWithRoot, RequestTraceSampler, ReservoirSampler, ServerSpans, XRayIdGenerator,
                               XRayPropagator, _ALB_ROOT, sampler, xray_trace_id)
from modules.tests.telemetry import Ended, OtlpGrpcReceiver, recorded  # noqa: F401
from modules.webapp import create_web_app

REPO = Path(__file__).resolve().parents[2]
API_KEY = "telemetry-test-api-key"
NOW = int(time.time())
ROOT = f"1-{NOW:08x}-abcdef012345678912345678"
TRACE_ID = int(f"{NOW:08x}abcdef012345678912345678", 16)


def extracted(header: str | None) -> tuple[int | None, int | None, bool | None]:
    """(trace id, parent span id, sampled) the propagator takes from a header; the trace id alone for a trace to
    start as root in; all None when it ignores the header."""
    context = XRayPropagator().extract({"X-Amzn-Trace-Id": header} if header is not None else {})
    span_context = trace.get_current_span(context).get_span_context()
    if span_context.is_valid:
        return span_context.trace_id, span_context.span_id, span_context.trace_flags.sampled
    return context.get(_ALB_ROOT), None, None


@pytest.mark.parametrize(("header", "expected"), [
    (f"Root={ROOT}", (TRACE_ID, None, None)),  # the ALB started the trace: it is ours to sample
    (f"Root={ROOT};", (TRACE_ID, None, None)),
    (f"Root={ROOT};Sampled=1", (TRACE_ID, None, None)),  # no parent: the decision is ours
    (f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1", (TRACE_ID, 0x53995c3f42cd8ad8, True)),  # another app
    (f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0", (TRACE_ID, 0x53995c3f42cd8ad8, False)),
    # through the ALB from the internet: the client's Parent and Sampled are not taken
    (f"Self=1-{NOW:08x}-000000000000000000000001;Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1", (TRACE_ID, None, None)),
])
def test_the_xray_header_in(header, expected):
    assert extracted(header) == expected


@pytest.mark.parametrize("header", [
    "", "garbage", "Root", "Root=", "Root=1-zzzzzzzz-abcdef012345678912345678",
    f"Root=1-{NOW:08x}-abcdef0123456789123456789",  # one digit too many
    f"Root=1-{NOW:08x}-+bcdef012345678912345678",  # int() would take a sign
    f"Root=1-{NOW:08x}-abcdef01234_678912345678",  # ... and underscores
    f"Root=1-{NOW:08x}-000000000000000000000000",
    f"Root=1-{NOW - 29 * 86400:08x}-abcdef012345678912345678",  # older than X-Ray takes
    f"Root=1-{NOW + 3600:08x}-abcdef012345678912345678",  # from the future
    f"Root={ROOT};Parent=xyz;Sampled=1", f"Root={ROOT};Parent=0000000000000000;Sampled=1",
    f"Root={ROOT};Parent", f"Root={ROOT}=x", "Root=" + "1" * 2000, "\x00\xff" * 10,
])
def test_a_forged_or_broken_header_is_ignored(header):
    assert extracted(header) == (None, None, None)


def test_the_xray_header_out_carries_the_decision():
    context = trace.set_span_in_context(trace.NonRecordingSpan(trace.SpanContext(
        TRACE_ID, 0x53995c3f42cd8ad8, is_remote=False, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED))))
    carrier: dict[str, str] = {}
    XRayPropagator().inject(carrier, context)
    assert carrier == {"X-Amzn-Trace-Id": f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"}
    assert xray_trace_id(TRACE_ID) == ROOT


def test_the_reservoir_takes_its_traces_each_second_then_the_ratio_decides():
    reservoir = ReservoirSampler(2, ALWAYS_OFF)
    decisions = [reservoir.should_sample(None, TRACE_ID, "GET").decision for _ in range(4)]
    assert decisions == [Decision.RECORD_AND_SAMPLE] * 2 + [Decision.DROP] * 2
    reservoir._second -= 1  # the next second
    assert reservoir.should_sample(None, TRACE_ID, "GET").decision is Decision.RECORD_AND_SAMPLE


def test_the_sampler_is_the_one_the_standard_variables_name():
    rule = sampler(AppSettings(otel_traces_sampler="parentbased_traceidratio", otel_traces_sampler_arg=0.05,
                               traces_reservoir_per_second=1))
    assert rule.get_description() == ("ParentBased{root:Reservoir{1/s, then TraceIdRatioBased{0.05}},"
                                      "remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,"
                                      "localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}")
    assert sampler(AppSettings(otel_traces_sampler="always_off")).get_description() == "AlwaysOffSampler"


@pytest.mark.parametrize("name", ["always_on", "always_off", "traceidratio", "parentbased_always_on",
                                  "parentbased_always_off", "parentbased_traceidratio"])
@pytest.mark.parametrize("reservoir", [0, 3])
def test_the_root_decision_is_what_the_sampler_decides_for_a_trace_that_starts_here(name, reservoir, monkeypatch):
    monkeypatch.setattr(time, "monotonic", lambda: 1000.5)  # one second for both samplers' reservoirs
    settings = AppSettings(otel_traces_sampler=name, otel_traces_sampler_arg=0.3, traces_reservoir_per_second=reservoir)
    trace_ids = [int.from_bytes(os.urandom(16), "big") for _ in range(2000)]
    decided = telemetry.root_decision(RequestTraceSampler(sampler(settings)))
    by_sdk = sampler(settings)  # its own reservoir: both start the second full
    expected = [by_sdk.should_sample(None, trace_id, "GET").decision is Decision.RECORD_AND_SAMPLE for trace_id in trace_ids]
    assert [decided(trace_id) for trace_id in trace_ids] == expected
    assert 0 < sum(expected) < len(expected) if name.endswith("traceidratio") else len(set(expected)) == 1


@pytest.mark.parametrize("parent_based", [ParentBasedWithRoot, ParentBased], ids=["root decision", "sdk sampler"])
def test_the_server_span_asks_the_reservoir_once_and_a_dropped_request_stays_in_the_albs_trace(parent_based):
    # The rule's shape with a reservoir of one trace a second, then none: were the sampler asked twice for the first
    # request (by the middleware, then by the SDK), the SDK would find the reservoir spent and drop it. The server span
    # asks the rule's `root_decision` (as deployed) or, for a sampler without one, the sampler as the SDK would.
    rule = parent_based(ReservoirSampler(1, ALWAYS_OFF))
    assert (telemetry.root_decision(RequestTraceSampler(rule)) is None) is (parent_based is ParentBased)
    provider = TracerProvider(sampler=RequestTraceSampler(rule), id_generator=XRayIdGenerator())
    ended = Ended()
    provider.add_span_processor(ended)
    spans = ServerSpans(provider)
    children, trace_ids, headers_out = [], [], []
    other_app = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    for header in (f"Root={ROOT}", f"Root={ROOT}", other_app):
        scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"", "client": ("10.0.0.1", 1),
                 "headers": [(b"x-amzn-trace-id", header.encode())]}
        started = spans.start(scope, dict(scope["headers"]))
        child = provider.get_tracer("test").start_span("SELECT", kind=trace.SpanKind.CLIENT)  # a statement, a call
        children.append(child.get_span_context())
        trace_ids.append(telemetry.current_trace_id())
        carrier: dict[str, str] = {}
        XRayPropagator().inject(carrier, trace.set_span_in_context(child))  # what an outgoing call carries
        headers_out.append(carrier["X-Amzn-Trace-Id"])
        child.end()
        spans.finish(started)
    assert trace.get_current_span() is trace.INVALID_SPAN and telemetry.current_trace_id() is None  # all put back
    # Every span within a request is in the request's trace and follows its decision, the dropped one's too.
    assert [(c.trace_id, c.trace_flags.sampled) for c in children] == [(TRACE_ID, True), (TRACE_ID, False), (TRACE_ID, True)]
    assert len({c.span_id for c in children}) == 3 and all(c.is_valid and not c.is_remote for c in children)
    assert trace_ids == [ROOT] * 3
    assert headers_out[1] == f"Root={ROOT};Parent={children[1].span_id:016x};Sampled=0"  # the next app drops it too
    [alb_child, alb, other_child, from_other_app] = ended.spans  # the dropped request made no SDK span
    assert alb.parent is None and alb.kind is trace.SpanKind.SERVER and alb.attributes["net.peer.ip"] == "10.0.0.1"
    assert dict(alb.attributes) == {"http.method": "GET", "http.scheme": "http", "http.target": "/",
                                    "net.peer.ip": "10.0.0.1"}  # no Host header: no URL to make
    assert from_other_app.parent.span_id == 0x53995c3f42cd8ad8
    assert alb_child.parent.span_id == alb.context.span_id and other_child.parent.span_id == from_other_app.context.span_id


def test_a_trace_header_sent_twice_is_ignored():
    provider = TracerProvider(sampler=RequestTraceSampler(ParentBasedWithRoot(ALWAYS_OFF)), id_generator=XRayIdGenerator())
    spans = ServerSpans(provider)
    for headers, ours in (([f"Root={ROOT}"], True), ([f"Root={ROOT}", f"Root={ROOT}"], False)):
        scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"",
                 "headers": [(b"x-amzn-trace-id", header.encode()) for header in headers] + [(b"host", b"api")]}
        started = spans.start(scope, dict(scope["headers"]))
        assert (telemetry.current_trace_id() == ROOT) is ours and telemetry.current_trace_id().startswith("1-")
        spans.finish(started)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "OTEL_EXPORTER_OTLP_PROTOCOL: Input should be 'grpc' or 'http/protobuf'"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.example:4318", "OTEL_EXPORTER_OTLP_ENDPOINT: Value error, must be an "
     "https:// URL (http:// is accepted only for a loopback address"),
    ("OTEL_TRACES_SAMPLER_ARG", "1.5", "OTEL_TRACES_SAMPLER_ARG: Input should be less than or equal to 1"),
    ("OTEL_TRACES_SAMPLER", "xray", "OTEL_TRACES_SAMPLER: Input should be 'always_on'"),
])
def test_a_bad_telemetry_setting_stops_the_start_naming_it(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("?", r"\?")):
        load_settings(AppSettings)


GRPC_EXPORT = """
from opentelemetry import metrics, trace
from modules.settings import AppSettings, load_settings
from modules.telemetry import record_auth_failure, start_telemetry, tracer
assert start_telemetry(load_settings(AppSettings), "1")
with tracer().start_as_current_span("over grpc"):
    record_auth_failure("expired")
trace.get_tracer_provider().shutdown()  # exports what is left, as a stopping app does
metrics.get_meter_provider().shutdown()
"""


def test_with_the_grpc_protocol_spans_and_metrics_go_over_grpc():
    with OtlpGrpcReceiver() as receiver:
        env = {**os.environ, "PYTHONPATH": str(REPO), "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.origin,
               "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_SERVICE_NAME": "grpc-app"}
        finished = subprocess.run([sys.executable, "-c", GRPC_EXPORT], env=env, capture_output=True, text=True,
                                  timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert [(resource["service.name"], span.name) for resource, span in receiver.spans()] == [("grpc-app", "over grpc")]
    assert [(metric.name, point) for _, metric, point in receiver.metric_points()] == [
        (app_metrics.AUTH_FAILURES.name, {app_metrics.REASON: "expired"})]


# --- a web app, in-process ----------------------------------------------------------------------

@pytest.fixture
def client(recorded):
    app = create_web_app(AppSettings(local_mode=True, service_name="telemetry-app"), title="t", version="1.2.3",
                         api_key=API_KEY)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict:
        return {"id": item_id}

    @app.get("/private")
    async def private(principal: Principal = Depends(current_principal)) -> dict:
        return {"sub": principal.sub}

    @app.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("a bug")

    access = AccessLines()
    logging.getLogger("access").addHandler(access)
    with TestClient(app) as test_client:
        test_client.access = access
        yield test_client
    logging.getLogger("access").removeHandler(access)


class AccessLines(logging.Handler):
    """The access lines as the app's JSON formatter writes them (at emit time, in the request's context)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def take(self) -> list[dict]:
        lines, self.lines = self.lines, []
        return lines


def server_spans(recorded) -> list:
    return [span for span in recorded.spans() if span.kind is trace.SpanKind.SERVER]


def test_a_request_is_a_server_span_named_by_its_route_and_its_log_line_leads_to_it(client, recorded):
    response = client.get("/items/7", headers={"X-Amzn-Trace-Id": f"Root={ROOT}"})
    assert response.status_code == 200
    [span] = server_spans(recorded)
    assert span.name == "GET /items/{item_id}" and span.attributes[app_metrics.ROUTE] == "/items/{item_id}"
    assert {k: span.attributes[k] for k in ("http.method", "http.url", "http.status_code")} == {
        "http.method": "GET", "http.url": "http://testserver/items/7", "http.status_code": 200}
    assert span.context.trace_id == TRACE_ID and span.parent is None  # the ALB's trace, as its root
    [line] = client.access.take()
    assert line["trace_id"] == ROOT and line["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("header", ["Root=1-zzzz", "Root=" + "9" * 900, f"Root={ROOT};Parent=;Sampled=1",
                                    f"Root=1-{NOW + 9999:08x}-abcdef012345678912345678", b"Root=\xff\xfe;;=".decode("latin-1")])
def test_a_forged_trace_header_starts_a_trace_of_its_own_never_a_500(client, recorded, header):
    response = client.get("/items/1", headers={"X-Amzn-Trace-Id": header.encode("latin-1")})
    assert response.status_code == 200
    [span] = server_spans(recorded)
    [line] = client.access.take()
    assert line["trace_id"] == xray_trace_id(span.context.trace_id) and span.context.trace_id != TRACE_ID
    assert abs(int(line["trace_id"][2:10], 16) - time.time()) < 60  # an X-Ray id: its time first


def test_requests_auth_failures_and_unhandled_errors_are_counted(client, recorded):
    def count(metric: app_metrics.AppMetric, **attributes: str) -> float:
        return recorded.points(metric.name).get(tuple(sorted(attributes.items())), 0)

    route = {app_metrics.ROUTE: "/items/{item_id}", app_metrics.STATUS_CLASS: "2xx"}
    unmatched = {app_metrics.ROUTE: app_metrics.UNMATCHED_ROUTE, app_metrics.STATUS_CLASS: "4xx"}
    refused = {app_metrics.REASON: "invalid_api_key"}
    before = (count(app_metrics.REQUEST_DURATION, **route), count(app_metrics.REQUEST_DURATION, **unmatched),
              count(app_metrics.AUTH_FAILURES, **refused), count(app_metrics.UNHANDLED_ERRORS))
    assert client.get("/items/1").status_code == client.get("/items/2").status_code == 200
    assert client.get("/no/such/path").status_code == 404
    assert client.get("/private", headers={"X-Api-Key": "wrong"}).status_code == 401
    assert client.get("/private", headers={"X-Api-Key": API_KEY}).json() == {"sub": "service:api-key"}
    assert client.get("/boom").status_code == 500
    after = (count(app_metrics.REQUEST_DURATION, **route), count(app_metrics.REQUEST_DURATION, **unmatched),
             count(app_metrics.AUTH_FAILURES, **refused), count(app_metrics.UNHANDLED_ERRORS))
    assert [a - b for a, b in zip(after, before)] == [2, 1, 1, 1]
    [crash] = [span for span in server_spans(recorded) if span.name == "GET /boom"]
    assert crash.status.status_code is trace.StatusCode.ERROR
    assert [event.attributes["exception.type"] for event in crash.events] == ["RuntimeError"]

