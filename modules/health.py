"""Health checks: each dependency check runs with a short timeout; any failure answers 503."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)


def database_check(engine: Engine) -> Callable[[], None]:
    """A round trip to the database: `SELECT 1` on a pooled connection."""

    def check() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()

    return check


async def health_response(checks: Mapping[str, Callable[[], None]], timeout_seconds: float,
                          details: Mapping[str, object] | None = None) -> JSONResponse:
    """200 {"status": "ok", ...} when every check passes within the timeout, else 503 naming the failures.
    `details` (e.g. which optional features are configured) are added to the answer and decide nothing."""
    results = await asyncio.gather(*(_run(name, check, timeout_seconds) for name, check in checks.items()))
    outcome = dict(zip(checks, results))
    healthy = all(result == "ok" for result in results)
    return JSONResponse({"status": "ok" if healthy else "unavailable", "checks": outcome, **(details or {})},
                        status_code=200 if healthy else 503)


async def _run(name: str, check: Callable[[], None], timeout_seconds: float) -> str:
    try:
        await asyncio.wait_for(run_in_threadpool(check), timeout_seconds)
        return "ok"
    except asyncio.TimeoutError:
        logger.warning("health check timed out", extra={"check": name, "timeout_seconds": timeout_seconds})
        return f"timed out after {timeout_seconds:g}s"
    except Exception as error:  # a failing dependency is the answer here, not a crash
        logger.warning("health check failed", extra={"check": name, "error": repr(error)})
        return f"failed: {type(error).__name__}"
