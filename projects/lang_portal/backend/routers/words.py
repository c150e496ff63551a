from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from sqlalchemy import select

from projects.lang_portal.backend.deps import Caller, DbSession, ResourceId
from projects.lang_portal.backend.models import Group, Word, WordGroup, WordReviewItem
from projects.lang_portal.backend.queries import (PageNumber, SortOrder, paginate, visible_to, visible_word,
                                                  word_items)
from projects.lang_portal.backend.schemas import GroupRef, Page, WordDetail, WordItem, WordStats

router = APIRouter(prefix="/api/words", tags=["words"])

WordSort = Literal["japanese", "romaji", "english", "correct_count", "wrong_count"]


@router.get("", response_model=Page[WordItem])
def list_words(db: DbSession, caller: Caller, page: int = PageNumber, sort_by: WordSort = "japanese",
               order: SortOrder = "asc") -> dict:
    visible = visible_to(Word.owner_sub, caller.sub)
    statement, sortable = word_items(visible, reviews=(WordReviewItem.user_sub == caller.sub,))
    rows, pagination = paginate(db, statement, select(Word.id).where(visible), page, sortable, sort_by, order,
                                Word.id)
    return {"items": rows, "pagination": pagination}


@router.get("/{word_id}", response_model=WordDetail)
def get_word(word_id: ResourceId, db: DbSession, caller: Caller) -> dict:
    word = visible_word(db, word_id, caller.sub)
    statement, _ = word_items(Word.id == word.id, reviews=(WordReviewItem.user_sub == caller.sub,
                                                           WordReviewItem.word_id == word.id))
    row = db.execute(statement).one()
    groups = db.execute(select(Group.id, Group.name).join(WordGroup, WordGroup.group_id == Group.id)
                        .where(WordGroup.word_id == word.id, visible_to(Group.owner_sub, caller.sub))
                        .order_by(Group.name)).all()
    return {"id": word.id, "japanese": word.japanese, "romaji": word.romaji, "english": word.english,
            "stats": WordStats(correct_count=row.correct_count, wrong_count=row.wrong_count),
            "groups": [GroupRef(id=g.id, name=g.name) for g in groups]}
