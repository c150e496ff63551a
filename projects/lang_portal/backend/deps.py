"""FastAPI dependencies: the database session, the caller, the settings and the AWS helpers.
Tests replace them with `app.dependency_overrides`, except the caller: replace `app.state.authenticator`,
through which the response cache identifies callers too."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from modules.ai_guard import AiGuard, get_ai_guard
from modules.auth import Principal, current_principal, current_user
from modules.aws import Bedrock, MediaStore, Speech
from modules.response_cache import Invalidation
from projects.lang_portal.backend.db import get_session, get_transaction
from projects.lang_portal.backend.settings import LangPortalSettings


def get_settings(request: Request) -> LangPortalSettings:
    return request.app.state.settings


async def get_invalidation(request: Request) -> Invalidation:  # async: no thread hop for a lookup
    return request.app.state.invalidation


def get_bedrock(request: Request) -> Bedrock:
    return Bedrock(request.app.state.aws_clients)


def get_speech(request: Request) -> Speech:
    return Speech(request.app.state.aws_clients)


def get_media(request: Request) -> MediaStore:
    return MediaStore(request.app.state.aws_clients)


DbSession = Annotated[Session, Depends(get_session)]
DbTransaction = Annotated[Session, Depends(get_transaction)]
# The signed-in user (a service's API key is a 403); only the shared-vocabulary import also takes the service key.
Caller = Annotated[Principal, Depends(current_user)]
Importer = Annotated[Principal, Depends(current_principal)]
Settings = Annotated[LangPortalSettings, Depends(get_settings)]
# Every write records whose data it changed (`changes.record(db, owner)` before its commit), so no cached
# read answer outlives it.
Changes = Annotated[Invalidation, Depends(get_invalidation)]
BedrockDep = Annotated[Bedrock, Depends(get_bedrock)]
SpeechDep = Annotated[Speech, Depends(get_speech)]
MediaDep = Annotated[MediaStore, Depends(get_media)]
AiGuardDep = Annotated[AiGuard, Depends(get_ai_guard)]  # every Bedrock or Polly call goes through it

# Ids are 32-bit integers in the database; anything outside is simply not found (404) or invalid (422).
ResourceId = Annotated[int, Path(ge=1, le=2**31 - 1)]
