"""JSON answers for the shared typed errors, database outages, and anything unexpected (logged, never a
stack trace)."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from modules.aws import AwsFeatureDisabled, AwsThrottled, AwsUnavailable, GuardrailBlocked
from modules.json_logging import request_id_var

logger = logging.getLogger(__name__)


async def database_unavailable(_: Request, error: Exception) -> JSONResponse:
    """503 for a database that cannot be reached: SQLAlchemy's OperationalError, or a driver's own
    (register this for it where the driver is used directly)."""
    logger.error("database unavailable", extra={"error": str(getattr(error, "orig", error))})
    return JSONResponse({"detail": "the database is unavailable; try again shortly"}, status_code=503)


def install_error_handlers(app: FastAPI) -> None:
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

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.error("unhandled error", exc_info=error, extra={"path": request.url.path})
        return JSONResponse({"detail": "internal error", "request_id": request_id_var.get()}, status_code=500)
