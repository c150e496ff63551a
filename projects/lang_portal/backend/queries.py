"""Query building blocks the routers share: who sees what, per-user word statistics, session rows,
and pagination with validated sorting."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import jaconv
from fastapi import HTTPException, Query
from sqlalchemy import ColumnElement, Result, Select, func, or_, select
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
    group = session.execute(select(Group).where(Group.id == group_id, visible_to(Group.owner_sub, sub))
                            ).scalar_one_or_none()
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


WordSort = Literal["japanese", "romaji", "english", "correct_count", "wrong_count"]
_WORD_COLUMNS = (Word.id, Word.japanese, Word.kana, Word.romaji, Word.english)
# The English column sorts by its key: "(my) father" under "father" (vocabulary.english_sort_key).
_WORD_SORT_COLUMNS = {"japanese": Word.japanese, "romaji": Word.romaji, "english": Word.english_sort}
_SEARCHED = (Word.japanese, Word.kana, Word.romaji, Word.english)

WordSearch = Query(None, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$",
                   description="Only words whose Japanese, kana, romaji or English contain this (any case; "
                               "kana in either hiragana or katakana)")


def matching_words(text: str | None) -> tuple[ColumnElement[bool], ...]:
    """The condition for a search (none for an empty one): a substring of any of the four fields."""
    text = (text or "").strip()
    if not text:
        return ()
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    variants = {escaped, jaconv.kata2hira(escaped), jaconv.hira2kata(escaped)}
    return (or_(*(column.ilike(f"%{variant}%", escape="\\") for column in _SEARCHED for variant in variants)),)


def _review_counts(word_id: ColumnElement, reviews: tuple[ColumnElement[bool], ...]):
    """How often `word_id` was answered correctly and wrongly among the reviews matching `reviews`."""
    def count_where(correct: ColumnElement[bool]):
        return (select(func.count(WordReviewItem.id))
                .where(WordReviewItem.word_id == word_id, correct, *reviews).scalar_subquery())

    return count_where(WordReviewItem.correct).label("correct_count"), \
        count_where(~WordReviewItem.correct).label("wrong_count")


def word_row(word_id: int, reviews: tuple[ColumnElement[bool], ...]) -> Select:
    """One word with its review counts."""
    return select(*_WORD_COLUMNS, *_review_counts(Word.id, reviews)).where(Word.id == word_id)


def word_page(session: Session, conditions: tuple[ColumnElement[bool], ...],
              reviews: tuple[ColumnElement[bool], ...], page: int, sort_by: WordSort, order: SortOrder
              ) -> tuple[list, Pagination]:
    """A page of words with review counts. Sorted by a word column, the page is chosen first (by index)
    and only its 100 words are counted; sorted by a count, every matching word has to be counted."""
    total = _count(session, select(Word.id).where(*conditions))
    offset = (page - 1) * PAGE_SIZE
    if sort_by in _WORD_SORT_COLUMNS:
        sort_column = _WORD_SORT_COLUMNS[sort_by]
        chosen = (select(*_WORD_COLUMNS, sort_column.label("sort_key")).where(*conditions)
                  .order_by(*_ordering(sort_column, Word.id, order)).limit(PAGE_SIZE).offset(offset)
                  .subquery())
        statement = (select(*(chosen.c[column.key] for column in _WORD_COLUMNS), *_review_counts(chosen.c.id, reviews))
                     .order_by(*_ordering(chosen.c.sort_key, chosen.c.id, order)))
    else:
        counts = dict(zip(("correct_count", "wrong_count"), _review_counts(Word.id, reviews)))
        statement = (select(*_WORD_COLUMNS, *counts.values()).where(*conditions)
                     .order_by(*_ordering(counts[sort_by], Word.id, order)).limit(PAGE_SIZE).offset(offset))
    return _dicts(session.execute(statement)), _pagination(page, total)


def session_items(*conditions: ColumnElement[bool]) -> tuple[Select, dict]:
    """Study session rows (activity and group names, review and correct counts, last review as end time)."""
    review_count = (select(func.count(WordReviewItem.id))
                    .where(WordReviewItem.study_session_id == StudySession.id).scalar_subquery()
                    .label("review_items_count"))
    correct_count = (select(func.count(WordReviewItem.id))
                     .where(WordReviewItem.study_session_id == StudySession.id, WordReviewItem.correct)
                     .scalar_subquery().label("correct_count"))
    last_review = (select(func.max(WordReviewItem.created_at))
                   .where(WordReviewItem.study_session_id == StudySession.id).scalar_subquery())
    end_time = func.coalesce(last_review, StudySession.created_at).label("end_time")
    statement = (select(StudySession.id, StudyActivity.name.label("activity_name"), Group.name.label("group_name"),
                        StudySession.created_at.label("start_time"), end_time, review_count, correct_count,
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
    total = _count(session, count_statement)
    rows = session.execute(statement.order_by(*_ordering(sortable[sort_by], tiebreak, order))
                           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return _dicts(rows), _pagination(page, total)


def _ordering(column: ColumnElement, tiebreak: ColumnElement, order: SortOrder) -> tuple[ColumnElement, ...]:
    return (column.desc(), tiebreak.desc()) if order == "desc" else (column.asc(), tiebreak.asc())


def _dicts(result: Result) -> list[dict]:
    # Plain dicts: validating the response from them is several times cheaper than from Row objects.
    keys = list(result.keys())
    return [dict(zip(keys, row)) for row in result]


def _count(session: Session, statement: Select) -> int:
    return session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()


def _pagination(page: int, total: int) -> Pagination:
    return Pagination(current_page=page, total_pages=math.ceil(total / PAGE_SIZE), total_items=total,
                      items_per_page=PAGE_SIZE)
