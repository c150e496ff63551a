"""JSON-lines logging to stdout with a request id (and, with telemetry on, the X-Ray trace id) on every
line. The request id, and each request's one access line, come from `modules.request_telemetry`
(uvicorn's own access log is turned off)."""
from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import datetime, timezone

from modules.telemetry import current_trace_id

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

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
    log is off whatever its command line says: `RequestTelemetryMiddleware` writes the one line per request."""
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
