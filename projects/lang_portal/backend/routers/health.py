from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from modules.health import database_check, health_response
from projects.lang_portal.backend.routers.capabilities import feature_report

router = APIRouter(tags=["health"])


HEALTH_RESPONSES = {503: {"description": "The database did not answer in time"}}


@router.get("/health", responses=HEALTH_RESPONSES)
@router.get("/api/health", responses=HEALTH_RESPONSES)
async def health(request: Request) -> JSONResponse:
    """Database round trip within HEALTH_TIMEOUT_SECONDS: 200 when it answers, 503 otherwise. No auth.
    `features` tells operators which optional AWS features are off and the settings that turn them on."""
    settings = request.app.state.settings
    return await health_response({"database": database_check(request.app.state.engine)},
                                 settings.health_timeout_seconds,
                                 {"features": feature_report(request.app.state.aws_clients)})
