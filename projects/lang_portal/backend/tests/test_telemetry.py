"""A Lang Portal request that reads the database and asks Bedrock is one trace: in-process (Bedrock stubbed),
and over the wire, the API run as its image runs it exporting OTLP/HTTP to a receiver on 127.0.0.1."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from botocore.stub import ANY
from opentelemetry import trace

from modules import app_metrics
from modules.telemetry import xray_trace_id
from modules.tests.container import image_command, local_command
from modules.tests.postgres import free_port
from modules.tests.support import LocalServer, converse_response, send_json, stop_process
from modules.tests.telemetry import OtlpReceiver, recorded  # noqa: F401
from projects.lang_portal.backend.tests.conftest import API_KEY
from projects.lang_portal.backend.tests.test_assist import HELLO, SENTENCE, running_with_aws
from projects.lang_portal.backend.tests.helpers import GREETINGS, group_word_ids, review, start_session
from projects.lang_portal.backend.tests.test_container import wait_for_health

BACKEND = Path(__file__).parents[1]
REPO = BACKEND.parents[2]
SENTENCE_PATH = f"/api/words/{HELLO}/example_sentence"


def test_a_request_that_reads_the_database_and_asks_bedrock_is_one_trace(postgres_url, recorded, capsys):
    with running_with_aws(postgres_url, log_level="INFO") as client, client.stub("bedrock-runtime") as bedrock:
        bedrock.add_response("converse", converse_response(SENTENCE), expected_params={
            "modelId": ANY, "system": ANY, "messages": ANY, "inferenceConfig": ANY, "guardrailConfig": ANY})
        capsys.readouterr()
        response = client.post(SENTENCE_PATH)
    assert response.status_code == 200
    spans = recorded.spans()
    [server] = [s for s in spans if s.kind is trace.SpanKind.SERVER]
    assert server.name == "POST /api/words/{word_id}/example_sentence"
    trace_id = server.context.trace_id
    below = [s for s in spans if s.context.trace_id == trace_id and s is not server]
    database = [s for s in below if s.attributes.get("db.system") == "postgresql"]
    bedrock_calls = [s for s in below if s.attributes.get("rpc.service") == "Bedrock Runtime"]
    assert database and len(bedrock_calls) == 1, [(s.name, dict(s.attributes)) for s in spans]
    assert all(s.kind is trace.SpanKind.CLIENT for s in database + bedrock_calls)
    assert bedrock_calls[0].attributes["rpc.method"] == "Converse"
    assert any(s.attributes.get("db.statement", "").startswith("SELECT") for s in database)
    [access] = [json.loads(line) for line in capsys.readouterr().out.splitlines()
                if line.startswith("{") and '"logger": "access"' in line and SENTENCE_PATH in line]
    assert access["trace_id"] == xray_trace_id(trace_id)


def test_a_review_is_one_trace_down_to_its_statement_on_the_async_connections(postgres_url, recorded):
    """The review, the hot path, runs on async psycopg connections, not SQLAlchemy: its statement is a span too."""
    with running_with_aws(postgres_url) as client:
        session = start_session(client, GREETINGS, user="tracy")
        word = group_word_ids(client, GREETINGS, user="tracy")[0]
        started = len(recorded.spans())
        assert review(client, session, word, True, user="tracy")
    spans = recorded.spans()[started:]
    [server] = [s for s in spans if s.kind is trace.SpanKind.SERVER]
    assert server.name == "POST /api/study_sessions/{session_id}/words/{word_id}/review"
    statements = [s for s in spans if s.context.trace_id == server.context.trace_id
                  and s.attributes.get("db.system") == "postgresql"]
    assert statements and all(s.kind is trace.SpanKind.CLIENT for s in statements)
    assert any("word_review_items" in s.attributes.get("db.statement", "") for s in statements)


class FakeBedrock(LocalServer):
    """Bedrock Runtime's Converse for a process we cannot stub: every call answers the sentence."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.calls.append(self.path)
                send_json(self, 200, converse_response(SENTENCE))

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


def test_the_api_exports_its_spans_and_metrics_over_otlp_http(postgres_url, tmp_path):
    port = free_port()
    with OtlpReceiver() as receiver, FakeBedrock() as bedrock:
        env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": postgres_url, "LOCAL_MODE": "true",
               "LANG_PORTAL_API_KEY": API_KEY, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.origin,
               "GUARDRAIL_ID": "gr-lang", "GUARDRAIL_VERSION": "1", "SERVICE_VERSION": "abc123",
               # as the task definitions set them, but to this receiver and exported each second
               "OTEL_SERVICE_NAME": "lang-portal-api", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.origin,
               "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
               "OTEL_TRACES_SAMPLER_ARG": "1", "OTEL_METRIC_EXPORT_INTERVAL": "1000", "OTEL_BSP_SCHEDULE_DELAY": "200",
               "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
               "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION": "base2_exponential_bucket_histogram",
               "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=test"}
        server = subprocess.Popen(local_command(image_command(BACKEND / "Dockerfile"), port), cwd=REPO, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            wait_for_health(f"http://127.0.0.1:{port}/health", server)
            origin = f"http://127.0.0.1:{port}"
            assert status("POST", f"{origin}{SENTENCE_PATH}") == 200
            assert status("GET", f"{origin}/api/groups", {"X-Api-Key": "not-the-key"}) == 401
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not _has_everything(receiver):
                time.sleep(0.2)
        finally:
            stop_process(server, signal.SIGINT)
    assert bedrock.calls == ["/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"]
    spans = receiver.spans()
    [(resource, request)] = [(r, s) for r, s in spans if s.name == "POST /api/words/{word_id}/example_sentence"]
    assert resource["service.name"] == "lang-portal-api" and resource["service.version"] == "abc123"
    assert resource["deployment.environment.name"] == "test"
    same_trace = [s for _, s in spans if s.trace_id == request.trace_id and s is not request]
    kinds = {attribute.key: attribute.value.string_value for s in same_trace for attribute in s.attributes
             if attribute.key in ("db.system", "rpc.service")}
    assert kinds == {"db.system": "postgresql", "rpc.service": "Bedrock Runtime"}
    points = receiver.metric_points()
    durations = [(m, p) for _, m, p in points if m.name == app_metrics.REQUEST_DURATION.name]
    assert {app_metrics.ROUTE: "/api/words/{word_id}/example_sentence", app_metrics.STATUS_CLASS: "2xx"} in [
        p for _, p in durations]
    assert all(m.WhichOneof("data") == "exponential_histogram" and m.exponential_histogram.aggregation_temporality
               == 1 for m, _ in durations)  # delta, as the collector's EMF exporter needs
    assert {resource["service.name"] for resource, _, _ in points} == {"lang-portal-api"}
    assert [p for _, m, p in points if m.name == app_metrics.AUTH_FAILURES.name] == [
        {app_metrics.REASON: "invalid_api_key"}]


def status(method: str, url: str, headers: dict[str, str] | None = None) -> int:
    """A request without a trace header: urllib, which this process does not trace (its httpx calls carry
    this process's own unsampled decision, which the API would follow)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers or {}), timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _has_everything(receiver: OtlpReceiver) -> bool:
    names = {m.name for _, m, _ in receiver.metric_points()}
    return (any(s.name.startswith("POST /api/words") for _, s in receiver.spans())
            and {app_metrics.REQUEST_DURATION.name, app_metrics.AUTH_FAILURES.name} <= names)
