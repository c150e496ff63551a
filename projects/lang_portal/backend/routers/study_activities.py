from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from modules.database import DbSession, DbTransaction
from modules.routing import ThreadedEndpointRoute
from projects.lang_portal.backend.deps import Caller, Changes, ResourceId
from projects.lang_portal.backend.models import StudyActivity, StudySession
from projects.lang_portal.backend.queries import PageNumber, SortOrder, paginate, session_items, visible_group
from projects.lang_portal.backend.routers.study_sessions import SessionSort
from projects.lang_portal.backend.schemas import (Page, StudyActivityOut, StudySessionItem,
                                                  StudySessionStart, StudySessionStarted)

router = APIRouter(prefix="/api/study_activities", tags=["study activities"],
                   route_class=ThreadedEndpointRoute)


def _activity(db, activity_id: int) -> StudyActivity:
    activity = db.get(StudyActivity, activity_id)
    if activity is None:
        raise HTTPException(404, detail=f"study activity {activity_id} not found")
    return activity


@router.get("", response_model=Page[StudyActivityOut])
def list_activities(db: DbSession, _: Caller, page: int = PageNumber) -> dict:
    statement = select(StudyActivity.id, StudyActivity.name, StudyActivity.url, StudyActivity.thumbnail_url,
                       StudyActivity.description)
    rows, pagination = paginate(db, statement, select(StudyActivity.id), page, {"id": StudyActivity.id}, "id",
                                "asc", StudyActivity.id)
    return {"items": rows, "pagination": pagination}


@router.get("/{activity_id}", response_model=StudyActivityOut)
def get_activity(activity_id: ResourceId, db: DbSession, _: Caller) -> StudyActivity:
    return _activity(db, activity_id)


@router.get("/{activity_id}/study_sessions", response_model=Page[StudySessionItem])
def list_activity_sessions(activity_id: ResourceId, db: DbSession, caller: Caller, page: int = PageNumber,
                           sort_by: SessionSort = "start_time", order: SortOrder = "desc") -> dict:
    activity = _activity(db, activity_id)
    mine = (StudySession.user_sub == caller.sub, StudySession.study_activity_id == activity.id)
    statement, sortable = session_items(*mine)
    rows, pagination = paginate(db, statement, select(StudySession.id).where(*mine), page, sortable, sort_by,
                                order, StudySession.id)
    return {"items": rows, "pagination": pagination}


@router.post("", response_model=StudySessionStarted, status_code=status.HTTP_201_CREATED)
def start_session(body: StudySessionStart, db: DbTransaction, caller: Caller, changes: Changes) -> dict:
    """Start a study session of an activity on a group."""
    group = visible_group(db, body.group_id, caller.sub)
    activity = _activity(db, body.study_activity_id)
    study_session = StudySession(group_id=group.id, study_activity_id=activity.id, user_sub=caller.sub)
    db.add(study_session)
    changes.record(db, caller.sub)
    db.commit()
    return {"id": study_session.id, "group_id": study_session.group_id}
