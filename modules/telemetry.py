"""OpenTelemetry for every app: traces to X-Ray and the app metrics (`modules.app_metrics`) to CloudWatch,
both through the OTLP collector sidecar of the app's task.

`start_telemetry(settings, version)` starts it once per process (OpenTelemetry keeps one tracer and one
meter provider per process): web apps get it from `create_web_app`, which also puts the server span
around each request; an app that is not a FastAPI app (the Vocab Generator's Streamlit UI) calls it
itself and gets its outgoing calls traced. Configured by OpenTelemetry's standard variables, read and
checked with the other settings (`modules.settings`): off unless OTEL_EXPORTER_OTLP_ENDPOINT is set
(OTEL_SDK_DISABLED=true turns it off even then), OTEL_EXPORTER_OTLP_PROTOCOL (grpc or http/protobuf),
OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, the
metrics' temporality and histogram aggregation, OTEL_METRIC_EXPORT_INTERVAL; and ours,
TRACES_RESERVOIR_PER_SECOND (the X-Ray sampling rule's reservoir) and SERVICE_VERSION.

Traced: each request (server span), its SQLAlchemy statements and psycopg statements (on the engines and
connections an app hands `instrument_engine` / `instrument_connection`), botocore calls (Bedrock, Polly,
S3, CloudWatch) and httpx calls (the JWKS fetch, the calls between apps, which carry the trace on in
X-Amzn-Trace-Id so both requests are one trace). Trace ids are X-Ray's (time first) and headers X-Ray's:
see `XRayPropagator` for what is taken from the ALB's header and what is not.
"""
from __future__ import annotations

import contextvars
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.context import Context
from opentelemetry.propagate import set_global_textmap
from opentelemetry.propagators.aws.aws_xray_propagator import TRACE_HEADER_KEY, AwsXRayPropagator
from opentelemetry.propagators.textmap import CarrierT, Getter, default_getter
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.metrics import (AlwaysOffExemplarFilter, Counter, Histogram, MeterProvider, ObservableCounter,
                                       ObservableGauge, ObservableUpDownCounter, UpDownCounter)
from opentelemetry.sdk.metrics.export import AggregationTemporality, MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (ALWAYS_OFF, ALWAYS_ON, Decision, ParentBased, Sampler, SamplingResult,
                                              TraceIdRatioBased)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace.span import TraceState
from starlette.types import Scope

from modules import app_metrics
from modules.request_durations import RequestDurations
from modules.server_span import ServerSpan
from modules.settings import AppSettings

SCOPE = app_metrics.SCOPE  # the instrumentation scope of the app metrics and spans made here
MAX_TRACE_HEADER_CHARS = 1024  # longer X-Amzn-Trace-Id headers are ignored unread
# What the collector's X-Ray exporter accepts as a trace id's time (older or later ones are dropped there).
XRAY_MAX_TRACE_AGE_SECONDS = 28 * 24 * 3600
XRAY_MAX_CLOCK_SKEW_SECONDS = 300

_started: TracerProvider | None = None
_durations: RequestDurations | None = None  # the request-duration histogram, while telemetry is on
_start_lock = threading.Lock()


# --- X-Ray ids and headers ------------------------------------------------------------------

_ALB_ROOT = otel_context.create_key("app-dw-xray-root")  # a trace id to start the request's trace in
_ROOT = re.compile(r"1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}")
_ALB_HEADER = re.compile(b"Root=" + _ROOT.pattern.encode())  # a trace the ALB started: its Root alone, as sent
_UNIQUE_BITS = 96  # of a trace id, below its 32 bits of time
_UNIQUE_MASK = (1 << _UNIQUE_BITS) - 1
_PARENT = re.compile(r"[0-9a-fA-F]{16}")
_ALB_HEADER_CHARS = len("Root=1-12345678-123456789012345678901234")


