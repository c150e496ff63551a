"""The request-duration histogram (`app_metrics.REQUEST_DURATION`), aggregated in the app and handed to the
OpenTelemetry SDK's metric reader at each collection.

Why not the SDK's histogram instrument: its `record` is ~6 µs of Python a call (a Measurement object, the
attributes frozen and hashed, two locks, the aggregation's own bookkeeping), and the cached reads it would
measure cost the API ~90 µs in all (docs/performance.md). Here a request costs a deque append, and the adding
up (a dictionary lookup, a bucket index, a few additions) is done in runs; what a reader gets is what the
SDK's aggregation would have made: base-2 exponential buckets (OTLP's ExponentialHistogram, scaled down until
at most `MAX_BUCKETS` are left, as the SDK does) or explicit buckets, delta or cumulative, with count, sum,
min and max exact.
"""
from __future__ import annotations

import bisect
import collections
import math
import threading
import time
from collections.abc import Sequence

from opentelemetry.sdk.metrics.export import (AggregationTemporality, Buckets, ExponentialHistogram,
                                              ExponentialHistogramDataPoint, Histogram, HistogramDataPoint, Metric,
                                              MetricReader, MetricsData, ResourceMetrics, ScopeMetrics)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from modules import app_metrics

RECORD_SCALE = 6  # 64 buckets per doubling (1.1% wide) while recording; scaled down at export
MAX_BUCKETS = 160  # the SDK's default for an exponential histogram point (and what OTLP consumers expect)
MIN_SCALE = -10
QUEUED = 512  # durations queued before they are added up (each collection adds up what is queued, too)
# The semantic conventions' advice for http.server.request.duration, used when explicit buckets are asked for.
EXPLICIT_BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
_SCALE_FACTOR = math.ldexp(1 / math.log(2), RECORD_SCALE)


def exponential_index(seconds: float) -> int:
    """The bucket of a positive value at RECORD_SCALE: bucket i holds (2^(i/2^scale), 2^((i+1)/2^scale)]."""
    mantissa, exponent = math.frexp(seconds)
    if mantissa == 0.5:  # an exact power of two is its bucket's upper bound (log could round it either way)
        return ((exponent - 1) << RECORD_SCALE) - 1
    return math.floor(math.log(seconds) * _SCALE_FACTOR)


def explicit_index(seconds: float) -> int:
    """The bucket of a value among EXPLICIT_BOUNDS: bucket i holds (bounds[i-1], bounds[i]]."""
    return bisect.bisect_left(EXPLICIT_BOUNDS, seconds)


class _Series:
    """One route and status class over one collection interval."""

    __slots__ = ("count", "sum", "min", "max", "zero_count", "buckets")

    def __init__(self) -> None:
        self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.zero_count = 0
        self.buckets: dict[int, int] = {}

    def merge(self, other: _Series) -> None:
        self.count += other.count
        self.sum += other.sum
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        self.zero_count += other.zero_count
        for index, count in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + count


