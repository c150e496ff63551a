from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, HTTPException, Response, status
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from modules.database import DbSession, DbTransaction
from modules.routing import ThreadedEndpointRoute
from projects.lang_portal.backend.deps import Caller, Changes, Importer, ResourceId
from projects.lang_portal.backend.models import Group, StudySession, Word, WordGroup, WordReviewItem
from projects.lang_portal.backend.queries import (PageNumber, SortOrder, WordSort, paginate, session_items,
                                                  visible_group, visible_to, word_page)
from projects.lang_portal.backend.routers.study_sessions import SessionSort
from projects.lang_portal.backend.schemas import (GroupDetail, GroupImport, GroupImported, GroupItem, GroupStats,
                                                  Page, RawGroupWords, StudySessionItem, WordItem)
from projects.lang_portal.backend.vocabulary import add_group

router = APIRouter(prefix="/api/groups", tags=["groups"], route_class=ThreadedEndpointRoute)

GroupSort = Literal["name", "word_count"]


def _word_count(group_id_column):
    return (select(func.count()).where(WordGroup.group_id == group_id_column).scalar_subquery()
            .label("word_count"))


@router.get("", response_model=Page[GroupItem])
def list_groups(db: DbSession, caller: Caller, page: int = PageNumber, sort_by: GroupSort = "name",
                order: SortOrder = "asc") -> dict:
    visible = visible_to(Group.owner_sub, caller.sub)
    word_count = _word_count(Group.id)
    statement = select(Group.id, Group.name, word_count).where(visible)
    rows, pagination = paginate(db, statement, select(Group.id).where(visible), page,
                                {"name": Group.name, "word_count": word_count}, sort_by, order, Group.id)
    return {"items": rows, "pagination": pagination}


@router.post("/import", response_model=GroupImported, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": GroupImported, "description": "The group already existed (a re-send)"},
                        413: {"description": "The body is larger than MAX_REQUEST_BYTES"}})
def import_group(payload: GroupImport, response: Response, db: DbTransaction, caller: Importer,
                 changes: Changes) -> dict:
    """Import a Vocab Generator group. A user's import is theirs; a service's (API key) is shared vocabulary.
    Re-sending the same group changes nothing; new words sent under an existing name are added to it."""
    owner = None if caller.is_service else caller.sub
    for attempt in (1, 2):
        try:
            result = add_group(db, payload, owner)
            changes.record(db, owner)  # shared vocabulary (owner None) changes every user's answers
            db.commit()
            break
        except IntegrityError:
            # A concurrent import of the same group won the race; the second attempt finds its rows.
            db.rollback()
            if attempt == 2:
                raise HTTPException(409, detail="the same group is being imported concurrently; retry") from None
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return {"id": result.group.id, "name": result.group.name, "word_count": result.word_count,
            "created": result.created, "words_added": result.words_added}


@router.get("/{group_id}", response_model=GroupDetail)
def get_group(group_id: ResourceId, db: DbSession, caller: Caller) -> dict:
    group = visible_group(db, group_id, caller.sub)
    total = db.execute(select(_word_count(group.id))).scalar_one()
    return {"id": group.id, "name": group.name, "stats": GroupStats(total_word_count=total)}


@router.get("/{group_id}/words", response_model=Page[WordItem])
def list_group_words(group_id: ResourceId, db: DbSession, caller: Caller, page: int = PageNumber,
                     sort_by: WordSort = "japanese", order: SortOrder = "asc") -> dict:
    group = visible_group(db, group_id, caller.sub)
    in_group = Word.id.in_(select(WordGroup.word_id).where(WordGroup.group_id == group.id))
    rows, pagination = word_page(db, (in_group,), (WordReviewItem.user_sub == caller.sub,), page, sort_by, order)
    return {"items": rows, "pagination": pagination}


@router.get("/{group_id}/words/raw", response_model=RawGroupWords)
def raw_group_words(group_id: ResourceId, db: DbSession, caller: Caller) -> dict:
    """Every word of the group in one answer, for the study apps."""
    group = visible_group(db, group_id, caller.sub)
    words = db.execute(select(Word).join(WordGroup, WordGroup.word_id == Word.id)
                       .where(WordGroup.group_id == group.id).order_by(Word.id)).scalars().all()
    return {"group_id": group.id, "group_name": group.name, "items": words}


@router.get("/{group_id}/study_sessions", response_model=Page[StudySessionItem])
def list_group_sessions(group_id: ResourceId, db: DbSession, caller: Caller, page: int = PageNumber,
                        sort_by: SessionSort = "start_time", order: SortOrder = "desc") -> dict:
    group = visible_group(db, group_id, caller.sub)
    mine = (StudySession.user_sub == caller.sub, StudySession.group_id == group.id)
    statement, sortable = session_items(*mine)
    rows, pagination = paginate(db, statement, select(StudySession.id).where(*mine), page, sortable, sort_by,
                                order, StudySession.id)
    return {"items": rows, "pagination": pagination}
