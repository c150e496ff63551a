"""JSON-lines logging to stdout with a request id (and, with telemetry on, the X-Ray trace id) on every
line, and the middleware that sets the id, writes the one access line of each request (uvicorn's own
access log is turned off) and records its metrics."""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modules.asgi import HttpMiddleware
from modules.telemetry import current_trace_id, name_server_span, record_request

REQUEST_ID_HEADER = "x-request-id"
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# An incoming id is reused only when it looks like one (ALB/X-Ray ids, UUIDs); anything else
# could smuggle text into the logs.
_ACCEPTED_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:=@/+-]{1,128}$")
_STANDARD_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
MAX_TEXT_CHARS = 200  # of a text taken from a request into a log line or an error answer
MAX_LOGGED_PATH_CHARS = 1000
MAX_LOGGED_QUERY_CHARS = 200


def bounded_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` safe to write as UTF-8 JSON (lone surrogates escaped as \\udXXX) and at most about `limit`
    characters: a longer one is cut, saying how long it was."""
    if not (text.isascii() or _encodable(text)):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.service:
            entry["service"] = self.service
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        trace_id = current_trace_id()
        if trace_id:
            entry["trace_id"] = trace_id  # X-Ray's form: the console finds the trace (when sampled) by it
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD_RECORD_FIELDS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        line = json.dumps(entry, default=str, ensure_ascii=False)
        # A lone surrogate (from a request, say) cannot be written to a UTF-8 stream: escaped instead.
        return line if line.isascii() or _encodable(line) else json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", service: str | None = None) -> None:
    """Route the root logger and uvicorn's loggers through one JSON handler on stdout. uvicorn's access
    log is off whatever its command line says: `RequestIdMiddleware` writes the one line per request."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers[:] = []
        uvicorn_logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True


class RequestIdMiddleware(HttpMiddleware):
    """Gives each request an id (reused from X-Request-Id when sane), returns it, logs one access line
    (method, path, query string, status, duration; path and query bounded in length) and records the
    request metrics (`modules.telemetry.record_request`)."""

    def __init__(self, app: ASGIApp, logger_name: str = "access") -> None:
        super().__init__(app)
        self.logger = logging.getLogger(logger_name)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if _ACCEPTED_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Not reset afterwards: each request runs in its own task (own context), and the 500 handler,
        # which runs outside this middleware, still needs the id.
        request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                name_server_span(scope, status)
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            record_request(scope, status, duration)
            line = {"method": scope["method"], "path": bounded_text(scope["path"], MAX_LOGGED_PATH_CHARS),
                    "status": status, "duration_ms": round(duration * 1000, 2)}
            if scope["query_string"]:
                line["query"] = bounded_text(scope["query_string"].decode("latin-1"), MAX_LOGGED_QUERY_CHARS)
            self.logger.info("request", extra=line)
