"""Haiku API: `python -m bench.haiku_bench [--runs 3] [--clients 50] [--workflows 10]` (hold the heavy lock).

The API runs as its image does (the Dockerfile's CMD: modules.serve, its worker count) on 127.0.0.1 against a
fresh PostgreSQL, signing users in with real RS256 tokens from a local JWKS; S3 is the moto emulator; Bedrock
and Polly are a local fake (projects/haiku/backend/tests/fake_aws.py) answering after the issue's latencies:
chat 1.5 s (its first piece after 1.0 s), a description call 1.5 s, translation 0.8 s per line, Polly 0.3 s,
image 4 s. Media links go through MEDIA_BASE_URL, as in AWS. Three measurements:

1. the media workflow: from the accept's answer until GET shows `completed`, over its critical path
   (describe 1.5 + image 4 = 5.5 s; every step in sequence would be 16.8 s); target <= 1.2;
2. the chat's first streamed piece as the browser gets it, over the fake's first-chunk delay; target <= 1.2;
3. p95 of GET /api/haiku at `--clients` clients while `--workflows` workflows (of as many learners) run; < 100 ms.
"""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path

import boto3
import httpx
from sqlalchemy import create_engine

from bench.api_bench import load, serve
from modules.tests.container import image_command
from modules.tests.postgres import TemporaryPostgres, free_port
from modules.tests.support import CLIENT_ID, ISSUER, JwksServer, SigningKey, stop_process
from projects.haiku.backend.migrate import MIGRATIONS
from projects.haiku.backend.tests.fake_aws import FakeAws, Latencies
from toolkit.emulator import Emulator
from toolkit.report import table

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "projects/haiku/backend/Dockerfile"
LATENCIES = Latencies(first_chunk_seconds=1.0, chat_seconds=1.5, converse_seconds=1.5, translation_seconds=0.8,
                      speech_seconds=0.3, image_seconds=4.0)
CRITICAL_PATH = LATENCIES.converse_seconds + LATENCIES.image_seconds
SEQUENTIAL = 3 * LATENCIES.translation_seconds + 3 * LATENCIES.speech_seconds + LATENCIES.converse_seconds \
    + 3 * LATENCIES.image_seconds
BUCKET = "app-dw-media"


class Learner:
    def __init__(self, api: str, key: SigningKey, number: int) -> None:
        self.api = api
        self.token = key.token(sub=f"bench-learner-{number:02d}", expires_in=3600)
        self.client = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)

    def agreed_haiku(self) -> str:
        haiku_id = self.client.post("/api/haiku").raise_for_status().json()["haiku_id"]
        self.client.post(f"/api/chat/{haiku_id}", json={"message": "a frog and an old pond"}).raise_for_status()
        return haiku_id

    def first_piece_seconds(self, haiku_id: str) -> float:
        started = time.perf_counter()
        with self.client.stream("POST", f"/api/chat/{haiku_id}/stream", json={"message": "once more"}) as answer:
            answer.raise_for_status()
            for line in answer.iter_lines():
                if line.startswith("event: delta"):
                    return time.perf_counter() - started
        raise SystemExit("the stream carried no piece of the answer")

    def accept(self, haiku_id: str) -> None:
        answer = self.client.post(f"/api/haiku/{haiku_id}/accept")
        if answer.status_code != 202:
            raise SystemExit(f"accept answered {answer.status_code}: {answer.text}")

    def wait_completed(self, haiku_id: str, timeout: float = 120) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            status = self.client.get(f"/api/haiku/{haiku_id}").json()["status"]
            if status == "completed":
                return time.perf_counter()
            if status == "failed":
                raise SystemExit(f"haiku {haiku_id} failed")
            time.sleep(0.02)
        raise SystemExit(f"haiku {haiku_id} not completed in {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="workflow and first-piece measurements (medians)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workflows", type=int, default=10)
    parser.add_argument("--window", type=float, default=5.0, help="seconds of GET load while the workflows run")
    args = parser.parse_args()
    command = image_command(DOCKERFILE)
    key = SigningKey("bench")
    with TemporaryPostgres(durable=True) as postgres, JwksServer([key]) as jwks, FakeAws(LATENCIES) as fake, \
            Emulator(Path("/tmp") / f"haiku-bench-moto-{os.getpid()}.log") as moto:
        url = f"{postgres.url}/postgres"
        engine = create_engine(url)
        MIGRATIONS.prepare(engine)
        engine.dispose()
        boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
               "COGNITO_ISSUER": ISSUER, "COGNITO_JWKS_URL": jwks.url, "COGNITO_CLIENT_IDS": CLIENT_ID,
               "AWS_DEFAULT_REGION": "us-east-1", "GUARDRAIL_ID": "gr-bench", "GUARDRAIL_VERSION": "1",
               "MEDIA_BUCKET": BUCKET, "MEDIA_PREFIX": "haiku/", "AWS_ENDPOINT_URL_S3": moto.url,
               # As in AWS (the backend workspace sets it): links through the site's CDN, not presigned.
               "MEDIA_BASE_URL": "https://haiku.app-dw.net",
               "AI_CALL_BURST": "1000", **fake.environment()}
        server = serve(command, env, port, ready_path="/health")
        api = f"http://127.0.0.1:{port}"
        try:
            rows = measure(api, key, port, args)
        finally:
            stop_process(server, timeout=30)
    print(table(["measure", "value", "reference", "ratio / p95", "target", "met"], rows, markdown=True))


