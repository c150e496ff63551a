"""Lang Portal API under load: `python -m bench.api_bench [--seconds 30] [--clients 100] [--warm-up 2]`;
`--tracing [--rounds 5] [--slice 1]` measures what telemetry costs the cached reads instead.

The API runs exactly as its image does (the Dockerfile's CMD: uvicorn, production worker count) on
127.0.0.1 against a fresh PostgreSQL holding 10,000 words in 50 groups. Each endpoint gets
`--clients` concurrent keep-alive clients for `--seconds`; then a bare FastAPI endpoint returning a
constant JSON gets the same, as the ceiling of this machine. The load generator is one asyncio
process with a minimal HTTP/1.1 client, so it costs little of the CPU the servers share with it.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import uvloop
from fastapi import FastAPI
from sqlalchemy import create_engine, insert, select, text

from modules.tests.container import image_command, local_command
from modules.tests.postgres import TemporaryPostgres, free_port
from modules.tests.support import LocalServer, stop_process
from toolkit.definition import load_platform
from toolkit.report import table
from workspaces.otel import otel_sdk_environment

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "projects/lang_portal/backend/Dockerfile"
API_APP = "projects.lang_portal.backend.main:app"  # what the image serves; the bare app takes its place
WORDS, GROUPS = 10_000, 50
PRIOR_REVIEWS = 5_000  # history already recorded, so the stats endpoints have something to add up

bare_app = FastAPI()


@bare_app.get("/constant")
async def constant() -> dict:
    return {"status": "ok", "items": [1, 2, 3]}


Request = tuple[str, str, bytes]  # method, path, body


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, other: Result) -> None:
        self.latencies += other.latencies
        self.errors += other.errors

    def row(self, name: str, seconds: float) -> list[object]:
        ms = sorted(1000 * x for x in self.latencies) or [0.0]
        def pct(p: float) -> float:
            return ms[min(len(ms) - 1, int(p * len(ms)))]
        return [name, len(self.latencies) / seconds, statistics.median(ms), pct(0.95), pct(0.99), self.errors]


async def _client(port: int, next_request: Callable[[], Request], deadline: float, result: Result,
                  headers: str = "") -> None:
    reader = writer = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            method, path, body = next_request()
            started = time.perf_counter()
            # X-Amzn-Trace-Id as the ALB adds it to every request (a trace it started): what tracing reads.
            writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}"
                         f"X-Amzn-Trace-Id: Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - started)
            if not 200 <= status < 300:
                result.errors += 1
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            result.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def load(port: int, next_request: Callable[[], Request], clients: int, seconds: float, headers: str = "") -> Result:
    """`clients` keep-alive connections sending `next_request()`s for `seconds`; `headers` ("Name: value\\r\\n"
    lines) go with each request."""
    result = Result()

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_client(port, next_request, deadline, result, headers) for _ in range(clients)))

    # uvloop, as the servers under test run (uvicorn[standard]): the generator shares their two
    # cores, so the less CPU it spends per request, the more the measurement is of the servers.
    uvloop.run(run())
    return result


def prepare_database(url: str) -> dict:
    """Migrate and seed, then add the benchmark vocabulary and a review history; returns ids to request."""
    from projects.lang_portal.backend.models import Group, StudySession, Word, WordGroup, WordReviewItem
    from projects.lang_portal.backend.seed import prepare_database as migrate_and_seed

    engine = create_engine(url)
    migrate_and_seed(engine)
    with engine.begin() as db:
        group_ids = [db.execute(insert(Group).values(name=f"Bench group {g:02d}").returning(Group.id)).scalar_one()
                     for g in range(GROUPS)]
        db.execute(insert(Word), [{"japanese": f"言葉{n:05d}", "romaji": f"kotoba {n}", "english": f"word {n}",
                                   "parts": {"type": "noun", "formality": "neutral"}} for n in range(WORDS)])
        word_ids = db.execute(select(Word.id).where(Word.japanese.like("言葉%")).order_by(Word.id)).scalars().all()
        per_group = WORDS // GROUPS
        db.execute(insert(WordGroup), [{"word_id": w, "group_id": group_ids[i // per_group]}
                                       for i, w in enumerate(word_ids)])
        session_id = db.execute(insert(StudySession).values(group_id=group_ids[0], study_activity_id=1,
                                                            user_sub="local-user").returning(StudySession.id)
                                ).scalar_one()
        db.execute(insert(WordReviewItem), [{"word_id": word_ids[n % per_group], "study_session_id": session_id,
                                             "user_sub": "local-user", "correct": n % 3 != 0}
                                            for n in range(PRIOR_REVIEWS)])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))  # what autovacuum does soon after a bulk load
    engine.dispose()
    total_words = WORDS + 54
    return {"pages": -(-total_words // 100), "groups": group_ids, "session": session_id,
            "session_words": word_ids[:per_group]}


def serve(command: list[str], env: dict[str, str], port: int, ready_path: str = "/docs") -> subprocess.Popen:
    process = subprocess.Popen(local_command(command, port), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2)
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit(f"server exited: {process.stderr.read()}")
            time.sleep(0.3)
    process.kill()
    raise SystemExit("server did not start within 60 s")


def read_endpoints(ids: dict) -> dict[str, Callable[[], Request]]:
    """The reads, which the response cache answers after their first request."""
    return {
        "GET /api/words?page=N": lambda: ("GET", f"/api/words?page={random.randint(1, ids['pages'])}", b""),
        "GET /api/groups/:id/words": lambda: ("GET", f"/api/groups/{random.choice(ids['groups'])}/words", b""),
        "GET /api/dashboard/quick-stats": lambda: ("GET", "/api/dashboard/quick-stats", b""),
    }


def api_environment(url: str) -> dict[str, str]:
    # Local mode: one user, no token checks (docs/performance.md measures the API, not Cognito).
    return {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO), "LOG_LEVEL": "INFO", "LOCAL_MODE": "true"}


class DiscardingCollector(LocalServer):
    """Takes OTLP/HTTP exports as the sidecar's receiver would, and drops them. Run in a process of its own
    (`discarding_collector`), as the sidecar is: in the load generator's it would take the generator's time."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


