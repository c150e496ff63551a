"""FastAPI dependencies beside the shared ones (database sessions in `modules.database`, AWS helpers in
`modules.aws`, the AI guard in `modules.ai_guard`): the caller, the settings and the response cache's
invalidation. Tests replace them with `app.dependency_overrides`, except the caller: replace
`app.state.authenticator`, through which the response cache identifies callers too."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from modules.auth import Principal, current_principal, current_user
from modules.response_cache import Invalidation
from projects.lang_portal.backend.settings import LangPortalSettings


def get_settings(request: Request) -> LangPortalSettings:
    return request.app.state.settings


async def get_invalidation(request: Request) -> Invalidation:  # async: no thread hop for a lookup
    return request.app.state.invalidation


# The signed-in user (a service's API key is a 403); only the shared-vocabulary import also takes the service key.
Caller = Annotated[Principal, Depends(current_user)]
Importer = Annotated[Principal, Depends(current_principal)]
Settings = Annotated[LangPortalSettings, Depends(get_settings)]
# Every write records whose data it changed (`changes.record(db, owner)` before its commit), so no cached
# read answer outlives it.
Changes = Annotated[Invalidation, Depends(get_invalidation)]

# Ids are 32-bit integers in the database; anything outside is simply not found (404) or invalid (422).
ResourceId = Annotated[int, Path(ge=1, le=2**31 - 1)]
