"""The FastAPI dependencies every app's API shares: database sessions, the AWS helpers over the app's clients
(`app.state.aws_clients`) and the AI cost guard. An app's own `deps.py` adds its settings, callers and ids."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from modules.ai_guard import AiGuard, get_ai_guard
from modules.aws import Bedrock, MediaStore, Speech
from modules.database import get_session, get_transaction


# Coroutines although they do no I/O: FastAPI runs a plain function dependency on a worker thread, and the hop
# there and back costs a request more than making the helper.
async def get_bedrock(request: Request) -> Bedrock:
    return Bedrock(request.app.state.aws_clients)


async def get_speech(request: Request) -> Speech:
    return Speech(request.app.state.aws_clients)


async def get_media(request: Request) -> MediaStore:
    return MediaStore(request.app.state.aws_clients)


DbSession = Annotated[Session, Depends(get_session)]
DbTransaction = Annotated[Session, Depends(get_transaction)]  # committed by the endpoint, rolled back otherwise
BedrockDep = Annotated[Bedrock, Depends(get_bedrock)]
SpeechDep = Annotated[Speech, Depends(get_speech)]
MediaDep = Annotated[MediaStore, Depends(get_media)]
AiGuardDep = Annotated[AiGuard, Depends(get_ai_guard)]  # every Bedrock or Polly call goes through it
