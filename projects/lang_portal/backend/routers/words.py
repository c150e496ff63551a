from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from modules.database import DbSession
from modules.routing import ThreadedEndpointRoute
from projects.lang_portal.backend.deps import Caller, ResourceId
from projects.lang_portal.backend.models import Group, Word, WordGroup, WordReviewItem
from projects.lang_portal.backend.queries import (PageNumber, SortOrder, WordSearch, WordSort, matching_words,
                                                  visible_to, visible_word, word_page, word_row)
from projects.lang_portal.backend.schemas import GroupRef, Page, WordDetail, WordItem, WordStats

router = APIRouter(prefix="/api/words", tags=["words"], route_class=ThreadedEndpointRoute)


@router.get("", response_model=Page[WordItem])
def list_words(db: DbSession, caller: Caller, page: int = PageNumber, sort_by: WordSort = "japanese",
               order: SortOrder = "asc", q: str | None = WordSearch) -> dict:
    rows, pagination = word_page(db, (visible_to(Word.owner_sub, caller.sub), *matching_words(q)),
                                 (WordReviewItem.user_sub == caller.sub,), page, sort_by, order)
    return {"items": rows, "pagination": pagination}


@router.get("/{word_id}", response_model=WordDetail)
def get_word(word_id: ResourceId, db: DbSession, caller: Caller) -> dict:
    word = visible_word(db, word_id, caller.sub)
    row = db.execute(word_row(word.id, (WordReviewItem.user_sub == caller.sub,))).one()
    groups = db.execute(select(Group.id, Group.name).join(WordGroup, WordGroup.group_id == Group.id)
                        .where(WordGroup.word_id == word.id, visible_to(Group.owner_sub, caller.sub))
                        .order_by(Group.name)).all()
    return {"id": word.id, "japanese": word.japanese, "kana": word.kana, "romaji": word.romaji, "english": word.english,
            "stats": WordStats(correct_count=row.correct_count, wrong_count=row.wrong_count),
            "groups": [GroupRef(id=g.id, name=g.name) for g in groups]}
