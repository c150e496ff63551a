"""`RequestTelemetryMiddleware`: what each request of a web app leaves behind, made in one middleware (one
layer of the stack for all of it, on the path of every cached read):

- its id: X-Request-Id reused when it looks like one, else a new one; returned in the answer and on every
  log line of the request (`modules.json_logging.request_id_var`);
- with telemetry on, its server span (`modules.telemetry.ServerSpans`), current while the app runs;
- its one access log line (method, path, query string, status, duration; path and query bounded in length;
  uvicorn's own access log is off);
- its metrics (`modules.telemetry.record_request`: duration by route and status class).
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modules.asgi import HttpMiddleware
from modules.json_logging import MAX_LOGGED_PATH_CHARS, MAX_LOGGED_QUERY_CHARS, bounded_text, request_id_var
from modules.telemetry import record_request, server_spans

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()
# An incoming id is reused only when it looks like one (ALB/X-Ray ids, UUIDs); anything else
# could smuggle text into the logs.
_ACCEPTED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:=@/+-]{1,128}$")


class RequestTelemetryMiddleware(HttpMiddleware):
    """The module docstring's four, for every HTTP request. `traced=False`: no server span even with telemetry
    on (for an app whose server spans something else makes)."""

    def __init__(self, app: ASGIApp, logger_name: str = "access", traced: bool = True) -> None:
        super().__init__(app)
        self.logger = logging.getLogger(logger_name)
        self.spans = server_spans() if traced else None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        incoming = headers.get(_REQUEST_ID_HEADER, b"").decode("latin-1")
        request_id = incoming if _ACCEPTED_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Not reset afterwards: each request runs in its own task (own context), and the 500 handler,
        # which runs outside this middleware, still needs the id.
        request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        span = self.spans.start(scope, headers) if self.spans is not None else None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if span is not None:
                    self.spans.name(span, scope, status)
                message["headers"] = [*message.get("headers", []), (_REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            try:
                duration = time.perf_counter() - started
                record_request(scope, status, duration)
                line = {"method": scope["method"], "path": bounded_text(scope["path"], MAX_LOGGED_PATH_CHARS),
                        "status": status, "duration_ms": round(duration * 1000, 2)}
                if scope["query_string"]:
                    line["query"] = bounded_text(scope["query_string"].decode("latin-1"), MAX_LOGGED_QUERY_CHARS)
                self.logger.info("request", extra=line)  # in the span's trace: the line carries its id
            finally:
                if span is not None:
                    self.spans.finish(span)
