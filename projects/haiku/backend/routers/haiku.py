"""The caller's haikus: start one, list, read, accept (the media workflow runs off the request path), delete."""
from __future__ import annotations

import uuid

import pydantic_core
from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from modules.ai_guard import AiGuardDep
from modules.aws import MediaDep
from modules.database import DbSession, DbTransaction, utcnow
from modules.routing import ThreadedEndpointRoute
from projects.haiku.backend.chat import EDITABLE
from projects.haiku.backend.deps import Caller, HaikuId
from projects.haiku.backend.features import FEATURES
from projects.haiku.backend.media import folder
from projects.haiku.backend.models import IN_PROGRESS, ChatHistory, Haiku
from projects.haiku.backend.schemas import HaikuList, HaikuOut
from projects.haiku.backend.views import haiku_view, own_haiku, own_haikus

router = APIRouter(prefix="/api/haiku", tags=["haiku"], route_class=ThreadedEndpointRoute)
NOT_FOUND = {404: {"description": "No such haiku of the caller's"}}
ONE_IN_PROGRESS = "you already have a haiku in progress: wait until its media are made"


@router.post("", response_model=HaikuOut, status_code=status.HTTP_201_CREATED)
def start_haiku(db: DbSession, caller: Caller, media: MediaDep) -> dict:
    """A new, empty haiku (status `new`) to chat about."""
    now = utcnow()
    haiku = Haiku(haiku_id=uuid.uuid4().hex, owner_sub=caller.sub, created_at=now, updated_at=now)
    db.add(haiku)
    db.commit()
    return haiku_view(haiku, media)


@router.get("", response_model=HaikuList)
async def list_haikus(request: Request, caller: Caller, media: MediaDep) -> Response:
    """The caller's haikus with their statuses, newest first."""
    # What every open page polls: read on the event loop (views.OWN_HAIKUS) and written straight to JSON, in
    # the shape of HaikuList (which documents it) without validating the rows into it again.
    haikus, total = await own_haikus(request.app.state.async_connections, request.app.state.engine, caller.sub)

    def views() -> list[dict]:
        return [haiku_view(haiku, media) for haiku in haikus]

    # CDN links are string joins; presigning (no MEDIA_BASE_URL) is botocore work, kept off the loop.
    items = views() if media.settings.media_base_url else await run_in_threadpool(views)
    return Response(pydantic_core.to_json({"items": items, "total": total}), media_type="application/json")


@router.get("/{haiku_id}", response_model=HaikuOut, responses=NOT_FOUND)
def read_haiku(haiku_id: HaikuId, db: DbSession, caller: Caller, media: MediaDep) -> dict:
    return haiku_view(own_haiku(db, haiku_id, caller.sub), media)


@router.post("/{haiku_id}/accept", response_model=HaikuOut, status_code=status.HTTP_202_ACCEPTED, responses={
    **NOT_FOUND, 409: {"description": "Not acceptable now: no lines agreed yet, already in progress or completed, "
                                      "or another haiku of the caller's is in progress"},
    429: {"description": "The caller made too many new generations; see Retry-After"},
    503: {"description": "The media workflow is not configured (local mode): `settings` names what is missing"}})
def accept_haiku(haiku_id: HaikuId, request: Request, db: DbTransaction, caller: Caller, media: MediaDep,
                 ai: AiGuardDep) -> dict:
    """Accept the haiku the chat agreed on: answers at once, `in progress`; its media are made in the background
    (follow with GET /api/haiku/{id}). A failed haiku may be accepted again."""
    haiku = own_haiku(db, haiku_id, caller.sub)
    if haiku.status not in EDITABLE:
        raise HTTPException(409, detail=f"this haiku is {haiku.status}: it can only be viewed or deleted")
    if len(haiku.english_lines) != 3:
        raise HTTPException(409, detail="agree on a haiku in the chat first: it has no lines yet")
    FEATURES.require(media.clients, "media")
    ai.spend(caller)
    try:
        accepted = db.execute(update(Haiku).where(Haiku.haiku_id == haiku_id, Haiku.status.in_(EDITABLE)).values(
            status=IN_PROGRESS, error_message=None, attempts=0, lease_owner=None, lease_expires_at=None,
            updated_at=utcnow())).rowcount
        db.commit()
    except IntegrityError:  # ux_haiku_one_in_progress: the database holds the rule whatever races
        db.rollback()
        raise HTTPException(409, detail=ONE_IN_PROGRESS) from None
    if not accepted:
        raise HTTPException(409, detail="this haiku was accepted meanwhile")
    request.app.state.media_worker.wake()
    db.refresh(haiku)
    return haiku_view(haiku, media)


@router.delete("/{haiku_id}", status_code=status.HTTP_204_NO_CONTENT, responses={
    **NOT_FOUND, 503: {"description": "Its media could not be removed (S3 failed); nothing was deleted"}})
def delete_haiku(haiku_id: HaikuId, db: DbTransaction, caller: Caller, media: MediaDep) -> None:
    """The haiku, its chat and its media. Media go first: a failure leaves the haiku to delete again, never
    orphaned files. A haiku in progress may be deleted: its worker finds it gone and removes what it wrote."""
    own_haiku(db, haiku_id, caller.sub)
    if not media.missing_settings():
        media.delete_folder(folder(haiku_id))
    db.execute(delete(ChatHistory).where(ChatHistory.haiku_id == haiku_id))
    db.execute(delete(Haiku).where(Haiku.haiku_id == haiku_id, Haiku.owner_sub == caller.sub))
    db.commit()
