from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import exists, select

from modules.routing import ThreadedEndpointRoute
from projects.lang_portal.backend.deps import Caller, DbSession, ResourceId
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
def review_word(session_id: ResourceId, word_id: ResourceId, body: ReviewIn, db: DbSession, caller: Caller) -> dict:
    # Every check in one round trip: the caller's session, a word they may see, and whether the word
    # is in the session's group.
    group_id = (select(StudySession.group_id)
                .where(StudySession.id == session_id, StudySession.user_sub == caller.sub).scalar_subquery())
    found = db.execute(select(
        group_id.label("group_id"),
        select(Word.id).where(Word.id == word_id, visible_to(Word.owner_sub, caller.sub)).scalar_subquery()
        .label("word_id"),
        exists().where(WordGroup.word_id == word_id, WordGroup.group_id == group_id).label("in_group"),
        select(Group.name).where(Group.id == group_id).scalar_subquery().label("group_name"))).one()
    if found.group_id is None:
        raise HTTPException(404, detail=f"study session {session_id} not found")
    if found.word_id is None:
        raise HTTPException(404, detail=f"word {word_id} not found")
    if not found.in_group:
        raise HTTPException(409, detail=f"word {word_id} is not in group '{found.group_name}' of study session "
                                        f"{session_id}")
    review = WordReviewItem(word_id=word_id, study_session_id=session_id, user_sub=caller.sub, correct=body.correct)
    db.add(review)
    db.commit()
    return {"success": True, "word_id": review.word_id, "study_session_id": review.study_session_id,
            "correct": review.correct, "created_at": review.created_at}
