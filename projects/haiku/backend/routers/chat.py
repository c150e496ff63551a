"""`POST /api/chat/{haiku_id}` (the answer at once), `POST /api/chat/{haiku_id}/stream` (the answer as it is
written, server-sent events) and `GET /api/chat/{haiku_id}/history`.

Everything that can refuse a turn does so before the model is asked, as a plain JSON answer: not found (404),
not editable (409), chat not configured (503), the caller's AI budget spent (429), Bedrock refusing the call
(429/503). Once a stream has started, a failure is its last event: `error` {detail, status, reason?}."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from modules.ai_guard import AiGuardDep
from modules.aws import AwsThrottled, AwsUnavailable, BedrockDep, GuardrailBlocked, MediaDep, TextStream
from modules.database import DbSession
from modules.routing import ThreadedEndpointRoute
from projects.haiku.backend.chat import SYSTEM_PROMPT, conversation, editable_haiku, store_turn
from projects.haiku.backend.deps import Caller, HaikuId, Settings
from projects.haiku.backend.features import FEATURES
from projects.haiku.backend.models import ChatHistory, Haiku
from projects.haiku.backend.schemas import ChatHistoryOut, ChatIn, ChatOut
from projects.haiku.backend.views import haiku_view, own_haiku

router = APIRouter(prefix="/api/chat", tags=["chat"], route_class=ThreadedEndpointRoute)

CHANGED_MEANWHILE = "the haiku was accepted or deleted while the answer was written; nothing was saved"
TURN_ERRORS = {
    404: {"description": "No such haiku of the caller's"},
    409: {"description": "The haiku is in progress or completed: it can only be viewed or deleted"},
    422: {"description": "Invalid message, or blocked by the content guardrail (reason: guardrail)"},
    429: {"description": "The caller made too many new generations, or Bedrock is rate limiting; see Retry-After"},
    503: {"description": "Bedrock failed, or the chat is not configured (local mode): `settings` names what is missing"},
}


def _open_turn(request: Request, haiku_id: str, body: ChatIn, db, caller, bedrock, ai, settings) -> TextStream:
    """Every refusal before the model speaks (module docstring); the opened stream of its answer."""
    haiku = own_haiku(db, haiku_id, caller.sub)
    editable_haiku(db, haiku)
    FEATURES.require(bedrock.clients, "chat")
    messages = conversation(db, haiku_id, body.message, settings.chat_context_messages)
    ai.spend(caller)
    return bedrock.converse_stream(system=SYSTEM_PROMPT, messages=messages)


def _answer(request: Request, haiku_id: str, message: str, answer: str, media) -> dict:
    chat_id = store_turn(request.app.state.engine, haiku_id, message, answer)
    if chat_id is None:
        raise HTTPException(409, detail=CHANGED_MEANWHILE)
    with Session(request.app.state.engine) as db:  # the haiku as the turn left it
        return {"chat_id": chat_id, "message": answer, "haiku": haiku_view(db.get(Haiku, haiku_id), media)}


@router.post("/{haiku_id}", response_model=ChatOut, responses=TURN_ERRORS)
def chat(haiku_id: HaikuId, body: ChatIn, request: Request, db: DbSession, caller: Caller, bedrock: BedrockDep,
         media: MediaDep, ai: AiGuardDep, settings: Settings) -> dict:
    """One turn of the chat: the assistant's whole answer, and the haiku with the lines it proposes."""
    stream = _open_turn(request, haiku_id, body, db, caller, bedrock, ai, settings)
    answer = "".join(stream)
    return _answer(request, haiku_id, body.message, answer, media)


@router.post("/{haiku_id}/stream", responses={
    **TURN_ERRORS, 200: {"description": "Server-sent events: `delta` {text} as the answer is written, then `done` "
                                        "(the same body as the plain chat) or `error` {detail, status}",
                         "content": {"text/event-stream": {}}}})
async def chat_stream(haiku_id: HaikuId, body: ChatIn, request: Request, db: DbSession, caller: Caller,
                      bedrock: BedrockDep, media: MediaDep, ai: AiGuardDep, settings: Settings) -> StreamingResponse:
    """One turn of the chat, its answer streamed as the model writes it."""
    stream = await run_in_threadpool(_open_turn, request, haiku_id, body, db, caller, bedrock, ai, settings)
    db.close()  # the turn is stored on a connection of its own; none is held while the model writes

    async def events() -> AsyncIterator[bytes]:
        pieces = []
        try:
            async for piece in iterate_in_threadpool(iter(stream)):
                pieces.append(piece)
                yield _event("delta", {"text": piece})
            done = await run_in_threadpool(_answer, request, haiku_id, body.message, "".join(pieces), media)
            yield _event("done", json.loads(ChatOut.model_validate(done).model_dump_json()))
        except GuardrailBlocked as blocked:
            yield _event("error", {"detail": str(blocked), "status": 422, "reason": "guardrail"})
        except AwsThrottled as throttled:
            yield _event("error", {"detail": str(throttled), "status": 429})
        except AwsUnavailable as failed:
            yield _event("error", {"detail": str(failed), "status": 503})
        except HTTPException as refused:
            yield _event("error", {"detail": refused.detail, "status": refused.status_code})

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@router.get("/{haiku_id}/history", response_model=ChatHistoryOut, responses={404: TURN_ERRORS[404]})
def history(haiku_id: HaikuId, db: DbSession, caller: Caller) -> dict:
    """The whole chat of a haiku, oldest first."""
    own_haiku(db, haiku_id, caller.sub)
    rows = db.execute(select(ChatHistory).where(ChatHistory.haiku_id == haiku_id)
                      .order_by(ChatHistory.chat_id)).scalars().all()
    return {"haiku_id": haiku_id, "items": [row.model_dump() for row in rows]}
