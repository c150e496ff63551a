"""Study streak days and success rate, with rows placed on chosen days."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from projects.lang_portal.backend.models import StudySession, WordReviewItem
from projects.lang_portal.backend.tests.conftest import as_user
from projects.lang_portal.backend.tests.helpers import GREETINGS, WRITING_PRACTICE


def study_on(app, user: str, days_ago: list[int], correct: list[bool] | None = None) -> None:
    """One session per given day (at 00:30 and 23:30 UTC to catch time zone slips), one review each."""
    today = datetime.now(timezone.utc).date()
    with Session(app.state.engine) as db:
        for index, days in enumerate(days_ago):
            day = today - timedelta(days=days)
            moment = datetime.combine(day, time(0, 30) if index % 2 else time(23, 30), timezone.utc)
            if moment > datetime.now(timezone.utc):
                moment = datetime.combine(day, time(0, 0, 1), timezone.utc)
            session = StudySession(group_id=GREETINGS, study_activity_id=WRITING_PRACTICE, user_sub=user,
                                   created_at=moment)
            db.add(session)
            db.flush()
            db.add(WordReviewItem(word_id=1, study_session_id=session.id, user_sub=user,
                                  correct=correct[index] if correct else True, created_at=moment))
        db.commit()


def streak(client, user: str = "alice") -> int:
    return client.get("/api/dashboard/quick-stats", headers=as_user(user)).json()["study_streak_days"]


@pytest.mark.parametrize("days_ago,expected", [
    ([0, 1, 2, 4], 3),        # today, yesterday, the day before; a gap ends it
    ([1, 2, 3], 3),           # nothing yet today: the streak still stands until the day is over
    ([2, 3], 0),              # yesterday missed: broken
    ([0], 1),
    ([0, 0, 1], 2),           # several sessions on one day count once
    ([], 0),
])
def test_study_streak_days(app, client, days_ago, expected):
    study_on(app, "alice", days_ago)
    study_on(app, "bob", list(range(10)))
    assert streak(client) == expected


def test_success_rate_is_a_rounded_percentage(app, client):
    study_on(app, "alice", [0, 0, 0], correct=[True, False, False])
    stats = client.get("/api/dashboard/quick-stats").json()
    assert stats["success_rate"] == 33.3
    assert stats["total_study_sessions"] == 3 and stats["total_active_groups"] == 1

