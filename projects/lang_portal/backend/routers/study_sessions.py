from __future__ import annotations

from typing import Literal

import psycopg
from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy import Boolean, ColumnElement, Engine, Integer, String, bindparam, exists, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from modules.batching import Batcher
from modules.database import AsyncConnections, UTCDateTime, postgres_sql, utcnow
from modules.database import DbSession
from modules.response_cache import Invalidation, notice
from modules.routing import ThreadedEndpointRoute
from projects.lang_portal.backend.deps import Caller, ResourceId
from projects.lang_portal.backend.models import Group, StudySession, Word, WordGroup, WordReviewItem
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
    """The hot path of the study apps. On PostgreSQL recorded on the event loop (no thread hop, no ORM)
    together with the reviews arriving meanwhile (`review_batches`)."""
    created_at = utcnow()
    values = {"session_id": session_id, "word_id": word_id, "sub": caller.sub, "correct": body.correct,
              "created_at": created_at}
    engine, batches = request.app.state.engine, request.app.state.review_batches
    if batches is not None:
        recorded = await batches.submit(values)
    else:
        recorded = await run_in_threadpool(_record_review, engine, request.app.state.invalidation, values)
    if not recorded:
        raise await run_in_threadpool(_review_refused, engine, session_id, word_id, caller.sub)
    return {"success": True, "word_id": word_id, "study_session_id": session_id, "correct": body.correct,
            "created_at": created_at}


def _acceptable(session_id, word_id, sub) -> tuple[ColumnElement[bool], ...]:
    """A review is recorded only if the session is the caller's, the word is one they may see and it is in
    the session's group (a query on `StudySession`)."""
    return (StudySession.id == session_id, StudySession.user_sub == sub,
            exists().where(Word.id == word_id, visible_to(Word.owner_sub, sub)),
            exists().where(WordGroup.word_id == word_id, WordGroup.group_id == StudySession.group_id))


REVIEW_COLUMNS = ["word_id", "study_session_id", "user_sub", "correct", "created_at"]

# One review: every check and the write in one statement (one round trip).
RECORD_REVIEW = insert(WordReviewItem.__table__).from_select(
    REVIEW_COLUMNS,
    select(bindparam("word_id", type_=Integer), StudySession.id, bindparam("sub", type_=String),
           bindparam("correct", type_=Boolean), bindparam("created_at", type_=UTCDateTime))
    .where(*_acceptable(bindparam("session_id"), bindparam("word_id"), bindparam("sub")))
).returning(WordReviewItem.__table__.c.id)

# PostgreSQL: reviews that arrived together (one array element each) checked and written in one statement
# and one transaction, which also announces the change to the response caches. Answers the (1-based)
# positions of the recorded reviews.
REVIEW_FIELDS = {"session_id": Integer, "word_id": Integer, "sub": String, "correct": Boolean,
                 "created_at": UTCDateTime}
_requested = (func.unnest(*(bindparam(name, type_=ARRAY(sql_type)) for name, sql_type in REVIEW_FIELDS.items()))
              .table_valued(*REVIEW_FIELDS, with_ordinality="position").render_derived("requested"))
# Materialized: the write and the answer see the same accepted rows.
_accepted = (select(_requested.c.position, _requested.c.word_id, StudySession.id.label("study_session_id"),
                    _requested.c.sub, _requested.c.correct, _requested.c.created_at)
             .where(*_acceptable(_requested.c.session_id, _requested.c.word_id, _requested.c.sub))
             .cte("accepted").prefix_with("MATERIALIZED"))
_written = insert(WordReviewItem.__table__).from_select(
    REVIEW_COLUMNS, select(_accepted.c.word_id, _accepted.c.study_session_id, _accepted.c.sub, _accepted.c.correct,
                           _accepted.c.created_at)).cte("written")
RECORD_REVIEWS = postgres_sql(select(_accepted.c.position, notice(_accepted.c.sub)).add_cte(_written))


def review_batches(connections: AsyncConnections, slots: int) -> Batcher[dict, bool]:
    """Reviews arriving while `slots` batches are under way are recorded together: one statement, one
    commit and one change notice per batch instead of per review (the NOTIFY's commit lock would
    otherwise queue every review's commit behind the one before)."""
    async def record(batch: list[dict]) -> list[bool | Exception]:
        try:
            rows = await connections.fetch_all(RECORD_REVIEWS, {name: [values[name] for values in batch]
                                                                 for name in REVIEW_FIELDS})
        except psycopg.OperationalError:
            raise  # the database is unreachable: every review of the batch answers 503
        except psycopg.Error as error:
            if len(batch) == 1:
                return [error]
            # One bad review (its word deleted meanwhile, say) must not fail the others: each on its own.
            return [result for values in batch for result in await record([values])]
        recorded = {position for position, _ in rows}
        return [position in recorded for position in range(1, len(batch) + 1)]

    return Batcher(record, slots)


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
