from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from modules.health import database_check, health_response
from projects.haiku.backend.deps import Caller
from projects.haiku.backend.features import FEATURES
from projects.haiku.backend.schemas import Capabilities

router = APIRouter(tags=["health"])
HEALTH_RESPONSES = {503: {"description": "The database did not answer in time"}}


@router.get("/health", responses=HEALTH_RESPONSES)
@router.get("/api/health", responses=HEALTH_RESPONSES)
async def health(request: Request) -> JSONResponse:
    """Database round trip within HEALTH_TIMEOUT_SECONDS: 200 when it answers, 503 otherwise. No auth.
    `features` tells operators which AWS features are off and the settings that turn them on."""
    return await health_response({"database": database_check(request.app.state.engine)},
                                 request.app.state.settings.health_timeout_seconds,
                                 {"features": FEATURES.report(request.app.state.aws_clients)})


@router.get("/api/capabilities", response_model=Capabilities, tags=["capabilities"])
async def capabilities(request: Request, _: Caller) -> dict:  # async: nothing to wait for
    """Whether the chat and the media can be used here; no settings are named (that is for operators)."""
    return {"features": FEATURES.available(request.app.state.aws_clients)}
