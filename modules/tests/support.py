"""Test helpers other apps' tests reuse: RSA keys, Cognito-like tokens, test HTTP servers (a JWKS) on 127.0.0.1,
an app's API as a real server process, the processes a launcher started (`descendants`), request bodies validated
in lax mode (`lax_request_bodies`), botocore Stubber response bodies, and a Stubber for concurrent and streamed
calls."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from pprint import pformat

import boto3
import pytest
from botocore.exceptions import StubAssertionError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from botocore.validate import validate_parameters
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, TypeAdapter

from local_platform import identity
from local_platform.serving import LocalServer, send_json
from modules.tests.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
ISSUER = "http://127.0.0.1/us-east-1_TestPool"
CLIENT_ID = "test-client-id"


class SigningKey(identity.SigningKey):
    """An RSA key whose tokens are, unless told otherwise, the test pool's (ISSUER) for its client (CLIENT_ID)."""

    def token(self, *, issuer: str = ISSUER, audience: str = CLIENT_ID, **claims: object) -> str:
        return super().token(issuer=issuer, audience=audience, **claims)


class JwksServer(LocalServer):
    """Serves {"keys": [...]} at /jwks.json on a free 127.0.0.1 port; counts fetches; keys can change.
    `hold()` makes the answers wait (`fetch_arrived` is set when one does) until `release()`."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = keys
        self.fetches = 0
        self.fetch_arrived = threading.Event()
        self._open = threading.Event()
        self._open.set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                server.fetch_arrived.set()
                server._open.wait(10)
                try:
                    send_json(self, 200, {"keys": [key.jwk for key in server.keys]})
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (what the timeout tests make it do)

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)
        self.url = f"{self.origin}/jwks.json"

    def hold(self) -> None:
        self.fetch_arrived.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def __exit__(self, *exc: object) -> None:
        self.release()
        super().__exit__(*exc)


USAGE = {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15}
GUARDRAIL_USAGE = {"topicPolicyUnits": 1, "contentPolicyUnits": 1, "wordPolicyUnits": 1,
                   "sensitiveInformationPolicyUnits": 1, "sensitiveInformationPolicyFreeUnits": 0,
                   "contextualGroundingPolicyUnits": 0}


def stream(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def fake_session() -> boto3.Session:
    """Credentials that sign requests (presigned URLs, Stubber) but never reach AWS."""
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


def converse_response(text: str, stop_reason: str = "end_turn") -> dict:
    return {"output": {"message": {"role": "assistant", "content": [{"text": text}]}}, "stopReason": stop_reason,
            "usage": USAGE, "metrics": {"latencyMs": 12}}


def tool_use_response(name: str, arguments: object, stop_reason: str = "tool_use") -> dict:
    """A Converse answer in which the model calls tool `name` with `arguments`."""
    return {"output": {"message": {"role": "assistant", "content": [
        {"toolUse": {"toolUseId": "tooluse_1", "name": name, "input": arguments}}]}},
        "stopReason": stop_reason, "usage": USAGE, "metrics": {"latencyMs": 12}}


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, their children, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, ended but not yet waited for, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def lax_request_bodies(app: FastAPI) -> list[str]:
    """The JSON body models of `app`'s routes, and the models they hold, that pydantic validates in lax mode (not
    derived from modules.schemas.RequestBody), those of included routers too: "POST /path: Model" each."""
    lax = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.body_field is not None:
            for model in _models_in(TypeAdapter(route.body_field.field_info.annotation).core_schema):
                if not model.model_config.get("strict"):
                    lax.append(f"{' '.join(sorted(route.methods))} {route.path}: {model.__name__}")
    return lax


def _models_in(schema: object) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    pending = [schema]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if item.get("type") == "model" and item["cls"] not in found:
                found.append(item["cls"])
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


def stop_process(process: subprocess.Popen, stop_signal: int = signal.SIGTERM, timeout: float = 30) -> str:
    """Asks a server process to stop with `stop_signal`, waits up to `timeout` seconds, then kills it (with
    its whole process group when it leads one: a supervisor's workers). Returns what it wrote to a pipe."""
    process.send_signal(stop_signal)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        output, _ = process.communicate()
    return output or ""


@contextmanager
def running_api(app: str, log_path: Path, settings: Mapping[str, str], health: str = "/api/health"
                ) -> Iterator[str]:
    """`app` ("package.module:app") under uvicorn on a free port with only `settings` (environment variables);
    yields its origin once `health` answers 200, and stops it."""
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONPATH": str(REPO),
           "LOG_LEVEL": "WARNING", **settings}
    with log_path.open("w+") as log:
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
                                   "--no-access-log"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        origin = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    log.seek(0)
                    pytest.fail(f"the API exited with {server.returncode}:\n{log.read()[-4000:]}", pytrace=False)
                try:
                    with urllib.request.urlopen(f"{origin}{health}", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("the API did not become healthy within 60 s", pytrace=False)
                time.sleep(0.2)
            yield origin
        finally:
            stop_process(server, timeout=10)



class ConcurrentStubber(Stubber):
    """A Stubber for clients called from several threads at once, in no set order: each call takes the first
    queued response of its operation whose expected_params match it (not simply the next one). Event-stream
    answers (ConverseStream's `stream`) are given as a list of event dicts, each checked against the stream's
    event shapes, and reach the caller as that list, which iterates as botocore's EventStream does."""

    def __init__(self, client) -> None:
        super().__init__(client)
        self._lock = threading.Lock()

    def _assert_expected_params(self, model, params, context, **kwargs):
        if self._should_not_stub(context):
            return
        with self._lock:
            for index, queued in enumerate(self._queue):
                expected = queued["expected_params"]
                if queued["operation_name"] == model.name and (expected is None or expected == params):
                    del self._queue[index]
                    context["stubbed_response"] = queued["response"]
                    return
        raise StubAssertionError(operation_name=model.name,
                                 reason=f"no queued response matches the call:\n{pformat(params)}")

    def _get_response_handler(self, model, params, context, **kwargs):
        return context.pop("stubbed_response")

    def _validate_operation_response(self, operation_name, service_response):
        shape = self.client.meta.service_model.operation_model(operation_name).output_shape
        streams = {name: member for name, member in (shape.members.items() if shape else ())
                   if member.serialization.get("eventstream")}
        for name, stream_shape in streams.items():
            for event in service_response.get(name, []):
                validate_parameters(event, stream_shape)
        super()._validate_operation_response(
            operation_name, {key: value for key, value in service_response.items() if key not in streams})


def stream_events(*texts: str, stop_reason: str = "end_turn") -> dict:
    """A ConverseStream answer (for ConcurrentStubber) writing `texts` one piece after another."""
    return {"stream": [{"messageStart": {"role": "assistant"}},
                       *({"contentBlockDelta": {"delta": {"text": text}, "contentBlockIndex": 0}} for text in texts),
                       {"contentBlockStop": {"contentBlockIndex": 0}},
                       {"messageStop": {"stopReason": stop_reason}},
                       {"metadata": {"usage": USAGE, "metrics": {"latencyMs": 12}}}]}
