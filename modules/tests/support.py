"""Test helpers other apps' tests reuse: RSA keys, Cognito-like tokens, test HTTP servers (a JWKS) on 127.0.0.1,
and botocore Stubber response bodies."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

import boto3
import jwt
from botocore.response import StreamingBody
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "http://127.0.0.1/us-east-1_TestPool"
CLIENT_ID = "test-client-id"


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: object, **headers: str) -> None:
    """Answer a test server's request with a JSON body (and any extra headers)."""
    body = json.dumps(payload).encode()
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def jwk(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def token(self, *, issuer: str = ISSUER, token_use: str = "access", audience: str = CLIENT_ID,
              sub: str = "user-1", expires_in: int = 3600, **extra: object) -> str:
        now = int(time.time())
        claims = {"sub": sub, "iss": issuer, "token_use": token_use, "iat": now, "exp": now + expires_in,
                  **({"client_id": audience} if token_use == "access" else {"aud": audience}), **extra}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


class LocalServer:
    """A test HTTP server on a free port of 127.0.0.1: bound when made, served from a thread inside
    `with`, stopped at its end."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._http.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._http.server_port}"
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)


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
