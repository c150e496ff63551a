"""`ServerSpan` records what the SDK's span records for the same calls (the SDK is the oracle), and exports as it."""
from __future__ import annotations

import logging

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from modules import server_span as server_span_module
from modules.server_span import ServerSpan
from modules.telemetry import HashedOnceResource
from modules.tests.telemetry import Ended

CONTEXT = trace.SpanContext(0x5759E988BD862E3FE1BE46A994272793, 0x53995C3F42CD8AD8, False,
                            trace.TraceFlags(trace.TraceFlags.SAMPLED))
PARENT = trace.SpanContext(0x5759E988BD862E3FE1BE46A994272793, 0x1111111111111111, True,
                           trace.TraceFlags(trace.TraceFlags.SAMPLED))
REQUEST = {"http.method": "GET", "http.url": "https://api.example/words?page=2", "net.peer.ip": "10.0.0.1"}


def both() -> tuple[trace.Span, trace.Span, Ended, Ended]:
    """The SDK's span and a ServerSpan, started alike."""
    resource = Resource.create({"service.name": "test"})
    by_sdk, ours = Ended(), Ended()
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(by_sdk)
    sdk_span = provider.get_tracer("app-dw").start_span("GET", trace.set_span_in_context(trace.NonRecordingSpan(PARENT)),
                                                         kind=trace.SpanKind.SERVER, attributes=REQUEST)
    server_span = ServerSpan("GET", CONTEXT, PARENT, dict(REQUEST), processor=ours, resource=resource,
                             scope=InstrumentationScope("app-dw"))
    return sdk_span, server_span, by_sdk, ours


def recorded(span: ReadableSpan) -> dict:
    return {"name": span.name, "kind": span.kind, "parent": span.parent, "attributes": dict(span.attributes),
            "events": [(event.name, {k: v for k, v in event.attributes.items() if k != "exception.stacktrace"})
                       for event in span.events],
            "status": (span.status.status_code, span.status.description), "resource": span.resource.attributes,
            "scope": span.instrumentation_scope.name, "dropped": span.dropped_attributes}


def test_the_same_calls_record_what_the_sdks_span_records(caplog):
    sdk_span, server_span, by_sdk, ours = both()
    try:
        raise ValueError("the model's answer was not JSON")
    except ValueError as error:
        failure = error
    for span in (sdk_span, server_span):
        span.update_name("GET /api/words")
        span.set_attributes({"http.route": "/api/words", "http.status_code": 500, "retries": [1, 2],
                             "not a value": object(), "flag": True})
        span.set_attribute("empty", None)
        span.add_event("cache miss", {"key": "words"})
        span.record_exception(failure)
        span.set_status(trace.Status(trace.StatusCode.ERROR, "ValueError"))
        span.set_status(trace.StatusCode.UNSET)  # ignored: an unset status never replaces one
        assert span.is_recording()
        span.end()
        span.set_attribute("after", "end")  # ignored: ended
        span.update_name("renamed after end")
    [by_the_sdk], [by_us] = by_sdk.spans, ours.spans
    assert recorded(by_us) == recorded(by_the_sdk)
    assert recorded(by_us)["attributes"] == {**REQUEST, "http.route": "/api/words", "http.status_code": 500,
                                             "retries": (1, 2), "flag": True, "not a value": None, "empty": None}
    assert by_us.events[1].attributes["exception.stacktrace"].startswith("Traceback")
    assert by_us.start_time <= by_us.end_time and not server_span.is_recording()
    for warning in ("Invalid type `<class 'object'>`", "Setting attribute on ended span."):  # the SDK's, from each
        assert sum(message.startswith(warning) for message in caplog.messages) == 2


def test_ok_is_final_and_a_second_end_is_refused_with_the_sdks_warning(caplog):
    sdk_span, server_span, by_sdk, ours = both()
    caplog.set_level(logging.WARNING)
    for span in (sdk_span, server_span):
        span.set_status(trace.StatusCode.OK)
        span.set_status(trace.StatusCode.ERROR)
        span.end()
        span.end()
    assert recorded(ours.spans[0])["status"] == recorded(by_sdk.spans[0])["status"] == (trace.StatusCode.OK, None)
    assert len(ours.spans) == len(by_sdk.spans) == 1
    assert caplog.messages.count("Calling end() on an ended span.") == 2


def test_the_request_finishes_with_its_route_and_a_5xx_is_the_spans_error():
    _, server_span, _, ours = both()
    server_span.finish_request("GET /api/words", {"http.route": "/api/words", "http.status_code": 503}, error=True)
    server_span.end()
    [span] = ours.spans
    assert (span.name, span.attributes["http.status_code"], span.status.status_code) == (
        "GET /api/words", 503, trace.StatusCode.ERROR)


def test_attributes_beyond_the_sdks_limit_are_dropped_and_counted_as_in_the_sdk(monkeypatch):
    monkeypatch.setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "3")
    monkeypatch.setattr(server_span_module, "_LIMITS", SpanLimits())  # read as the SDK reads it, at start
    sdk_span, server_span, by_sdk, ours = both()  # each starts with REQUEST's three
    for span in (sdk_span, server_span):
        span.set_attributes({"a": 1, "b": 2})
        span.end()
    # Full: the oldest make room, as in the SDK.
    assert dict(ours.spans[0].attributes) == dict(by_sdk.spans[0].attributes) == {"net.peer.ip": "10.0.0.1", "a": 1, "b": 2}
    assert ours.spans[0].dropped_attributes == by_sdk.spans[0].dropped_attributes == 2


def test_it_encodes_for_otlp_as_the_sdks_span():
    sdk_span, server_span, by_sdk, ours = both()
    for span in (sdk_span, server_span):
        span.end()
    [sdk_encoded], [our_encoded] = (ExportTraceServiceRequest.FromString(encode_spans(s.spans).SerializeToString())
                                    .resource_spans[0].scope_spans[0].spans for s in (by_sdk, ours))
    assert our_encoded.trace_id == CONTEXT.trace_id.to_bytes(16, "big")
    assert our_encoded.span_id == CONTEXT.span_id.to_bytes(8, "big")
    for field in ("trace_id", "span_id"):
        our_encoded.ClearField(field), sdk_encoded.ClearField(field)
    for field in ("start_time_unix_nano", "end_time_unix_nano"):
        our_encoded.ClearField(field), sdk_encoded.ClearField(field)
    assert our_encoded == sdk_encoded  # parent, name, kind, attributes, flags (remote parent), status


def test_a_resource_hashed_once_is_the_sdks_resource_to_the_encoder():
    resource = Resource.create({"service.name": "lang-portal-api", "service.version": "1"})
    hashed = HashedOnceResource(resource)
    assert hashed == resource and hash(hashed) == hash(resource) and hashed.attributes == resource.attributes
    encoded = []
    for each in (resource, hashed):
        ended = Ended()
        for span_id in (1, 2):  # two spans of one resource: one ResourceSpans
            ServerSpan("GET", trace.SpanContext(CONTEXT.trace_id, span_id, False, CONTEXT.trace_flags), None,
                       dict(REQUEST), processor=ended, resource=each, scope=InstrumentationScope("app-dw")).end(end_time=5)
        request = ExportTraceServiceRequest.FromString(encode_spans(ended.spans).SerializeToString())
        for span in request.resource_spans[0].scope_spans[0].spans:
            span.ClearField("start_time_unix_nano")
        encoded.append(request)
    assert encoded[0] == encoded[1] and len(encoded[1].resource_spans) == 1
