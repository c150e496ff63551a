"""modules.request_durations: the request-duration histogram aggregated in the app gives a reader what the SDK's
own histogram would (the SDK's aggregation is the oracle), delta or cumulative, and loses nothing to a collection
that runs while requests are recorded."""
from __future__ import annotations

import math
import random
import threading

import pytest
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics._internal.exponential_histogram.mapping.logarithm_mapping import LogarithmMapping
from opentelemetry.sdk.metrics.export import (AggregationTemporality, InMemoryMetricReader, Metric, MetricsData,
                                              ResourceMetrics, ScopeMetrics)
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from modules import app_metrics
from modules.request_durations import (EXPLICIT_BOUNDS, MAX_BUCKETS, RECORD_SCALE, RequestDurations, downscaled,
                                       exponential_index)

DELTA, CUMULATIVE = AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE
RESOURCE = Resource.create({"service.name": "durations-test"})
ROUTE = "/api/words/{word_id}"


def durations(exponential: bool = True, temporality: AggregationTemporality = DELTA) -> RequestDurations:
    return RequestDurations(RESOURCE, exponential=exponential, temporality=temporality)


def points(metric: Metric | None) -> dict[tuple[str, str], object]:
    assert metric is not None and metric.name == app_metrics.REQUEST_DURATION.name
    return {(p.attributes[app_metrics.ROUTE], p.attributes[app_metrics.STATUS_CLASS]): p for p in metric.data.data_points}


def test_the_bucket_of_a_value_is_the_sdks():
    mapping = LogarithmMapping(RECORD_SCALE)
    values = [2.0 ** e for e in range(-30, 10)] + [random.Random(7).uniform(1e-6, 60) for _ in range(5000)]
    values += [math.nextafter(v, 0) for v in values[:40]] + [math.nextafter(v, math.inf) for v in values[:40]]
    assert [exponential_index(v) for v in values] == [mapping.map_to_index(v) for v in values]


@pytest.mark.parametrize("spread", [(1e-4, 10.0), (0.002, 0.004), (1e-6, 3600.0)])
def test_an_exponential_point_is_the_one_the_sdks_aggregation_makes(spread):
    low, high = spread
    chosen = random.Random(11)
    values = [math.exp(chosen.uniform(math.log(low), math.log(high))) for _ in range(3000)]
    reader = InMemoryMetricReader(preferred_temporality={Histogram: DELTA},
                                  preferred_aggregation={Histogram: ExponentialBucketHistogramAggregation()})
    histogram = MeterProvider(metric_readers=[reader]).get_meter("oracle").create_histogram("d")
    ours = durations()
    for value in values:
        histogram.record(value, {app_metrics.ROUTE: ROUTE, app_metrics.STATUS_CLASS: "2xx"})
        ours.record(ROUTE, 200, value)
    [sdk] = reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics[0].data.data_points
    [point] = points(ours.collect()).values()
    assert (point.count, point.min, point.max, point.zero_count) == (sdk.count, sdk.min, sdk.max, sdk.zero_count)
    assert point.sum == pytest.approx(sdk.sum) and len(point.positive.bucket_counts) <= MAX_BUCKETS
    # A narrow spread: the SDK keeps a finer scale than the app records at, so the SDK's buckets merged to ours.
    assert point.scale == min(sdk.scale, RECORD_SCALE)
    assert buckets(point) == merged(sdk, point.scale)


def buckets(point) -> dict[int, int]:
    return {index: count for index, count in enumerate(point.positive.bucket_counts, point.positive.offset) if count}


def merged(point, scale: int) -> dict[int, int]:
    found: dict[int, int] = {}
    for index, count in buckets(point).items():
        found[index >> (point.scale - scale)] = found.get(index >> (point.scale - scale), 0) + count
    return found


def test_delta_hands_each_collection_what_came_since_the_one_before():
    ours = durations()
    ours.record(ROUTE, 200, 0.010)
    ours.record(ROUTE, 404, 0.002)
    ours.record("unmatched", 700, 0.001)  # not an HTTP status: counted as a server error, as app_metrics says
    first = points(ours.collect())
    assert {key: p.count for key, p in first.items()} == {(ROUTE, "2xx"): 1, (ROUTE, "4xx"): 1, ("unmatched", "5xx"): 1}
    ours.record(ROUTE, 201, 0.030)
    [(key, second)] = points(ours.collect()).items()
    assert key == (ROUTE, "2xx") and (second.count, second.sum, second.min, second.max) == (1, 0.030, 0.030, 0.030)
    assert second.start_time_unix_nano == first[(ROUTE, "2xx")].time_unix_nano
    assert second.start_time_unix_nano < second.time_unix_nano
    assert ours.collect() is None  # nothing since


