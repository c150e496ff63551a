"""`ServerSpan`: a sampled request's server span, recorded as the SDK's span records it, for a quarter of its cost.

With the SDK's `Tracer.start_span` and `Span.end` (its limits, locks, bounded collections, the processor's
`on_start`, a copy of the span for `on_end`) a sampled request's server span cost 24-26 µs to start, name and
finish; this one costs ~6 µs, against ~2 µs for a dropped request's (docs/performance.md). It is the SDK's
`ReadableSpan`, so the span processors and exporters take it as they take the SDK's: `end()` hands it to the
tracer's processor (`on_end`; `on_start` is not called: the SDK's batch and simple processors do nothing there).
While it is being recorded it is what `trace.get_current_span()` returns in the request, so the app
(`record_unhandled_error`) and the instrumentations read and add to it through the API's `Span` methods, with the
SDK's rules: attribute values checked and bounded by the SDK's `SpanLimits`, at most that many events, a status
once OK stays OK, nothing recorded once ended.
"""
from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits, SpanProcessor
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv.attributes.exception_attributes import (EXCEPTION_ESCAPED, EXCEPTION_MESSAGE,
                                                                   EXCEPTION_STACKTRACE, EXCEPTION_TYPE)
from opentelemetry.util import types

logger = logging.getLogger(__name__)
_LIMITS = SpanLimits()  # the SDK's defaults, read from the OTEL_*_LIMIT variables as its spans read them


class ServerSpan(trace.Span, ReadableSpan):
    """Recording from when it is made, with `attributes` (the request's, made by the caller: already valid);
    `finish_request` gives the route's name and the status, `end` hands it to `processor`."""

    def __init__(self, name: str, context: trace.SpanContext, parent: trace.SpanContext | None,
                 attributes: dict[str, types.AttributeValue], *, processor: SpanProcessor, resource: Resource,
                 scope: InstrumentationScope) -> None:
        super().__init__(name, context, parent, resource, attributes, [], (), trace.SpanKind.SERVER,
                         start_time=time.time_ns(), instrumentation_scope=scope)
        self._processor = processor

    def finish_request(self, name: str, attributes: Mapping[str, types.AttributeValue], error: bool) -> None:
        """The request's own last attributes (valid: made by the caller), at no check; `error`: its status."""
        if self._end_time is None:
            self._name = name
            self._attributes.update(attributes)
            if error:
                self.set_status(trace.Status(trace.StatusCode.ERROR))

    def get_span_context(self) -> trace.SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return self._end_time is None

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        if self._end_time is not None:
            logger.warning("Setting attribute on ended span.")
            return
        if not isinstance(self._attributes, BoundedAttributes):  # the first from outside: from now on as in the SDK
            self._attributes = BoundedAttributes(_LIMITS.max_span_attributes, self._attributes, immutable=False,
                                                 max_value_len=_LIMITS.max_span_attribute_length)
        self._attributes[key] = value  # an invalid value is dropped with the SDK's warning

    def update_name(self, name: str) -> None:
        if self._end_time is None:
            self._name = name

    def set_status(self, status: trace.Status | trace.StatusCode, description: str | None = None) -> None:
        if self._end_time is not None or self._status.status_code is trace.StatusCode.OK:
            return  # OK is final, as in the SDK
        if not isinstance(status, trace.Status):
            status = trace.Status(status, description)
        if status.status_code is not trace.StatusCode.UNSET:
            self._status = status

    def add_event(self, name: str, attributes: types.Attributes = None, timestamp: int | None = None) -> None:
        if self._end_time is None and (_LIMITS.max_events is None or len(self._events) < _LIMITS.max_events):
            self._events.append(Event(name, BoundedAttributes(_LIMITS.max_event_attributes, attributes,
                                                              max_value_len=_LIMITS.max_attribute_length),
                                      timestamp))

    def record_exception(self, exception: BaseException, attributes: types.Attributes = None,
                         timestamp: int | None = None, escaped: bool = False) -> None:
        module, name = type(exception).__module__, type(exception).__qualname__
        self.add_event("exception", {
            EXCEPTION_TYPE: f"{module}.{name}" if module and module != "builtins" else name,
            EXCEPTION_MESSAGE: str(exception),
            EXCEPTION_STACKTRACE: "".join(traceback.format_exception(exception)),
            EXCEPTION_ESCAPED: str(escaped),
            **(attributes or {})}, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self._end_time is not None:
            logger.warning("Calling end() on an ended span.")
            return
        self._end_time = end_time if end_time is not None else time.time_ns()
        self._processor.on_end(self)