class XRayPropagator(AwsXRayPropagator):
    """X-Amzn-Trace-Id out as X-Ray writes it (Root;Parent;Sampled), and in as the load balancer passes it:

    - `Root=...` alone is what the ALB sends when it started the trace: the request's spans go into that
      trace (so the ALB's access log line and the trace share the id), as its root, and the sampling
      decision is this service's. (The stock propagator drops such a header and starts another trace.)
    - A header with `Self=` came from the internet and went through the ALB, which keeps the client's
      fields: its Root is kept as above, its Parent and Sampled are not (a client must not decide what is
      sampled, nor pose as a span of ours).
    - `Root;Parent;Sampled` without `Self` is another app of the platform calling over Cloud Map: the
      trace goes on below its span and follows its decision.
    - Anything malformed (a field that is not key=value, a bad id, a header over 1 KB, several headers) or
      a Root whose time X-Ray would refuse (more than 28 days old, or in the future) is ignored: the
      request starts a trace of its own, as it would without the header. Never an error.
    """

    def extract(self, carrier: CarrierT, context: Context | None = None,
                getter: Getter[CarrierT] = default_getter) -> Context:
        context = Context() if context is None else context
        headers = getter.get(carrier, TRACE_HEADER_KEY)
        return self.extract_header(headers[0], context) if headers and len(headers) == 1 else context

    def extract_header(self, header: str, context: Context) -> Context:
        """`extract` of the one X-Amzn-Trace-Id header a request carries."""
        if len(header) == _ALB_HEADER_CHARS and header.startswith("Root="):  # the ALB's own, every request's
            trace_id = _trace_id(header[5:])
            return context if trace_id is None else otel_context.set_value(_ALB_ROOT, trace_id, context)
        if len(header) > MAX_TRACE_HEADER_CHARS:
            return context
        fields = _header_fields(header)
        trace_id = _trace_id(fields.get("Root")) if fields else None
        if trace_id is None:
            return context
        parent, sampled = fields.get("Parent"), fields.get("Sampled")
        if "Self" in fields or parent is None or sampled not in ("0", "1"):
            return otel_context.set_value(_ALB_ROOT, trace_id, context)
        if not _PARENT.fullmatch(parent) or int(parent, 16) == 0:
            return context
        span_context = trace.SpanContext(
            trace_id, int(parent, 16), is_remote=True,
            trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED if sampled == "1" else trace.TraceFlags.DEFAULT))
        return trace.set_span_in_context(trace.NonRecordingSpan(span_context), context)


def alb_trace_id(header: bytes) -> int | None:
    """The trace id of an X-Amzn-Trace-Id header as it came that is the ALB's `Root=...` alone (a trace it
    started), None for any other (`XRayPropagator.extract_header` reads those)."""
    if _ALB_HEADER.fullmatch(header) is None:
        return None
    return _acceptable(int(header[7:15] + header[16:], 16))


def _header_fields(header: str) -> dict[str, str] | None:
    fields = {}
    for part in header.split(";"):
        if not part.strip():
            continue  # "Root=...;" : an empty field is no field
        key, separator, value = part.partition("=")
        if not separator or "=" in value:
            return None
        fields[key.strip()] = value.strip()
    return fields


def _trace_id(root: str | None) -> int | None:
    if not root or _ROOT.fullmatch(root) is None:
        return None
    return _acceptable(int(root[2:10] + root[11:], 16))


def _acceptable(trace_id: int) -> int | None:
    """`trace_id`, unless X-Ray would refuse its time (older than 28 days, or in the future) or it is zero."""
    age = time.time() - (trace_id >> _UNIQUE_BITS)
    if not -XRAY_MAX_CLOCK_SKEW_SECONDS <= age <= XRAY_MAX_TRACE_AGE_SECONDS or not trace_id & _UNIQUE_MASK:
        return None
    return trace_id


class XRayIdGenerator(AwsXRayIdGenerator):
    """X-Ray's ids (the trace id starts with its time), except that a root span started while the current
    context names its trace (`_ALB_ROOT`: the ALB's, from `XRayPropagator`, or the one `ServerSpans`
    chose before sampling) takes that trace id, and so does one started within an unsampled request (its
    trace is not in OpenTelemetry's context: `_request_trace`). The SDK asks for the id with no context."""

    def generate_trace_id(self) -> int:
        root = otel_context.get_value(_ALB_ROOT)
        if root is not None:
            return root
        request = _request_trace.get()
        return request[0] if request is not None else super().generate_trace_id()


