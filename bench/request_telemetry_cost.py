"""What telemetry adds to one request, in-process: `python -m bench.request_telemetry_cost [--requests 20000]`.

An app made by `create_web_app` with one route answering fixed JSON bytes (about what a response-cache hit
does) is called straight through ASGI, with no server and no sockets, so only the app's own CPU is measured:
first with telemetry off (before it starts; OpenTelemetry allows one start per process), then on with the
task definition's settings (the X-Ray rule's sampling, delta exponential histograms), in turns: modules.telemetry's
server span sampled as deployed and with every request sampled, and FastAPI's native telemetry in its place
(tracing and metrics, as FastAPI turns them on once a provider is set). Each request carries a Root-only
X-Amzn-Trace-Id, as the ALB adds it, and is logged (its access line at INFO, to /dev/null). Spans go to a processor that drops them and metrics are kept in memory:
the export happens on other threads, and its cost is in `api_bench --tracing`.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time
from collections.abc import Callable

from fastapi import FastAPI
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler
from starlette.middleware import Middleware
from starlette.responses import Response

import modules.webapp
from modules.request_telemetry import RequestTelemetryMiddleware
from modules.settings import AppSettings, load_settings
from modules.telemetry import metric_aggregation, metric_temporality, root_decision, sampler, start_telemetry
from toolkit.definition import load_platform
from toolkit.report import table
from workspaces.otel import otel_sdk_environment

BODY = b'{"items":[{"id":1,"japanese":"\\u8a00\\u8449","romaji":"kotoba","english":"word"}],"pagination":{}}'
SCOPE = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
         "path": "/api/words", "raw_path": b"/api/words", "query_string": b"page=3", "root_path": "",
         "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"application/json"),
                     # as the ALB adds it to every request: a trace it started, Root only
                     (b"x-amzn-trace-id", f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}".encode())],
         "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}


class SwitchedSampler(Sampler):
    """The provider's sampler, switched between variants (the provider keeps the one it was made with). An
    app's server span takes the current one's `root_decision` when its middleware is built (its first call)."""

    def __init__(self) -> None:
        self.current: Sampler = ALWAYS_OFF

    def should_sample(self, *args, **kwargs):
        return self.current.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return "switched"

    def root_decision(self):
        return root_decision(self.current)


def web_app() -> FastAPI:
    app = modules.webapp.create_web_app(AppSettings(local_mode=True, log_level="INFO"), title="bench", version="1")
    # Each request's access line is written, as the image writes it, to where the load benchmark puts it: nowhere.
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115 (for the process's life)

    @app.get("/api/words")
    async def words() -> Response:
        return Response(BODY, media_type="application/json")

    return app


def fastapi_native_app() -> FastAPI:
    """The same app with FastAPI's own telemetry instead of modules.telemetry's server span."""
    kept = modules.webapp.FASTAPI_TELEMETRY_OFF
    modules.webapp.FASTAPI_TELEMETRY_OFF = {"tracing": True, "metrics": True, "logs": False}
    try:
        app = web_app()
    finally:
        modules.webapp.FASTAPI_TELEMETRY_OFF = kept
    [ours] = [i for i, m in enumerate(app.user_middleware) if m.cls is RequestTelemetryMiddleware]
    app.user_middleware[ours] = Middleware(RequestTelemetryMiddleware, traced=False)
    return app


def cpu_microseconds_per_request(app: FastAPI, requests: int) -> float:
    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise SystemExit(f"the app answered {message['status']}")

    async def run() -> float:
        for _ in range(200):  # warm: the middleware stack is built on the first call
            await app(dict(SCOPE), receive, send)
        started = time.process_time()
        for _ in range(requests):
            await app(dict(SCOPE), receive, send)
        return (time.process_time() - started) / requests * 1e6

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    off_app = web_app()
    off = [cpu_microseconds_per_request(off_app, args.requests) for _ in range(args.rounds)]
    platform = load_platform()
    os.environ.update(otel_sdk_environment(platform, platform.project("lang-portal").api))
    settings = load_settings(AppSettings)
    switched = SwitchedSampler()
    reader = InMemoryMetricReader(preferred_temporality=metric_temporality(settings),
                                  preferred_aggregation=metric_aggregation(settings))
    assert start_telemetry(settings, "1", span_processor=SpanProcessor(), metric_reader=reader, trace_sampler=switched)
    deployed = sampler(settings)
    variants: dict[str, tuple[Callable[[], FastAPI], Sampler]] = {
        "on, modules.telemetry, sampled as deployed": (web_app, deployed),
        "on, modules.telemetry, every request sampled": (web_app, ALWAYS_ON),
        "on, FastAPI's native, sampled as deployed": (fastapi_native_app, deployed),
        "on, FastAPI's native, every request sampled": (fastapi_native_app, ALWAYS_ON)}
    measured: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, (make_app, decision) in variants.items():
            switched.current = decision
            measured[name].append(cpu_microseconds_per_request(make_app(), args.requests))
    base = statistics.median(off)
    rows = [[name, statistics.median(values), statistics.median(values) - base, " / ".join(f"{x:.1f}" for x in values)]
            for name, values in {"off": off, **measured}.items()]
    print(f"\n{args.requests} requests per round, {args.rounds} rounds, CPU µs per request (median)\n")
    print(table(["telemetry", "µs / request", "added µs", "by round"], rows, markdown=True))


if __name__ == "__main__":
    main()