def discarding_collector() -> None:
    """Serve a DiscardingCollector until SIGINT or SIGTERM; its origin is the first line written."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # for sigwait, not a KeyboardInterrupt
    with DiscardingCollector() as collector:
        print(collector.origin, flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})


def tracing_overhead(args: argparse.Namespace, command: list[str]) -> None:
    """The cached reads with telemetry off and on (the task definition's settings: the X-Ray rule's sampling,
    delta exponential histograms, OTLP/HTTP to a collector process), both APIs up at once on one database,
    measured in pairs: each round gives every read `--seconds` on each API, in slices of about `--slice`
    seconds taking turns (off, on, on, off, ...), so each pair's ratio sees the same machine: the speed of
    this shared one drifts by tens of percent within minutes, and a pair measured in two blocks of 10 s
    measured the drift more than the telemetry."""
    platform = load_platform()
    telemetry = otel_sdk_environment(platform, platform.project("lang-portal").api)
    collector = subprocess.Popen([sys.executable, "-c", "from bench.api_bench import discarding_collector; "
                                                        "discarding_collector()"],
                                 cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    collector_origin = collector.stdout.readline().strip()
    rows = []
    try:
        with TemporaryPostgres(durable=True) as postgres:
            url = f"{postgres.url}/postgres"
            ids = prepare_database(url)
            variants = {"off": api_environment(url),
                        "on": {**api_environment(url), **telemetry,
                               "OTEL_EXPORTER_OTLP_ENDPOINT": collector_origin}}
            ports = {name: free_port() for name in variants}
            servers = {name: serve(command, env, ports[name]) for name, env in variants.items()}
            results: dict[tuple[str, str], list[Result]] = {}
            slices = max(1, round(args.seconds / args.slice))
            try:
                for round_number in range(args.rounds):
                    for name, next_request in read_endpoints(ids).items():
                        for variant in variants:
                            load(ports[variant], next_request, 10, args.warm_up)
                        pair = {variant: Result() for variant in variants}
                        for slice_number in range(slices):  # off, on, on, off, off, on, ...
                            order = list(variants) if (round_number + slice_number) % 2 == 0 else list(reversed(variants))
                            for variant in order:
                                pair[variant].add(load(ports[variant], next_request, args.clients,
                                                       args.seconds / slices))
                        for variant, result in pair.items():
                            results.setdefault((name, variant), []).append(result)
                    print(f"done: round {round_number + 1} of {args.rounds}", file=sys.stderr)
            finally:
                for server in servers.values():
                    stop_process(server, signal.SIGINT)
    finally:
        stop_process(collector, signal.SIGINT)
    for name in read_endpoints(ids):
        off, on = ([len(r.latencies) / args.seconds for r in results[(name, v)]] for v in ("off", "on"))
        ratios = sorted(b / a - 1 for a, b in zip(off, on))
        p95 = {v: statistics.median(r.row(name, args.seconds)[3] for r in results[(name, v)]) for v in ("off", "on")}
        errors = sum(r.errors for v in ("off", "on") for r in results[(name, v)])
        rows.append([name, statistics.median(off), statistics.median(on), f"{100 * statistics.median(ratios):+.1f}%",
                     " / ".join(f"{100 * x:+.0f}%" for x in ratios), " / ".join(f"{x:,.0f}" for x in off),
                     " / ".join(f"{x:,.0f}" for x in on), p95["off"], p95["on"], errors])
    print(f"\n{args.clients} concurrent clients, {args.rounds} rounds of {args.seconds:g} s per endpoint and variant "
          f"in slices of {args.seconds / slices:g} s, "
          f"telemetry on = {telemetry['OTEL_TRACES_SAMPLER']} {telemetry['OTEL_TRACES_SAMPLER_ARG']} after "
          f"{telemetry['TRACES_RESERVOIR_PER_SECOND']}/s per worker, {os.cpu_count()} CPUs\n")
    print(table(["endpoint", "off req/s", "on req/s", "on vs off (median pair)", "pairs, sorted", "off by round",
                 "on by round", "off p95 ms", "on p95 ms", "errors"], rows, markdown=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--warm-up", type=float, default=2, help="seconds of 10 clients before each measurement")
    parser.add_argument("--tracing", action="store_true",
                        help="compare the cached reads with telemetry off and on instead (see --rounds)")
    parser.add_argument("--rounds", type=int, default=5, help="with --tracing: pairs of off and on per endpoint")
    parser.add_argument("--slice", type=float, default=1, help="with --tracing: seconds each API is loaded in turn")
    args = parser.parse_args()
    command = image_command(DOCKERFILE)
    if args.tracing:
        tracing_overhead(args, command)
        return
    workers = command[command.index("--workers") + 1]
    rows = []
    with TemporaryPostgres(durable=True) as postgres:
        url = f"{postgres.url}/postgres"
        ids = prepare_database(url)
        api_port = free_port()
        api = serve(command, api_environment(url), api_port)
        try:
            endpoints: dict[str, Callable[[], Request]] = {
                **read_endpoints(ids),
                "POST /api/study_sessions/:id/words/:word_id/review": lambda: (
                    "POST", f"/api/study_sessions/{ids['session']}/words/{random.choice(ids['session_words'])}/review",
                    b'{"correct": true}'),
            }
            for name, next_request in endpoints.items():
                load(api_port, next_request, 10, args.warm_up)  # warm the pools and caches
                rows.append(load(api_port, next_request, args.clients, args.seconds).row(name, args.seconds))
                print(f"done: {name}", file=sys.stderr)
        finally:
            stop_process(api, signal.SIGINT)
    bare_command = [*command]
    bare_command[bare_command.index(API_APP)] = "bench.api_bench:bare_app"
    bare_port = free_port()
    bare = serve(bare_command, {**os.environ, "PYTHONPATH": str(REPO)}, bare_port)
    try:
        load(bare_port, lambda: ("GET", "/constant", b""), 10, args.warm_up)
        rows.append(load(bare_port, lambda: ("GET", "/constant", b""), args.clients, args.seconds)
                    .row("GET /constant (bare FastAPI)", args.seconds))
    finally:
        stop_process(bare, signal.SIGINT)
    bare_rps = rows[-1][1]
    for row in rows:
        row.append(f"{100 * row[1] / bare_rps:.0f}%")
    print(f"\n{args.clients} concurrent clients, {args.seconds:g} s per endpoint, uvicorn --workers {workers}, "
          f"PostgreSQL 15, {os.cpu_count()} CPUs shared by servers and load generator\n")
    print(table(["endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "of bare"], rows, markdown=True))


if __name__ == "__main__":
    main()
