"""FastAPI dependencies: the database session, the caller, the settings, the AWS helpers and the path's haiku id.
Tests replace the caller through `app.state.authenticator`."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from modules.ai_guard import AiGuard, get_ai_guard
from modules.auth import Principal, current_principal
from modules.aws import Bedrock, MediaStore
from modules.database import get_session, get_transaction
from projects.haiku.backend.settings import HaikuSettings


def get_settings(request: Request) -> HaikuSettings:
    return request.app.state.settings


def get_bedrock(request: Request) -> Bedrock:
    return Bedrock(request.app.state.aws_clients)


def get_media(request: Request) -> MediaStore:
    return MediaStore(request.app.state.aws_clients)


DbSession = Annotated[Session, Depends(get_session)]
DbTransaction = Annotated[Session, Depends(get_transaction)]
Caller = Annotated[Principal, Depends(current_principal)]
Settings = Annotated[HaikuSettings, Depends(get_settings)]
BedrockDep = Annotated[Bedrock, Depends(get_bedrock)]
MediaDep = Annotated[MediaStore, Depends(get_media)]
AiGuardDep = Annotated[AiGuard, Depends(get_ai_guard)]  # every Bedrock or Polly call goes through it
# uuid4 hex, as the API makes them; anything else is a 422 before any query.
HaikuId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the haiku's id (32 hex digits)")]
