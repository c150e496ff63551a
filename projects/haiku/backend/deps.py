"""FastAPI dependencies beside the shared ones (database sessions in `modules.database`, AWS helpers in
`modules.aws`, the AI guard in `modules.ai_guard`): the caller, the settings and the path's haiku id. Tests
replace the caller through `app.state.authenticator`."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from modules.auth import Principal, current_principal
from projects.haiku.backend.settings import HaikuSettings


def get_settings(request: Request) -> HaikuSettings:
    return request.app.state.settings


Caller = Annotated[Principal, Depends(current_principal)]
Settings = Annotated[HaikuSettings, Depends(get_settings)]
# uuid4 hex, as the API makes them; anything else is a 422 before any query.
HaikuId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the haiku's id (32 hex digits)")]
