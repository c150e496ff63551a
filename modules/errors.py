"""JSON answers for refused requests, the shared typed errors, database outages, and anything unexpected
(logged once with its stack trace, answered without one); a UI app's refused sign-in gets its own page
(`modules.alb_identity`).

Every answer built here can be written as JSON whatever the request held: a refused value is never
echoed back (it may be a non-finite number or a lone UTF-16 surrogate, which JSON cannot carry, or just
large), and every text taken from the request (a field name in `loc`) is made writable and bounded.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.types import Message, Receive, Scope, Send

from modules.ai_guard import RateLimited
from modules.alb_identity import SignInRefused, refusal_response
from modules.asgi import HttpMiddleware
from modules.aws import AwsFeatureDisabled, AwsThrottled, AwsUnavailable, GuardrailBlocked
from modules.json_logging import bounded_text, request_id_var
from modules.telemetry import record_unhandled_error

logger = logging.getLogger(__name__)

MAX_REPORTED_PROBLEMS = 100  # of one refused request; the rest are counted
MAX_LOC_PART_CHARS = 100  # a field name from the request, as `loc` repeats it


async def database_unavailable(_: Request, error: Exception) -> JSONResponse:
    """503 for a database that cannot be reached: SQLAlchemy's OperationalError, or a driver's own
    (register this for it where the driver is used directly)."""
    logger.error("database unavailable", extra={"error": str(getattr(error, "orig", error))})
    return JSONResponse({"detail": "the database is unavailable; try again shortly"}, status_code=503)


def validation_problems(errors: Sequence[dict]) -> list[dict]:
    """Pydantic's errors as `{loc, msg, type}`: which field, and why. Without the refused `input` (and
    `ctx`, which can hold it): what the caller sent is theirs already, and may not be writable as JSON."""
    problems = [{"loc": [part if isinstance(part, int) else bounded_text(str(part), MAX_LOC_PART_CHARS)
                         for part in error.get("loc", ())],
                 "msg": bounded_text(_message(error)), "type": bounded_text(str(error.get("type", "")))}
                for error in errors[:MAX_REPORTED_PROBLEMS]]
    if len(errors) > MAX_REPORTED_PROBLEMS:
        problems.append({"loc": [], "msg": f"{len(errors) - MAX_REPORTED_PROBLEMS} more problems not listed",
                         "type": "too_many_problems"})
    return problems


def _message(error: dict) -> str:
    message = str(error.get("msg", ""))
    if error.get("type") == "json_invalid":  # FastAPI keeps the parser's reason in ctx
        reason = (error.get("ctx") or {}).get("error")
        return f"{message}: {reason}" if reason else message
    return message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def refused(_: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_problems(error.errors())}, status_code=422)

    @app.exception_handler(SignInRefused)
    async def sign_in_refused(request: Request, error: SignInRefused) -> Response:
        return refusal_response(error, request.headers.get("accept"))

    @app.exception_handler(RateLimited)
    async def rate_limited(_: Request, error: RateLimited) -> JSONResponse:
        return JSONResponse({"detail": str(error), "retry_after_seconds": error.retry_after_seconds},
                            status_code=429, headers={"Retry-After": str(error.retry_after_seconds)})

    @app.exception_handler(AwsFeatureDisabled)
    async def feature_disabled(_: Request, error: AwsFeatureDisabled) -> JSONResponse:
        return JSONResponse({"detail": str(error), "settings": error.settings}, status_code=503)

    @app.exception_handler(GuardrailBlocked)
    async def guardrail_blocked(_: Request, error: GuardrailBlocked) -> JSONResponse:
        return JSONResponse({"detail": str(error), "reason": "guardrail"}, status_code=422)

    @app.exception_handler(AwsThrottled)
    async def throttled(_: Request, error: AwsThrottled) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=429, headers={"Retry-After": "5"})

    @app.exception_handler(AwsUnavailable)
    async def unavailable(_: Request, error: AwsUnavailable) -> JSONResponse:
        logger.warning("AWS call failed", extra={"service": error.service, "error": str(error)})
        return JSONResponse({"detail": str(error)}, status_code=503)

    @app.exception_handler(SQLAlchemyTimeout)
    async def database_busy(_: Request, error: SQLAlchemyTimeout) -> JSONResponse:
        logger.warning("no database connection free in time", extra={"error": str(error)})
        return JSONResponse({"detail": "the database is busy; try again shortly"}, status_code=503,
                            headers={"Retry-After": "2"})

    app.add_exception_handler(OperationalError, database_unavailable)


INTERNAL_ERROR = b'{"detail":"internal error","request_id":"%s"}'


class UnexpectedErrorMiddleware(HttpMiddleware):
    """The last resort: an exception nothing else handled (an exception handler's own included) is logged
    once, with its stack trace, counted (and recorded on the server span), and answered `500 {"detail": "internal error", "request_id": ...}`.

    A middleware inside the ones that add the request id and the security headers, so the 500 carries
    them too; Starlette's own last resort runs outside every middleware. Nothing is raised on: the server
    would log the same stack trace again, as a second ERROR line."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking_start)
        except Exception as error:
            logger.error("unhandled error", exc_info=error, extra={"path": bounded_text(scope["path"])})
            record_unhandled_error(error)
            if started:
                return  # the answer is on its way; the server closes the connection
            body = INTERNAL_ERROR % (request_id_var.get() or "").encode()
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