def test_cumulative_hands_each_collection_everything_since_the_start():
    ours = durations(temporality=CUMULATIVE)
    ours.record(ROUTE, 200, 0.010)
    first = points(ours.collect())[(ROUTE, "2xx")]
    ours.record(ROUTE, 200, 0.030)
    ours.record(ROUTE, 200, 0.0)
    metric = ours.collect()
    assert metric.data.aggregation_temporality is CUMULATIVE
    second = points(metric)[(ROUTE, "2xx")]
    assert (second.count, second.min, second.max, second.zero_count) == (3, 0.0, 0.030, 1)
    assert second.sum == pytest.approx(0.040) and sum(second.positive.bucket_counts) == 2
    assert second.start_time_unix_nano == first.start_time_unix_nano


def test_explicit_buckets_are_upper_inclusive_and_cover_everything():
    ours = durations(exponential=False)
    for value in (0.001, EXPLICIT_BOUNDS[0], 0.0051, 0.3, EXPLICIT_BOUNDS[-1], 99.0):
        ours.record(ROUTE, 200, value)
    metric = ours.collect()
    [point] = points(metric).values()
    assert list(point.explicit_bounds) == list(EXPLICIT_BOUNDS)
    expected = [0] * (len(EXPLICIT_BOUNDS) + 1)
    for bucket in (0, 0, 1, 7, len(EXPLICIT_BOUNDS) - 1, len(EXPLICIT_BOUNDS)):
        expected[bucket] += 1
    assert list(point.bucket_counts) == expected and point.count == 6
    assert metric.data.aggregation_temporality is DELTA


def test_downscaling_merges_neighbours_until_the_buckets_fit():
    assert downscaled({-3: 1, 0: 2, 1: 3}, 6, 160) == (6, -3, [1, 0, 0, 2, 3])
    assert downscaled({0: 1, 1: 1, 2: 1, 3: 1}, 6, 2) == (5, 0, [2, 2])
    assert downscaled({-5: 1, 4: 1}, 6, 2) == (3, -1, [1, 1])
    assert downscaled({}, 6, 160) == (6, 0, [])


def test_a_collection_while_requests_are_recorded_loses_none_of_them():
    ours = durations()
    per_thread, threads = 20_000, 4
    collected: list[int] = []
    done = threading.Event()

    def collect_until_done() -> None:
        while not done.is_set():
            metric = ours.collect()
            collected.extend(p.count for p in points(metric).values()) if metric else None

    def record() -> None:
        for i in range(per_thread):
            ours.record(ROUTE, 200 + i % 2 * 300, 0.001 + i * 1e-7)

    collector = threading.Thread(target=collect_until_done)
    collector.start()
    recorders = [threading.Thread(target=record) for _ in range(threads)]
    for thread in recorders:
        thread.start()
    for thread in recorders:
        thread.join()
    done.set()
    collector.join()
    last = ours.collect()
    assert sum(collected) + (sum(p.count for p in points(last).values()) if last else 0) == per_thread * threads


def test_the_durations_join_the_sdks_own_metrics_in_the_app_metrics_scope():
    ours = durations()
    assert ours.add_to(None) is None  # nothing recorded, nothing from the SDK
    ours.record(ROUTE, 200, 0.01)
    [resource_metrics] = ours.add_to(None).resource_metrics
    assert resource_metrics.resource is RESOURCE
    [scope] = resource_metrics.scope_metrics
    assert scope.scope.name == app_metrics.SCOPE and [m.name for m in scope.metrics] == [app_metrics.REQUEST_DURATION.name]

    counter = Metric("app.auth.failures", None, None, data=None)
    other = ScopeMetrics(InstrumentationScope("opentelemetry.instrumentation.x"), [Metric("x", None, None, None)], "")
    sdk = MetricsData([ResourceMetrics(RESOURCE, [other, ScopeMetrics(InstrumentationScope(app_metrics.SCOPE), [counter],
                                                                      "")], "")])
    ours.record(ROUTE, 200, 0.01)
    [resource_metrics] = ours.add_to(sdk).resource_metrics
    scopes = {s.scope.name: [m.name for m in s.metrics] for s in resource_metrics.scope_metrics}
    assert scopes == {"opentelemetry.instrumentation.x": ["x"],
                      app_metrics.SCOPE: ["app.auth.failures", app_metrics.REQUEST_DURATION.name]}


def test_a_reader_collects_them_with_the_sdks_own():
    reader = InMemoryMetricReader()
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    ours = RequestDurations(RESOURCE, exponential=False, temporality=CUMULATIVE)
    ours.collected_by(reader)
    provider.get_meter(app_metrics.SCOPE).create_counter("app.auth.failures").add(1)
    ours.record(ROUTE, 200, 0.01)
    [resource_metrics] = reader.get_metrics_data().resource_metrics
    [scope] = resource_metrics.scope_metrics
    assert [m.name for m in scope.metrics] == ["app.auth.failures", app_metrics.REQUEST_DURATION.name]
    with pytest.raises(ValueError, match="not registered"):
        ours.collected_by(InMemoryMetricReader())