class RequestDurations:
    """`record` each request's duration; `add_to` puts what was recorded into a collection's MetricsData.

    `exponential`: base-2 exponential buckets (else EXPLICIT_BOUNDS); `temporality`: DELTA hands each
    collection what came since the one before, CUMULATIVE everything since the start."""

    def __init__(self, resource: Resource, *, exponential: bool, temporality: AggregationTemporality) -> None:
        self.resource = resource
        self.exponential = exponential
        self.temporality = temporality
        self._index = exponential_index if exponential else explicit_index
        self._lock = threading.Lock()  # held while the queue is added up, and by `collect` to take `_open`
        self._collecting = threading.Lock()  # one collection at a time (a flush may come beside the periodic one)
        # Recorded, not yet in `_open`: a deque, whose append and popleft need no lock of ours, so nothing
        # appended while the queue is being added up is lost (it is added up then, or the next time).
        self._queued: collections.deque[tuple[str, int, float]] = collections.deque()
        self._open: dict[tuple[str, str], _Series] = {}  # since the last collection
        self._cumulative: dict[tuple[str, str], _Series] = {}
        self._started_ns = self._interval_started_ns = time.time_ns()

    def record(self, route: str, status: int, seconds: float) -> None:
        """Queue one request's duration: the queue is added up `QUEUED` at a time and at each collection, in
        a run, where the adding costs about a third of what it costs between two requests' own work."""
        queued = self._queued
        queued.append((route, status, seconds))
        if len(queued) >= QUEUED:
            with self._lock:
                self._add_up()

    def _add_up(self) -> None:
        """Add what is queued to the open interval (with `_lock` held)."""
        queued, open_series, index_of = self._queued, self._open, self._index
        while queued:
            route, status, seconds = queued.popleft()
            key = (route, app_metrics.status_class(status))
            series = open_series.get(key)
            if series is None:
                series = open_series[key] = _Series()
            series.count += 1
            series.sum += seconds
            if seconds < series.min:
                series.min = seconds
            if seconds > series.max:
                series.max = seconds
            if seconds > 0:
                index = index_of(seconds)
                series.buckets[index] = series.buckets.get(index, 0) + 1
            else:
                series.zero_count += 1

    def collect(self) -> Metric | None:
        """What the reader gets now (None: nothing recorded in its interval)."""
        with self._collecting:
            now = time.time_ns()
            with self._lock:
                self._add_up()
                interval, self._open = self._open, {}
                started, self._interval_started_ns = self._interval_started_ns, now
            if self.temporality is AggregationTemporality.CUMULATIVE:
                for key, series in interval.items():
                    self._cumulative.setdefault(key, _Series()).merge(series)
                interval, started = self._cumulative, self._started_ns
            if not interval:
                return None
            points = [self._point(key, series, started, now) for key, series in sorted(interval.items())]
        data = (ExponentialHistogram if self.exponential else Histogram)(points, self.temporality)
        metric = app_metrics.REQUEST_DURATION
        return Metric(name=metric.name, description=metric.description, unit=metric.unit, data=data)

    def _point(self, key: tuple[str, str], series: _Series, started: int, now: int):
        attributes = {app_metrics.ROUTE: key[0], app_metrics.STATUS_CLASS: key[1]}
        common = {"attributes": attributes, "start_time_unix_nano": started, "time_unix_nano": now,
                  "count": series.count, "sum": series.sum, "min": series.min, "max": series.max}
        if not self.exponential:
            counts = [series.buckets.get(index, 0) for index in range(len(EXPLICIT_BOUNDS) + 1)]
            return HistogramDataPoint(**common, bucket_counts=counts, explicit_bounds=list(EXPLICIT_BOUNDS))
        scale, offset, counts = downscaled(series.buckets)
        return ExponentialHistogramDataPoint(**common, scale=scale, zero_count=series.zero_count,
                                             positive=Buckets(offset, counts), negative=Buckets(0, []), flags=0)

    def add_to(self, data: MetricsData | None) -> MetricsData | None:
        """`data` (a collection of the SDK's own instruments; None when they had nothing) with the request
        durations in the app metrics' scope."""
        metric = self.collect()
        if metric is None:
            return data
        resources = list(data.resource_metrics) if data is not None else []
        if not resources:
            resources = [ResourceMetrics(resource=self.resource, scope_metrics=[], schema_url="")]
        first = resources[0]
        scopes = list(first.scope_metrics)
        found = [i for i, scope_metrics in enumerate(scopes) if scope_metrics.scope.name == app_metrics.SCOPE]
        if found:
            scopes[found[0]] = ScopeMetrics(scope=scopes[found[0]].scope, metrics=[*scopes[found[0]].metrics, metric],
                                            schema_url=scopes[found[0]].schema_url)
        else:
            scopes.append(ScopeMetrics(scope=InstrumentationScope(app_metrics.SCOPE), metrics=[metric], schema_url=""))
        resources[0] = ResourceMetrics(resource=first.resource, scope_metrics=scopes, schema_url=first.schema_url)
        return MetricsData(resource_metrics=resources)

    def collected_by(self, reader: MetricReader) -> None:
        """Make these durations part of every collection `reader` makes, after its MeterProvider took it:
        the SDK has no public hook for a measurement source of the app's own (other languages' SDKs call it a
        MetricProducer), so the collection callback the provider gave the reader is wrapped."""
        sdk_collect = reader._collect  # pylint: disable=protected-access
        if sdk_collect is None:
            raise ValueError("the metric reader is not registered on a MeterProvider yet")

        def collect(metric_reader: MetricReader, timeout_millis: float = 10_000) -> MetricsData | None:
            return self.add_to(sdk_collect(metric_reader, timeout_millis=timeout_millis))

        reader._set_collect_callback(collect)  # pylint: disable=protected-access


def downscaled(buckets: dict[int, int], scale: int = RECORD_SCALE,
               max_buckets: int = MAX_BUCKETS) -> tuple[int, int, Sequence[int]]:
    """(scale, offset, counts) of exponential buckets at `scale`, merged pairwise (scale - 1) until at most
    `max_buckets` cover them all."""
    if not buckets:
        return scale, 0, []
    low, high, shift = min(buckets), max(buckets), 0
    while scale - shift > MIN_SCALE and high - low + 1 > max_buckets:
        low, high, shift = low >> 1, high >> 1, shift + 1
    counts = [0] * (high - low + 1)
    for index, count in buckets.items():
        counts[(index >> shift) - low] += count
    return scale - shift, low, counts