def xray_trace_id(trace_id: int) -> str:
    """A trace id as X-Ray shows it: 1-<time>-<unique>."""
    hex_id = f"{trace_id:032x}"
    return f"1-{hex_id[:8]}-{hex_id[8:]}"


# The trace of the request that runs in this context, while it runs (`ServerSpans`): its id, its X-Ray text as
# the ALB's header wrote it (None: formatted when a log line needs it), and whether it is sampled. A sampled
# request's server span is in OpenTelemetry's context too, as usual. An unsampled request's trace (most
# requests') is only here: a span started within it (a statement, a call to another app) has no parent for the
# SDK, which `XRayIdGenerator` puts into the request's trace and `RequestTraceSampler` drops, as ParentBased drops
# the children of a dropped span; its outgoing calls carry the trace on, unsampled. So an unsampled request makes no
# OpenTelemetry span, context or attach of its own: those cost the cached reads ~3 µs each.
RequestTrace = tuple[int, "str | None", bool]
_request_trace: contextvars.ContextVar[RequestTrace | None] = contextvars.ContextVar("request_trace", default=None)


def current_trace_id() -> str | None:
    """The X-Ray id of the current trace (sampled or not), None outside one. Within a request that is the
    request's trace: the apps start no trace of their own inside one."""
    request = _request_trace.get()
    if request is not None:
        return request[1] or xray_trace_id(request[0])
    span_context = trace.get_current_span().get_span_context()
    return xray_trace_id(span_context.trace_id) if span_context.is_valid else None


# --- sampling -------------------------------------------------------------------------------

class ReservoirSampler(Sampler):
    """The X-Ray sampling rule's shape: the first `per_second` traces of each second, then `then` (the rule's
    fixed rate). Per process: with several workers and tasks each keeps its own reservoir (X-Ray's central
    sampling would share one; no OpenTelemetry Python sampler asks it)."""

    def __init__(self, per_second: int, then: Sampler) -> None:
        self.per_second = per_second
        self.then = then
        self._second = 0
        self._taken = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        """True while this second's reservoir lasts (and it is drawn from)."""
        second = int(time.monotonic())
        if second == self._second and self._taken >= self.per_second:
            return False  # spent for this second (most requests): no lock to read that, it only grows till the next
        with self._lock:
            if second != self._second:
                self._taken, self._second = 0, second  # in this order: `take` reads them without the lock
            take = self._taken < self.per_second
            self._taken += take
        return take

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None,
                      trace_state=None) -> SamplingResult:
        if self.take():
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, _trace_state(parent_context))
        return self.then.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return f"Reservoir{{{self.per_second}/s, then {self.then.get_description()}}}"

    def root_decision(self) -> RootDecision | None:
        then = root_decision(self.then)
        return None if then is None else (lambda trace_id: self.take() or then(trace_id))


def _trace_state(parent_context: Context | None):
    return trace.get_current_span(parent_context).get_span_context().trace_state


_DROPPED = SamplingResult(Decision.DROP)


class RequestTraceSampler(Sampler):
    """The provider's sampler: `sampler` decides, except for a span without a parent within an unsampled request
    (whose trace is not in OpenTelemetry's context: `_request_trace`), which is dropped with the request. (The
    server spans are decided by `ServerSpans`, which asks `sampler` once a request, never the SDK.)"""

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None,
                      trace_state=None) -> SamplingResult:
        request = _request_trace.get()
        if (request is not None and not request[2]
                and not trace.get_current_span(parent_context).get_span_context().is_valid):
            return _DROPPED
        return self.sampler.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return self.sampler.get_description()

    def root_decision(self) -> RootDecision | None:
        return root_decision(self.sampler)


