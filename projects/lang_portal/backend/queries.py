"""Query building blocks the routers share: who sees what, per-user word statistics, session rows,
and pagination with validated sorting."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from fastapi import HTTPException, Query
from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from projects.lang_portal.backend.models import Group, StudyActivity, StudySession, Word, WordReviewItem
from projects.lang_portal.backend.schemas import Pagination

PAGE_SIZE = 100
MAX_PAGE = 10_000_000  # keeps OFFSET inside a 64-bit integer whatever the client sends

PageNumber = Query(1, ge=1, le=MAX_PAGE, description="1-based page; past the last page the list is empty")
SortOrder = Literal["asc", "desc"]


def visible_to(owner_column, sub: str) -> ColumnElement[bool]:
    """Shared rows (no owner) and the caller's own."""
    return or_(owner_column.is_(None), owner_column == sub)


def owned_by(owner_column, sub: str | None) -> ColumnElement[bool]:
    return owner_column.is_(None) if sub is None else owner_column == sub


def visible_group(session: Session, group_id: int, sub: str) -> Group:
    group = session.execute(select(Group).where(Group.id == group_id, visible_to(Group.owner_sub, sub))).scalar_one_or_none()
    if group is None:
        raise HTTPException(404, detail=f"group {group_id} not found")
    return group


def visible_word(session: Session, word_id: int, sub: str) -> Word:
    word = session.execute(select(Word).where(Word.id == word_id, visible_to(Word.owner_sub, sub))).scalar_one_or_none()
    if word is None:
        raise HTTPException(404, detail=f"word {word_id} not found")
    return word


def own_session(session: Session, session_id: int, sub: str) -> StudySession:
    found = session.execute(select(StudySession).where(
        StudySession.id == session_id, StudySession.user_sub == sub)).scalar_one_or_none()
    if found is None:
        raise HTTPException(404, detail=f"study session {session_id} not found")
    return found


def review_counts(*conditions: ColumnElement[bool]):
    """Per word: how often it was answered correctly and wrongly, among reviews matching `conditions`."""
    return (select(WordReviewItem.word_id,
                   func.sum(case((WordReviewItem.correct, 1), else_=0)).label("correct_count"),
                   func.sum(case((WordReviewItem.correct, 0), else_=1)).label("wrong_count"))
            .where(*conditions).group_by(WordReviewItem.word_id).subquery())


def word_items(*conditions: ColumnElement[bool], reviews: tuple[ColumnElement[bool], ...]) -> tuple[Select, dict]:
    """Word rows with review counts; returns the statement and its sortable columns."""
    counts = review_counts(*reviews)
    correct = func.coalesce(counts.c.correct_count, 0).label("correct_count")
    wrong = func.coalesce(counts.c.wrong_count, 0).label("wrong_count")
    statement = (select(Word.id, Word.japanese, Word.romaji, Word.english, correct, wrong)
                 .outerjoin(counts, counts.c.word_id == Word.id).where(*conditions))
    sortable = {"japanese": Word.japanese, "romaji": Word.romaji, "english": Word.english,
                "correct_count": correct, "wrong_count": wrong}
    return statement, sortable


def session_items(*conditions: ColumnElement[bool]) -> tuple[Select, dict]:
    """Study session rows (activity and group names, review count, last review as end time)."""
    review_count = (select(func.count(WordReviewItem.id))
                    .where(WordReviewItem.study_session_id == StudySession.id).scalar_subquery()
                    .label("review_items_count"))
    last_review = (select(func.max(WordReviewItem.created_at))
                   .where(WordReviewItem.study_session_id == StudySession.id).scalar_subquery())
    end_time = func.coalesce(last_review, StudySession.created_at).label("end_time")
    statement = (select(StudySession.id, StudyActivity.name.label("activity_name"), Group.name.label("group_name"),
                        StudySession.created_at.label("start_time"), end_time, review_count,
                        StudySession.group_id, StudySession.study_activity_id)
                 .join(StudyActivity, StudyActivity.id == StudySession.study_activity_id)
                 .join(Group, Group.id == StudySession.group_id)
                 .where(*conditions))
    sortable = {"start_time": StudySession.created_at, "end_time": end_time, "activity_name": StudyActivity.name,
                "group_name": Group.name, "review_items_count": review_count}
    return statement, sortable


def paginate(session: Session, statement: Select, count_statement: Select, page: int,
             sortable: Mapping[str, ColumnElement], sort_by: str, order: SortOrder, tiebreak: ColumnElement
             ) -> tuple[list, Pagination]:
    """One page of `statement` sorted by `sort_by` (then `tiebreak`, so pages never overlap)."""
    column = sortable[sort_by]
    total = session.execute(select(func.count()).select_from(count_statement.subquery())).scalar_one()
    ordering = (column.desc(), tiebreak.desc()) if order == "desc" else (column.asc(), tiebreak.asc())
    rows = session.execute(statement.order_by(*ordering).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return rows, Pagination(current_page=page, total_pages=math.ceil(total / PAGE_SIZE), total_items=total,
                            items_per_page=PAGE_SIZE)
