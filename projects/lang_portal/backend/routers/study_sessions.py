from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from projects.lang_portal.backend.deps import Caller, DbSession, ResourceId
from projects.lang_portal.backend.models import Group, StudySession, Word, WordGroup, WordReviewItem
from projects.lang_portal.backend.queries import (PageNumber, SortOrder, own_session, paginate, session_items,
                                                  visible_word, word_items)
from projects.lang_portal.backend.routers.words import WordSort
from projects.lang_portal.backend.schemas import (Page, ReviewIn, ReviewOut, StudySessionDetail, StudySessionItem,
                                                  WordItem)

router = APIRouter(prefix="/api/study_sessions", tags=["study sessions"])

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
    statement, sortable = word_items(reviewed, reviews=(in_session,))
    rows, pagination = paginate(db, statement, select(Word.id).where(reviewed), page, sortable, sort_by, order,
                                Word.id)
    return {"items": rows, "pagination": pagination}


@router.post("/{session_id}/words/{word_id}/review", response_model=ReviewOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "The word is not in the session's group"}})
def review_word(session_id: ResourceId, word_id: ResourceId, body: ReviewIn, db: DbSession, caller: Caller) -> dict:
    study_session = own_session(db, session_id, caller.sub)
    word = visible_word(db, word_id, caller.sub)
    in_group = db.execute(select(WordGroup.word_id).where(
        WordGroup.word_id == word.id, WordGroup.group_id == study_session.group_id)).first()
    if in_group is None:
        group_name = db.execute(select(Group.name).where(Group.id == study_session.group_id)).scalar_one()
        raise HTTPException(409, detail=f"word {word.id} is not in group '{group_name}' of study session "
                                        f"{study_session.id}")
    review = WordReviewItem(word_id=word.id, study_session_id=study_session.id, user_sub=caller.sub,
                            correct=body.correct)
    db.add(review)
    db.commit()
    return {"success": True, "word_id": review.word_id, "study_session_id": review.study_session_id,
            "correct": review.correct, "created_at": review.created_at}
