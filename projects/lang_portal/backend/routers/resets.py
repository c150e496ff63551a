from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import delete, select

from modules.database import DbTransaction
from modules.routing import ThreadedEndpointRoute
from projects.lang_portal.backend.deps import Caller, Changes
from projects.lang_portal.backend.models import Group, StudySession, Word, WordGroup, WordReviewItem
from projects.lang_portal.backend.schemas import Success

router = APIRouter(prefix="/api", tags=["resets"], route_class=ThreadedEndpointRoute)


def _delete_history(db, sub: str) -> None:
    db.execute(delete(WordReviewItem).where(WordReviewItem.user_sub == sub))
    db.execute(delete(StudySession).where(StudySession.user_sub == sub))


@router.post("/reset_history", response_model=Success)
def reset_history(db: DbTransaction, caller: Caller, changes: Changes) -> dict:
    """Delete the caller's study sessions and reviews."""
    _delete_history(db, caller.sub)
    changes.record(db, caller.sub)
    db.commit()
    return {"success": True, "message": "Study history has been reset"}


@router.post("/full_reset", response_model=Success)
def full_reset(db: DbTransaction, caller: Caller, changes: Changes) -> dict:
    """Back to the seed for the caller: their history, imported groups and imported words are deleted.
    Shared vocabulary is never touched (a service caller owns none)."""
    _delete_history(db, caller.sub)
    own_groups = select(Group.id).where(Group.owner_sub == caller.sub)
    own_words = select(Word.id).where(Word.owner_sub == caller.sub)
    db.execute(delete(WordGroup).where(WordGroup.group_id.in_(own_groups) | WordGroup.word_id.in_(own_words)))
    db.execute(delete(Group).where(Group.owner_sub == caller.sub))
    db.execute(delete(Word).where(Word.owner_sub == caller.sub))
    changes.record(db, caller.sub)
    db.commit()
    return {"success": True, "message": "Your data has been reset to the seed vocabulary"}
