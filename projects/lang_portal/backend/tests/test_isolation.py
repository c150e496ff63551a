"""One user never sees or changes another user's data."""
from __future__ import annotations

from projects.lang_portal.backend.tests.conftest import as_user
from projects.lang_portal.backend.tests.helpers import (COLORS, GREETINGS, generated_group, group_word_ids,
                                                        import_group, review, start_session)

BOB = as_user("bob")


def test_sessions_and_reviews_are_private(client):
    session_id = start_session(client)
    word_id = group_word_ids(client)[0]
    review(client, session_id, word_id, True)

    assert client.get("/api/study_sessions", headers=BOB).json()["items"] == []
    assert client.get(f"/api/study_sessions/{session_id}", headers=BOB).status_code == 404
    assert client.get(f"/api/study_sessions/{session_id}/words", headers=BOB).status_code == 404
    assert client.get(f"/api/groups/{GREETINGS}/study_sessions", headers=BOB).json()["items"] == []
    assert client.get("/api/study_activities/1/study_sessions", headers=BOB).json()["items"] == []
    assert client.get("/api/dashboard/last_study_session", headers=BOB).json() is None
    assert client.get("/api/dashboard/quick-stats", headers=BOB).json()["total_study_sessions"] == 0
    assert client.get("/api/dashboard/study_progress", headers=BOB).json()["total_words_studied"] == 0
    bob_word = next(w for w in client.get("/api/words", headers=BOB).json()["items"] if w["id"] == word_id)
    assert bob_word["correct_count"] == 0


def test_nobody_can_record_reviews_in_someone_elses_session(client):
    session_id = start_session(client)
    word_id = group_word_ids(client)[0]
    response = client.post(f"/api/study_sessions/{session_id}/words/{word_id}/review", json={"correct": True},
                           headers=BOB)
    assert response.status_code == 404
    assert client.get(f"/api/study_sessions/{session_id}").json()["review_items_count"] == 0


def test_imported_groups_and_words_are_private(client):
    group = import_group(client, generated_group("Alice only", 2)).json()
    word_id = group_word_ids(client, group["id"])[0]
    for path in (f"/api/groups/{group['id']}", f"/api/groups/{group['id']}/words",
                 f"/api/groups/{group['id']}/words/raw", f"/api/groups/{group['id']}/study_sessions",
                 f"/api/words/{word_id}"):
        assert client.get(path, headers=BOB).status_code == 404, path
    assert group["id"] not in [g["id"] for g in client.get("/api/groups", headers=BOB).json()["items"]]
    start = client.post("/api/study_activities", json={"group_id": group["id"], "study_activity_id": 1},
                        headers=BOB)
    assert start.status_code == 404
    # bob's session on a shared group cannot review alice's private word
    bob_session = start_session(client, COLORS, user="bob")
    assert client.post(f"/api/study_sessions/{bob_session}/words/{word_id}/review", json={"correct": True},
                       headers=BOB).status_code == 404


def test_resets_never_reach_other_users(client):
    group = import_group(client, generated_group("Alice only", 2)).json()
    session_id = start_session(client, group["id"])
    review(client, session_id, group_word_ids(client, group["id"])[0], False)
    assert client.post("/api/full_reset", headers=BOB).status_code == 200
    assert client.post("/api/reset_history", headers=BOB).status_code == 200
    assert client.get(f"/api/groups/{group['id']}").status_code == 200
    assert client.get(f"/api/study_sessions/{session_id}").json()["review_items_count"] == 1
