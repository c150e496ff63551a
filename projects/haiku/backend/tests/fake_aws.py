"""Bedrock and Polly as a local HTTP server, for the tests and the benchmark that run the Haiku API in another
process: the app's boto3 clients reach it through boto3's own endpoint settings (AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
AWS_ENDPOINT_URL_POLLY), so nothing in the app knows. It answers as the services do, on the wire (JSON, the
event stream of ConverseStream, audio bytes), each after a configurable latency:

- the chat: a reply that proposes LINES, streamed in pieces (the first after `first_chunk_seconds`);
- a translation (the system prompt asks for one): the Japanese of the line; image descriptions: a JSON list;
- ApplyGuardrail: nothing to object to; the image model: a small PNG; Polly: MP3 bytes.

`python -m projects.haiku.backend.tests.fake_aws` serves it until stopped (for trying the app by hand)."""
from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

from modules.tests.eventstream import event_message
from modules.tests.support import GUARDRAIL_USAGE, USAGE, LocalServer, converse_response, send_json
from projects.haiku.backend.media import DESCRIPTION_PROMPT, TRANSLATION_PROMPT

LINES = ["An old silent pond", "A frog jumps into the pond", "Splash! Silence again"]
JAPANESE = dict(zip(LINES, ["古池や", "蛙飛び込む", "水の音"]))
REPLY = ["Here is a haiku ", "about your pond:\n\n", "Haiku:\n", "\n".join(LINES)]
# A 1x1 PNG: what a browser shows for each picture.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64


@dataclass
class Latencies:
    first_chunk_seconds: float = 0.0  # chat: until the first piece of the answer
    chat_seconds: float = 0.0  # chat: the whole answer (pieces spread over it)
    converse_seconds: float = 0.0  # a description call
    translation_seconds: float = 0.0  # one line's translation
    speech_seconds: float = 0.0
    image_seconds: float = 0.0


@dataclass
class Calls:
    counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1


class FakeAws(LocalServer):
    def __init__(self, latencies: Latencies | None = None) -> None:
        self.latencies = latencies or Latencies()
        self.calls = Calls()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = unquote(self.path.split("?", 1)[0])
                if path.endswith("/converse-stream"):
                    owner._stream_chat(self)
                elif path.endswith("/converse"):
                    owner._converse(self, json.loads(body))
                elif path.endswith("/apply"):
                    owner.calls.add("apply_guardrail")
                    send_json(self, 200, {"usage": GUARDRAIL_USAGE, "action": "NONE", "outputs": [], "assessments": []})
                elif path.endswith("/invoke"):
                    owner.calls.add("image")
                    time.sleep(owner.latencies.image_seconds)
                    send_json(self, 200, {"images": [base64.b64encode(PNG).decode()]})
                elif path == "/v1/speech":
                    owner.calls.add("speech")
                    time.sleep(owner.latencies.speech_seconds)
                    self.send_response(200)
                    self.send_header("Content-Type", "audio/mpeg")
                    self.send_header("Content-Length", str(len(MP3)))
                    self.end_headers()
                    self.wfile.write(MP3)
                else:
                    send_json(self, 404, {"message": f"no fake for {path}"})

        super().__init__(Handler)

    def _converse(self, handler: BaseHTTPRequestHandler, request: dict) -> None:
        system = request.get("system", [{}])[0].get("text", "")
        prompt = request["messages"][-1]["content"][0]["text"]
        if system == TRANSLATION_PROMPT:
            self.calls.add("translation")
            time.sleep(self.latencies.translation_seconds)
            answer = JAPANESE.get(prompt, "古い池")
        elif system == DESCRIPTION_PROMPT:
            self.calls.add("description")
            time.sleep(self.latencies.converse_seconds)
            answer = json.dumps([f"A quiet ink painting of: {line}" for line in prompt.splitlines()])
        else:
            self.calls.add("converse")
            time.sleep(self.latencies.converse_seconds)
            answer = "".join(REPLY)
        send_json(handler, 200, converse_response(answer))

    def _stream_chat(self, handler: BaseHTTPRequestHandler) -> None:
        self.calls.add("chat")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/vnd.amazon.eventstream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()

        def chunk(data: bytes) -> None:
            handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            handler.wfile.flush()

        chunk(event_message("messageStart", {"role": "assistant"}))
        time.sleep(self.latencies.first_chunk_seconds)
        rest = max(0.0, self.latencies.chat_seconds - self.latencies.first_chunk_seconds) / max(1, len(REPLY) - 1)
        for number, piece in enumerate(REPLY):
            if number:
                time.sleep(rest)
            chunk(event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}}))
        chunk(event_message("contentBlockStop", {"contentBlockIndex": 0}))
        chunk(event_message("messageStop", {"stopReason": "end_turn"}))
        chunk(event_message("metadata", {"usage": USAGE, "metrics": {"latencyMs": 1}}))
        handler.wfile.write(b"0\r\n\r\n")

    def environment(self) -> dict[str, str]:
        """What a process needs to send its Bedrock and Polly calls here (boto3's own settings)."""
        return {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.origin, "AWS_ENDPOINT_URL_POLLY": self.origin,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


if __name__ == "__main__":
    with FakeAws(Latencies(first_chunk_seconds=0.5, chat_seconds=1.5, image_seconds=1.0)) as fake:
        print(f"fake Bedrock and Polly on {fake.origin}; for the API:", flush=True)
        print(" ".join(f"{name}={value}" for name, value in fake.environment().items()), flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