class ParentBasedWithRoot(ParentBased):
    """The SDK's ParentBased, saying which sampler decides for a root span (`root_decision` reads it)."""

    def __init__(self, root: Sampler) -> None:
        super().__init__(root)
        self.root = root

    def root_decision(self) -> RootDecision | None:
        return root_decision(self.root)


def sampler(settings: AppSettings) -> Sampler:
    """OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG as the specification defines them, with
    TRACES_RESERVOIR_PER_SECOND traces a second taken before the ratio of the traceidratio samplers."""
    ratio: Sampler = TraceIdRatioBased(settings.otel_traces_sampler_arg)
    if settings.traces_reservoir_per_second:
        ratio = ReservoirSampler(settings.traces_reservoir_per_second, ratio)
    root = {"always_on": ALWAYS_ON, "always_off": ALWAYS_OFF, "traceidratio": ratio}[
        settings.otel_traces_sampler.removeprefix("parentbased_")]
    return ParentBasedWithRoot(root) if settings.otel_traces_sampler.startswith("parentbased_") else root


RootDecision = Callable[[int], bool]  # trace id -> sampled


def root_decision(sampler: Sampler) -> RootDecision | None:
    """What `sampler` decides for a span that starts a trace (no parent: a request the ALB started a trace for,
    or one without a header), as a yes or no on the trace id: the server span asks this instead of the SDK's
    sampler objects, which cost a request several microseconds. Known for the samplers `sampler(settings)`
    makes and for any that has a `root_decision()` method; None for any other (it is asked as the SDK would)."""
    own = getattr(sampler, "root_decision", None)
    if own is not None:
        return own()
    if isinstance(sampler, TraceIdRatioBased):
        bound, limit = sampler.bound, TraceIdRatioBased.TRACE_ID_LIMIT
        return lambda trace_id: trace_id & limit < bound
    if sampler is ALWAYS_ON or sampler is ALWAYS_OFF:
        sampled = sampler is ALWAYS_ON
        return lambda trace_id: sampled
    return None


# --- the process's providers ------------------------------------------------------------------