def measure(api: str, key: SigningKey, port: int, args) -> list[list[object]]:
    learners = [Learner(api, key, number) for number in range(max(args.workflows, 1))]
    walls, firsts = [], []
    for run in range(args.runs):
        learner = learners[0]
        haiku_id = learner.agreed_haiku()
        firsts.append(learner.first_piece_seconds(haiku_id))
        started = time.perf_counter()
        learner.accept(haiku_id)
        walls.append(learner.wait_completed(haiku_id) - started)
        print(f"run {run + 1}: workflow {walls[-1]:.2f} s, first piece {firsts[-1] * 1000:.0f} ms", flush=True)
    wall, first = statistics.median(walls), statistics.median(firsts)

    haikus = [(learner, learner.agreed_haiku()) for learner in learners]
    result: dict = {}
    loading = threading.Thread(target=lambda: result.update(load=load(
        port, lambda: ("GET", "/api/haiku", b""), args.clients, args.window,
        headers=f"Authorization: Bearer {learners[0].token}\r\n")))
    started = time.perf_counter()
    for learner, haiku_id in haikus:
        learner.accept(haiku_id)
    loading.start()
    loading.join()
    window_end = time.perf_counter()
    finished = [learner.wait_completed(haiku_id) for learner, haiku_id in haikus]
    running_through = sum(done > window_end for done in finished)
    latencies = sorted(1000 * x for x in result["load"].latencies)
    p95 = latencies[int(0.95 * len(latencies))]
    print(f"{len(latencies)} GETs in {args.window:.0f} s, {result['load'].errors} errors; {running_through} of "
          f"{len(haikus)} workflows still running when the load stopped; all done after "
          f"{max(finished) - started:.1f} s", flush=True)
    return [
        ["media workflow wall time (median)", f"{wall:.2f} s", f"critical path {CRITICAL_PATH:.1f} s "
         f"(sequential {SEQUENTIAL:.1f} s)", f"{wall / CRITICAL_PATH:.2f}", "<= 1.2", wall / CRITICAL_PATH <= 1.2],
        ["first streamed piece (median)", f"{first * 1000:.0f} ms",
         f"first-chunk delay {LATENCIES.first_chunk_seconds * 1000:.0f} ms",
         f"{first / LATENCIES.first_chunk_seconds:.2f}", "<= 1.2", first / LATENCIES.first_chunk_seconds <= 1.2],
        [f"GET /api/haiku, {args.clients} clients, {args.workflows} workflows running",
         f"{len(latencies) / args.window:.0f} req/s", f"{result['load'].errors} errors", f"p95 {p95:.1f} ms",
         "< 100 ms", p95 < 100],
    ]


if __name__ == "__main__":
    main()
