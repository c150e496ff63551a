"""Which optional features this deployment offers. The SPA asks once and shows learners what they can use;
the operator's side (which settings are missing) is in the startup log and the health answer."""
from __future__ import annotations

from fastapi import APIRouter, Request

from modules.aws import Bedrock, Features, MediaStore, Speech
from projects.lang_portal.backend.deps import Caller
from projects.lang_portal.backend.schemas import Capabilities

router = APIRouter(prefix="/api", tags=["capabilities"])

FEATURES = Features({
    "word_audio": ("word audio", lambda clients: Speech(clients).needs() | MediaStore(clients).needs()),
    "word_picture": ("word pictures", lambda clients: Bedrock(clients).needs() | MediaStore(clients).needs()),
    "example_sentence": ("example sentences", lambda clients: Bedrock(clients).needs()),
})


@router.get("/capabilities", response_model=Capabilities)
async def capabilities(request: Request, _: Caller) -> dict:  # async: nothing to wait for
    """The optional features and whether each can be used here; no settings are named (that is for operators)."""
    return {"features": FEATURES.available(request.app.state.aws_clients)}
