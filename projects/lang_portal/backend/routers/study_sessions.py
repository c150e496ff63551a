from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import Boolean, Engine, Integer, String, bindparam, exists, insert, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from modules.response_cache import Invalidation, notice
from modules.routing import ThreadedEndpointRoute
from projects.lang_portal.backend.db import postgres_sql
from projects.lang_portal.backend.deps import Caller, DbSession, ResourceId
from projects.lang_portal.backend.models import (Group, StudySession, UTCDateTime, Word, WordGroup, WordReviewItem,
                                                 utcnow)
from projects.lang_portal.backend.queries import (PageNumber, SortOrder, WordSort, own_session, paginate,
                                                  session_items, visible_to, word_page)
from projects.lang_portal.backend.schemas import (Page, ReviewIn, ReviewOut, StudySessionDetail, StudySessionItem,
                                                  WordItem)

router = APIRouter(prefix="/api/study_sessions", tags=["study sessions"], route_class=ThreadedEndpointRoute)

SessionSort = Literal["start_time", "end_time", "activity_name", "group_name", "review_items_count"]


@router.get("", response_model=Page[StudySessionItem])
def list_sessions(db: DbSession, caller: Caller, page: int = PageNumber, sort_by: SessionSort = "start_time",
                  order: SortOrder = "desc") -> dict:
    mine = StudySession.user_sub == caller.sub
    statement, sortable = session_items(mine)
    rows, pagination = paginate(db, statement, select(StudySession.id).where(mine), page, sortable, sort_by, order,
                                StudySession.id)
    return {"items": rows, "pagination": pagination}


@router.get("/{session_id}", response_model=StudySessionDetail)
def get_session_detail(session_id: ResourceId, db: DbSession, caller: Caller):
    statement, _ = session_items(StudySession.id == session_id, StudySession.user_sub == caller.sub)
    row = db.execute(statement).one_or_none()
    if row is None:
        raise HTTPException(404, detail=f"study session {session_id} not found")
    return row


@router.get("/{session_id}/words", response_model=Page[WordItem])
def list_session_words(session_id: ResourceId, db: DbSession, caller: Caller, page: int = PageNumber,
                       sort_by: WordSort = "japanese", order: SortOrder = "asc") -> dict:
    """The words reviewed in this session, with this session's counts."""
    study_session = own_session(db, session_id, caller.sub)
    in_session = WordReviewItem.study_session_id == study_session.id
    reviewed = Word.id.in_(select(WordReviewItem.word_id).where(in_session))
    rows, pagination = word_page(db, (reviewed,), (in_session,), page, sort_by, order)
    return {"items": rows, "pagination": pagination}


@router.post("/{session_id}/words/{word_id}/review", response_model=ReviewOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "The word is not in the session's group"}})
async def review_word(session_id: ResourceId, word_id: ResourceId, body: ReviewIn, request: Request,
                      caller: Caller) -> dict:
    """The hot path of the study apps. On PostgreSQL one statement on the event loop: no thread hop, no ORM."""
    created_at = utcnow()
    values = {"session_id": session_id, "word_id": word_id, "sub": caller.sub, "correct": body.correct,
              "created_at": created_at}
    engine, async_connections = request.app.state.engine, request.app.state.async_connections
    if async_connections is not None:
        recorded = await async_connections.fetch_one(RECORD_REVIEW_POSTGRES, values) is not None
    else:
        recorded = await run_in_threadpool(_record_review, engine, request.app.state.invalidation, values)
    if not recorded:
        raise await run_in_threadpool(_review_refused, engine, session_id, word_id, caller.sub)
    return {"success": True, "word_id": word_id, "study_session_id": session_id, "correct": body.correct,
            "created_at": created_at}


# The review is inserted only if the session is the caller's, the word is one they may see and it is in
# the session's group: every check and the write in one statement (one round trip).
RECORD_REVIEW = insert(WordReviewItem.__table__).from_select(
    ["word_id", "study_session_id", "user_sub", "correct", "created_at"],
    select(bindparam("word_id", type_=Integer), StudySession.id, bindparam("sub", type_=String),
           bindparam("correct", type_=Boolean), bindparam("created_at", type_=UTCDateTime))
    .where(StudySession.id == bindparam("session_id"), StudySession.user_sub == bindparam("sub"),
           exists().where(Word.id == bindparam("word_id"), visible_to(Word.owner_sub, bindparam("sub"))),
           exists().where(WordGroup.word_id == bindparam("word_id"), WordGroup.group_id == StudySession.group_id))
).returning(WordReviewItem.__table__.c.id)
# On PostgreSQL the statement also announces the change to the response caches (in its own transaction).
RECORD_REVIEW_POSTGRES = postgres_sql(RECORD_REVIEW.returning(notice(bindparam("sub"))))


def _record_review(engine: Engine, changes: Invalidation, values: dict) -> bool:
    with Session(engine) as db:
        recorded = db.connection().execute(RECORD_REVIEW, values).first() is not None
        changes.record(db, values["sub"])
        db.commit()
    return recorded


def _review_refused(engine: Engine, session_id: int, word_id: int, sub: str) -> HTTPException:
    """Why a review was not recorded: the session, the word, or the word not being in the session's group."""
    group_id = (select(StudySession.group_id)
                .where(StudySession.id == session_id, StudySession.user_sub == sub).scalar_subquery())
    with engine.connect() as connection:
        found = connection.execute(select(
            group_id.label("group_id"),
            select(Word.id).where(Word.id == word_id, visible_to(Word.owner_sub, sub)).scalar_subquery()
            .label("word_id"),
            select(Group.name).where(Group.id == group_id).scalar_subquery().label("group_name"))).one()
    if found.group_id is None:
        return HTTPException(404, detail=f"study session {session_id} not found")
    if found.word_id is None:
        return HTTPException(404, detail=f"word {word_id} not found")
    return HTTPException(409, detail=f"word {word_id} is not in group '{found.group_name}' of study session "
                                     f"{session_id}")