class HashedOnceResource(Resource):
    """The SDK's Resource, hashed once: the OTLP encoder hashes the resource of every span it encodes, which
    for the SDK's is a sorted JSON dump of its attributes each time (~5.5 µs of a span's ~38 to encode)."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource.attributes, resource.schema_url)
        self._hash = super().__hash__()  # its attributes cannot change

    def __hash__(self) -> int:
        return self._hash


def start_telemetry(settings: AppSettings, version: str, *, span_processor: SpanProcessor | None = None,
                    metric_reader: MetricReader | None = None, trace_sampler: Sampler | None = None) -> bool:
    """Start traces and app metrics for this process as the settings say, once; True when they are on
    (started now or before: the first start's settings stay). Off without OTEL_EXPORTER_OTLP_ENDPOINT, and
    with OTEL_SDK_DISABLED=true. `version` is the service.version unless SERVICE_VERSION names the build.

    `span_processor` and `metric_reader` replace the OTLP exporters, `trace_sampler` the settings' sampler
    (tests read what is recorded, while they record)."""
    global _started, _durations
    with _start_lock:
        if _started is not None:
            return True
        if settings.otel_sdk_disabled or (settings.otel_exporter_otlp_endpoint is None and span_processor is None):
            return False
        resource = HashedOnceResource(Resource.create({
            SERVICE_NAME: settings.otel_service_name or settings.service_name,
            SERVICE_VERSION: settings.service_version or version}))
        tracer_provider = TracerProvider(resource=resource, id_generator=XRayIdGenerator(),
                                         sampler=RequestTraceSampler(trace_sampler or sampler(settings)))
        tracer_provider.add_span_processor(span_processor or BatchSpanProcessor(_span_exporter(settings)))
        reader = metric_reader or PeriodicExportingMetricReader(
            _metric_exporter(settings), export_interval_millis=settings.otel_metric_export_interval)
        # No exemplars: the collector's EMF exporter drops them, and offering one costs every measurement.
        meter_provider = MeterProvider(resource=resource, metric_readers=[reader],
                                       exemplar_filter=AlwaysOffExemplarFilter())
        durations = RequestDurations(resource, exponential=Histogram in metric_aggregation(settings),
                                     temporality=metric_temporality(settings)[Histogram])
        durations.collected_by(reader)
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
        set_global_textmap(XRayPropagator())
        _instrument_outgoing_calls()
        _durations, _started = durations, tracer_provider
        return True


def _instrument_outgoing_calls() -> None:
    # Process-wide patches of the libraries' clients, so every client is traced, made before or after.
    # Their own metrics are off (a no-op meter): the app metrics are what the collector keeps.
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    BotocoreInstrumentor().instrument(meter_provider=metrics.NoOpMeterProvider())
    HTTPXClientInstrumentor().instrument(meter_provider=metrics.NoOpMeterProvider())


def _span_exporter(settings: AppSettings) -> SpanExporter:
    endpoint = settings.otel_exporter_otlp_endpoint
    if settings.otel_exporter_otlp_protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter

        return GrpcSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")


def _metric_exporter(settings: AppSettings):
    endpoint = settings.otel_exporter_otlp_endpoint
    options: dict[str, Any] = {"preferred_temporality": metric_temporality(settings),
                               "preferred_aggregation": metric_aggregation(settings)}
    if settings.otel_exporter_otlp_protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter

        return GrpcMetricExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"), **options)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", **options)


def metric_temporality(settings: AppSettings) -> dict[type, AggregationTemporality]:
    """OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE as the specification maps it to instruments."""
    delta, cumulative = AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE
    preference = settings.otel_exporter_otlp_metrics_temporality_preference
    sums = delta if preference in ("delta", "lowmemory") else cumulative
    observed = delta if preference == "delta" else cumulative
    return {Counter: sums, Histogram: sums, ObservableCounter: observed, UpDownCounter: cumulative,
            ObservableUpDownCounter: cumulative, ObservableGauge: cumulative}


def metric_aggregation(settings: AppSettings) -> dict[type, Any]:
    if settings.otel_exporter_otlp_metrics_default_histogram_aggregation == "base2_exponential_bucket_histogram":
        return {Histogram: ExponentialBucketHistogramAggregation()}
    return {}


def telemetry_started() -> bool:
    return _started is not None


def tracer() -> trace.Tracer:
    return trace.get_tracer(SCOPE)


def instrument_engine(engine) -> None:
    """Trace the statements of a SQLAlchemy engine (when telemetry is on)."""
    if _started is None:
        return
    # Per engine, rather than SQLAlchemyInstrumentor's process-wide create_engine patch: engines are made
    # before telemetry starts (and tests make many). Its connection-usage metric is off.
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    EngineTracer(trace.get_tracer("opentelemetry.instrumentation.sqlalchemy"), engine,
                 metrics.NoOpMeter("off").create_up_down_counter("db.client.connections.usage"))


def instrument_connection(connection):
    """Trace the statements of a psycopg connection (when telemetry is on); the connection."""
    if _started is None:
        return connection
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    return PsycopgInstrumentor.instrument_connection(connection)


def server_spans() -> ServerSpans | None:
    """What makes each request's server span, while telemetry is on (None while it is off)."""
    return ServerSpans(_started) if _started is not None else None


# A request as `ServerSpans.start` began it: its server span and the token of the context it made current (None,
# None for an unsampled request that starts a trace), and the token of its `_request_trace`.
StartedSpan = tuple["trace.Span | None", object, contextvars.Token]


class ServerSpans:
    """Each request's server span (`start` it as the request arrives, `finish` it when it is answered), in the
    trace its X-Amzn-Trace-Id names (`XRayPropagator`), current while the app runs. Started by the app's
    request middleware (`modules.request_telemetry`) rather than by OpenTelemetry's ASGI instrumentation,
    which spends more on every request than the cached reads cost, sampled or not (it decodes every header
    several times and gathers the HTTP attributes before the sampler decides). The sampler is asked here,
    first, and for a request that starts a trace (the ALB's header, or none) through its `root_decision`. A
    request that starts a trace and is dropped (most of them) makes no span: its trace is `_request_trace`
    alone. One that continues another app's trace gets a non-recording span when dropped, current with one
    context attach. Only a sampled one records: a `ServerSpan` (the SDK's span costs it four times as much), which
    starts with the HTTP attributes and is named after its route as the answer starts (`name`)."""

    def __init__(self, provider: TracerProvider) -> None:
        tracer = provider.get_tracer(SCOPE)
        self.processor, self.resource, self.scope = tracer.span_processor, tracer.resource, InstrumentationScope(SCOPE)
        self.sampler = provider.sampler
        self.root_sampled = root_decision(provider.sampler)
        self.ids = provider.id_generator
        self.flags = trace.TraceFlags(trace.TraceFlags.RANDOM_TRACE_ID if self.ids.is_trace_id_random()
                                      else trace.TraceFlags.DEFAULT)

    def start(self, scope: Scope, headers: dict[bytes, bytes]) -> StartedSpan:
        """Begin the request of `scope`, whose headers (`headers`: the middleware's dict of them) have been
        read for what else they say."""
        header = headers.get(_TRACE_HEADER, b"")
        if header and len(headers) < len(scope["headers"]) and sum(
                name == _TRACE_HEADER for name, _ in scope["headers"]) > 1:
            header = b""  # sent more than once: ignored, as XRayPropagator ignores it
        trace_id = alb_trace_id(header)  # the ALB's Root alone, every request's: read without a context
        if trace_id is None and header:
            parent = _XRAY.extract_header(header.decode("latin-1"), _NO_CONTEXT)
            return self._current(self._start_span(scope, parent), None)
        text = None
        if trace_id is None:
            trace_id = self.ids.generate_trace_id()
        else:
            text = header[5:].lower().decode()  # what the log lines carry (ASCII: the pattern matched)
        if self.root_sampled is None:
            return self._current(self._start_span(scope, otel_context.set_value(_ALB_ROOT, trace_id, _NO_CONTEXT)),
                                 text)
        if self.root_sampled(trace_id):
            return self._current(self._recorded_span(scope, trace_id, self.flags, None, _SAMPLED), text)
        return None, None, _request_trace.set((trace_id, text, False))

    @staticmethod
    def _current(span: trace.Span, text: str | None) -> StartedSpan:
        span_context = span.get_span_context()
        return (span, otel_context.attach(trace.set_span_in_context(span, _NO_CONTEXT)),
                _request_trace.set((span_context.trace_id, text, span_context.trace_flags.sampled)))

    @staticmethod
    def finish(started: StartedSpan) -> None:
        span, token, trace_token = started
        _request_trace.reset(trace_token)
        if span is not None:
            otel_context.detach(token)
            span.end()

    @staticmethod
    def name(started: StartedSpan, scope: Scope, status: int) -> None:
        """Name a sampled server span after the request's route and give it the status, as the answer starts:
        routing is done by then. A 5xx is the span's error."""
        span = started[0]
        if isinstance(span, ServerSpan):
            route = route_of(scope)
            span.finish_request(f"{scope['method']} {route}", {app_metrics.ROUTE: route, "http.status_code": status},
                                error=status >= 500)

    def _start_span(self, scope: Scope, parent: Context) -> trace.Span:
        """What the SDK's `start_span` makes of `parent`, in the same order (trace id, decision, span id)."""
        parent_span: trace.SpanContext | None = trace.get_current_span(parent).get_span_context()
        if parent_span.is_valid:
            trace_id, flags = parent_span.trace_id, trace.TraceFlags(
                trace.TraceFlags.RANDOM_TRACE_ID if parent_span.trace_flags.random_trace_id else trace.TraceFlags.DEFAULT)
        else:
            parent_span = None
            trace_id, flags = otel_context.get_value(_ALB_ROOT, parent) or self.ids.generate_trace_id(), self.flags
        decision = self.sampler.should_sample(parent, trace_id, scope["method"], trace.SpanKind.SERVER)
        if not decision.decision.is_recording():
            return trace.NonRecordingSpan(trace.SpanContext(trace_id, self.ids.generate_span_id(), False, flags,
                                                            decision.trace_state))
        return self._recorded_span(scope, trace_id, flags, parent_span, decision)

    def _recorded_span(self, scope: Scope, trace_id: int, flags: trace.TraceFlags, parent: trace.SpanContext | None,
                       decision: SamplingResult) -> ServerSpan:
        """The span the decision records, as the SDK's `start_span` makes it (ids, flags, the decision's
        attributes and trace state) but a `ServerSpan`, with the request's attributes."""
        if decision.decision.is_sampled():
            flags = trace.TraceFlags(flags | trace.TraceFlags.SAMPLED)
        context = trace.SpanContext(trace_id, self.ids.generate_span_id(), False, flags, decision.trace_state)
        return ServerSpan(scope["method"], context, parent, {**decision.attributes, **_request_attributes(scope)},
                          processor=self.processor, resource=self.resource, scope=self.scope)


_NO_CONTEXT = Context()
_SAMPLED = SamplingResult(Decision.RECORD_AND_SAMPLE, None, TraceState())
_TRACE_HEADER = TRACE_HEADER_KEY.lower().encode()
_XRAY = XRayPropagator()  # the only header the middleware reads (the process's propagator for outgoing calls too)


def _request_attributes(scope: Scope) -> dict[str, str | int]:
    """What X-Ray shows of a request, in the HTTP semantic conventions the collector's exporter reads: the
    method, the URL (http.url, or its scheme and target without a Host), the user agent, the client's
    address; the route and status come as the answer starts. No more: each attribute costs a sampled span
    ~2 µs to record and encode."""
    host = user_agent = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
        elif name == b"user-agent":
            user_agent = value.decode("latin-1")
    scheme = scope.get("scheme", "http")
    target = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
    attributes: dict[str, str | int] = {"http.method": scope["method"]}
    if host:
        attributes["http.url"] = f"{scheme}://{host}{target}"
    else:
        attributes.update({"http.scheme": scheme, "http.target": target})
    if user_agent:
        attributes["http.user_agent"] = user_agent
    client = scope.get("client")
    if client:  # the caller's address as uvicorn's --proxy-headers took it from X-Forwarded-For
        attributes["net.peer.ip"] = client[0]
    return attributes


# --- the app metrics ----------------------------------------------------------------------------

# Made from the global meter: they record nothing until `start_telemetry` sets the provider, then forward.
_meter = metrics.get_meter(SCOPE)
_counters = {metric.name: _meter.create_counter(metric.name, unit=metric.unit, description=metric.description)
             for metric in (app_metrics.AUTH_FAILURES, app_metrics.GUARDRAIL_INTERVENTIONS, app_metrics.UNHANDLED_ERRORS)}


def route_of(scope) -> str:
    """The route template that answered a request: FastAPI's (or the one the response cache kept with the
    answer), `<mount path>/*` for an app mounted inside (Gradio), `UNMATCHED_ROUTE` when nothing matched.
    Routing writes what matched into the request's scope, which the outer middleware share."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    if "app_root_path" in scope:  # a Mount matched (it sets the mounted app's root path)
        return scope.get("root_path", "")[len(scope.get("app_root_path", "")):] + "/*"
    return app_metrics.UNMATCHED_ROUTE


def record_request(scope, status: int, duration_seconds: float) -> None:
    """The request's duration, by route and status class (nothing while telemetry is off)."""
    if _durations is not None:
        _durations.record(route_of(scope), status, duration_seconds)


def record_auth_failure(reason: str) -> None:
    _counters[app_metrics.AUTH_FAILURES.name].add(1, {app_metrics.REASON: reason})


def record_guardrail_intervention() -> None:
    _counters[app_metrics.GUARDRAIL_INTERVENTIONS.name].add(1)


def record_unhandled_error(error: BaseException) -> None:
    _counters[app_metrics.UNHANDLED_ERRORS.name].add(1)
    span = trace.get_current_span()
    if span.is_recording():
        span.record_exception(error)
        span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
