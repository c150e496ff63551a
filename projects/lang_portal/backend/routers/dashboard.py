from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from fastapi import APIRouter
from sqlalchemy import func, select, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from modules.database import DbSession
from modules.routing import ThreadedEndpointRoute
from projects.lang_portal.backend.deps import Caller
from projects.lang_portal.backend.models import Group, StudyActivity, StudySession, Word, WordReviewItem
from projects.lang_portal.backend.queries import visible_to
from projects.lang_portal.backend.schemas import LastStudySession, QuickStats, StudyProgress

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"], route_class=ThreadedEndpointRoute)

MAX_STREAK_DAYS = 3660  # how far back the streak is counted


class utc_date(FunctionElement):
    """The UTC calendar date of a timestamp (PostgreSQL's date() would use the session time zone)."""
    type = sa.Date()
    inherit_cache = True


@compiles(utc_date, "postgresql")
def _utc_date_postgresql(element, compiler, **kw) -> str:
    return f"(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC')::date"


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"  # stored as naive UTC


@router.get("/last_study_session", response_model=LastStudySession | None)
def last_study_session(db: DbSession, caller: Caller):
    """The caller's most recent study session, or null before the first one."""
    return db.execute(select(StudySession.id, StudySession.group_id, Group.name.label("group_name"),
                             StudySession.study_activity_id, StudyActivity.name.label("activity_name"),
                             StudySession.created_at)
                      .join(Group, Group.id == StudySession.group_id)
                      .join(StudyActivity, StudyActivity.id == StudySession.study_activity_id)
                      .where(StudySession.user_sub == caller.sub)
                      .order_by(StudySession.created_at.desc(), StudySession.id.desc()).limit(1)).one_or_none()


@router.get("/study_progress", response_model=StudyProgress)
def study_progress(db: DbSession, caller: Caller) -> dict:
    studied = db.execute(select(func.count(func.distinct(WordReviewItem.word_id)))
                         .where(WordReviewItem.user_sub == caller.sub)).scalar_one()
    available = db.execute(select(func.count(Word.id)).where(visible_to(Word.owner_sub, caller.sub))).scalar_one()
    return {"total_words_studied": studied, "total_available_words": available}


@router.get("/quick-stats", response_model=QuickStats)
def quick_stats(db: DbSession, caller: Caller) -> dict:
    mine = WordReviewItem.user_sub == caller.sub
    sessions = StudySession.user_sub == caller.sub
    totals = db.execute(select(
        select(func.count(WordReviewItem.id)).where(mine).scalar_subquery().label("reviews"),
        select(func.count(WordReviewItem.id)).where(mine, WordReviewItem.correct).scalar_subquery().label("correct"),
        select(func.count(StudySession.id)).where(sessions).scalar_subquery().label("sessions"),
        select(func.count(func.distinct(StudySession.group_id))).where(sessions).scalar_subquery().label("groups"),
    )).one()
    return {"success_rate": round(100 * totals.correct / totals.reviews, 1) if totals.reviews else None,
            "total_study_sessions": totals.sessions, "total_active_groups": totals.groups,
            "study_streak_days": study_streak_days(db, caller.sub)}


def study_streak_days(db, sub: str, today: date | None = None) -> int:
    """Consecutive UTC days with a session started or a word reviewed, ending today - or yesterday,
    so a streak is not broken before the day is over."""
    days = union(select(utc_date(StudySession.created_at).label("day")).where(StudySession.user_sub == sub),
                 select(utc_date(WordReviewItem.created_at).label("day")).where(WordReviewItem.user_sub == sub)
                 ).subquery()
    recent = db.execute(select(days.c.day).order_by(days.c.day.desc()).limit(MAX_STREAK_DAYS)).scalars()
    active = {day if isinstance(day, date) else date.fromisoformat(day) for day in recent}
    expected = today or datetime.now(timezone.utc).date()
    if expected not in active:
        expected -= timedelta(days=1)
    streak = 0
    while expected in active:
        streak += 1
        expected -= timedelta(days=1)
    return streak
