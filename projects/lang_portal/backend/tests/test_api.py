"""Every endpoint of apps.md section A, on SQLite and on PostgreSQL."""
from __future__ import annotations

import gc
from datetime import datetime

from modules.tests.support import lax_request_bodies
from projects.lang_portal.backend.tests.conftest import as_user
from projects.lang_portal.backend.vocabulary import english_sort_key
from projects.lang_portal.backend.tests.helpers import (COLORS, GREETINGS, HAIKU, SEED_GROUPS, SEED_WORDS,
                                                        WRITING_PRACTICE, generated_group, group_word_ids,
                                                        import_group, review, start_session)


def test_health_endpoints(client):
    for path in ("/health", "/api/health"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "checks": {"database": "ok"}, "features": {
            "word_audio": "off: set AWS_DEFAULT_REGION, MEDIA_BUCKET",
            "word_picture": "off: set AWS_DEFAULT_REGION, GUARDRAIL_ID, GUARDRAIL_VERSION, MEDIA_BUCKET",
            "example_sentence": "off: set AWS_DEFAULT_REGION, GUARDRAIL_ID, GUARDRAIL_VERSION"}}


def test_words_list_shape_and_default_sort(client):
    body = client.get("/api/words").json()
    assert body["pagination"] == {"current_page": 1, "total_pages": 1, "total_items": SEED_WORDS,
                                  "items_per_page": 100}
    first = body["items"][0]
    assert set(first) == {"id", "japanese", "kana", "romaji", "english", "correct_count", "wrong_count"}
    japanese = [item["japanese"] for item in body["items"]]
    assert japanese == sorted(japanese)


def test_pagination_edges(client):
    assert import_group(client, generated_group("Big", 250)).status_code == 201
    total = SEED_WORDS + 250
    pages = [client.get(f"/api/words?page={n}&sort_by=english").json() for n in (1, 2, 3, 4)]
    assert [len(page["items"]) for page in pages] == [100, 100, 100, total - 300]
    assert all(page["pagination"]["total_pages"] == 4 and page["pagination"]["total_items"] == total
               for page in pages)
    ids = [item["id"] for page in pages for item in page["items"]]
    assert len(ids) == len(set(ids)) == total  # no overlap, nothing skipped
    beyond = client.get("/api/words?page=5").json()
    assert beyond["items"] == [] and beyond["pagination"]["current_page"] == 5
    for bad in ("0", "-1", "abc", "1.5", "99999999999999999999"):
        response = client.get(f"/api/words?page={bad}")
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["query", "page"]


def test_sorting_and_its_validation(client):
    descending = [w["english"] for w in client.get("/api/words?sort_by=english&order=desc").json()["items"]]
    assert descending == sorted(descending, key=english_sort_key, reverse=True)
    ascending = [w["english"] for w in client.get("/api/words?sort_by=english").json()["items"]]
    # Qualifiers in parentheses do not decide the place: "(my) father" is among the f's.
    assert ascending[:3] == ["black", "blue", "bread"]
    assert ascending.index("(my) father") == ascending.index("family") + 1
    session_id = start_session(client)
    word_id = group_word_ids(client)[3]
    review(client, session_id, word_id, True)
    review(client, session_id, word_id, True)
    top = client.get("/api/words?sort_by=correct_count&order=desc").json()["items"][0]
    assert (top["id"], top["correct_count"]) == (word_id, 2)
    for query in ("sort_by=kanji", "order=up", "sort_by=id;drop table words"):
        response = client.get(f"/api/words?{query}")
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"].startswith("Input should be")
    for query in ("q=" + "x" * 101, "q=a%00b", "q=%0a"):
        response = client.get(f"/api/words?{query}")
        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"] == ["query", "q"]


def test_word_detail(client):
    session_id = start_session(client)
    word_id = group_word_ids(client)[0]
    review(client, session_id, word_id, True)
    review(client, session_id, word_id, False)
    review(client, session_id, word_id, False)
    body = client.get(f"/api/words/{word_id}").json()
    assert body == {"id": word_id, "japanese": "こんにちは", "kana": "こんにちは", "romaji": "konnichiwa",
                    "english": "hello",
                    "stats": {"correct_count": 1, "wrong_count": 2},
                    "groups": [{"id": GREETINGS, "name": "Basic Greetings"}]}
    assert client.get(f"/api/words/{word_id}", headers=as_user("bob")).json()["stats"] == {
        "correct_count": 0, "wrong_count": 0}


def test_not_found_and_invalid_ids_are_json(client):
    for path in ("/api/words/9999", "/api/groups/9999", "/api/groups/9999/words", "/api/groups/9999/words/raw",
                 "/api/groups/9999/study_sessions", "/api/study_activities/9999",
                 "/api/study_activities/9999/study_sessions", "/api/study_sessions/9999",
                 "/api/study_sessions/9999/words"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"].endswith("not found")
    for path in ("/api/words/0", "/api/words/abc", "/api/groups/2147483648", "/api/study_sessions/-3"):
        assert client.get(path).status_code == 422, path


def test_groups(client):
    body = client.get("/api/groups").json()
    assert {g["name"]: g["word_count"] for g in body["items"]} == SEED_GROUPS
    assert body["pagination"]["total_items"] == len(SEED_GROUPS)
    assert set(body["items"][0]) == {"id", "name", "word_count"}
    by_count = client.get("/api/groups?sort_by=word_count&order=desc").json()["items"]
    assert [g["word_count"] for g in by_count] == sorted(SEED_GROUPS.values(), reverse=True)
    assert [g["name"] for g in by_count[:4]] == ["Numbers", "Food and Drink", "Common Verbs", "Basic Greetings"]
    assert client.get(f"/api/groups/{COLORS}").json() == {"id": COLORS, "name": "Colors",
                                                          "stats": {"total_word_count": 7}}


def test_group_words_paginated_and_raw(client):
    listed = client.get(f"/api/groups/{COLORS}/words?sort_by=romaji").json()
    assert listed["pagination"]["total_items"] == 7
    assert [w["romaji"] for w in listed["items"]] == sorted(w["romaji"] for w in listed["items"])
    raw = client.get(f"/api/groups/{COLORS}/words/raw").json()
    assert (raw["group_id"], raw["group_name"], len(raw["items"])) == (COLORS, "Colors", 7)
    assert raw["items"][0] == {"id": raw["items"][0]["id"], "japanese": "赤い", "kana": "あかい", "romaji": "akai",
                               "english": "red", "parts": {"type": "i-adjective", "formality": "neutral"}}


def test_study_activities(client):
    body = client.get("/api/study_activities").json()
    assert [a["name"] for a in body["items"]] == ["Writing Practice", "Haiku Generator"]
    assert body["pagination"]["total_items"] == 2
    assert client.get(f"/api/study_activities/{HAIKU}").json() == {
        "id": HAIKU, "name": "Haiku Generator", "url": "http://127.0.0.1:5174",  # local mode: the seed's address
        "thumbnail_url": "/thumbnails/haiku-generator.png",
        "description": "Agree on a haiku with the assistant, then see it in Japanese with pictures and audio."}


def test_starting_a_session_validates_its_input(client):
    response = client.post("/api/study_activities", json={"group_id": COLORS, "study_activity_id": HAIKU})
    assert response.status_code == 201
    assert set(response.json()) == {"id", "group_id"} and response.json()["group_id"] == COLORS
    assert client.post("/api/study_activities", json={"group_id": 999, "study_activity_id": 1}).json() == {
        "detail": "group 999 not found"}
    assert client.post("/api/study_activities", json={"group_id": 1, "study_activity_id": 999}).status_code == 404
    for body in ({}, {"group_id": 1}, {"group_id": "one", "study_activity_id": 1}, [1, 2]):
        assert client.post("/api/study_activities", json=body).status_code == 422
    assert client.post("/api/study_activities", content=b"{not json",
                       headers={"Content-Type": "application/json"}).status_code == 422


def test_review_recording(client):
    session_id = start_session(client)
    word_id = group_word_ids(client)[1]
    body = review(client, session_id, word_id, True)
    assert set(body) == {"success", "word_id", "study_session_id", "correct", "created_at"}
    assert (body["success"], body["word_id"], body["study_session_id"], body["correct"]) == (
        True, word_id, session_id, True)
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    other_group_word = group_word_ids(client, COLORS)[0]
    outside = client.post(f"/api/study_sessions/{session_id}/words/{other_group_word}/review", json={"correct": True})
    assert outside.status_code == 409
    assert "is not in group 'Basic Greetings'" in outside.json()["detail"]
    assert client.post(f"/api/study_sessions/{session_id}/words/{word_id}/review",
                       json={"correct": "maybe"}).status_code == 422
    assert client.post(f"/api/study_sessions/{session_id}/words/{word_id}/review", json={}).status_code == 422
    assert client.post(f"/api/study_sessions/{session_id}/words/9999/review",
                       json={"correct": True}).status_code == 404


def test_json_bodies_are_taken_with_their_types_a_string_for_a_number_or_flag_is_422_naming_it(client):
    assert lax_request_bodies(client.app) == []
    for body, field in (({"group_id": str(GREETINGS), "study_activity_id": WRITING_PRACTICE}, "group_id"),
                        ({"group_id": GREETINGS, "study_activity_id": float(WRITING_PRACTICE)}, "study_activity_id")):
        refused = client.post("/api/study_activities", json=body)
        assert refused.status_code == 422, body
        assert [(p["loc"], p["msg"]) for p in refused.json()["detail"]] == [
            (["body", field], "Input should be a valid integer")]
    session_id = start_session(client)  # the same ids as JSON integers
    word_id = group_word_ids(client)[0]
    for flag in ("true", 1, "yes"):
        refused = client.post(f"/api/study_sessions/{session_id}/words/{word_id}/review", json={"correct": flag})
        assert refused.status_code == 422, flag
        assert [(p["loc"], p["msg"]) for p in refused.json()["detail"]] == [
            (["body", "correct"], "Input should be a valid boolean")]
    assert review(client, session_id, word_id, True)["correct"] is True


def test_study_sessions_lists_and_detail(client):
    first = start_session(client, GREETINGS, WRITING_PRACTICE)
    second = start_session(client, COLORS, HAIKU)
    words = group_word_ids(client)
    for word_id, correct in zip(words[:3], (True, False, True)):
        review(client, first, word_id, correct)
    review(client, first, words[0], False)

    listed = client.get("/api/study_sessions").json()
    assert [s["id"] for s in listed["items"]] == [second, first]  # newest first
    item = listed["items"][1]
    assert set(item) == {"id", "activity_name", "group_name", "start_time", "end_time", "review_items_count",
                         "correct_count"}
    assert (item["activity_name"], item["group_name"], item["review_items_count"], item["correct_count"]) == (
        "Writing Practice", "Basic Greetings", 4, 2)
    assert item["end_time"] >= item["start_time"]
    by_reviews = client.get("/api/study_sessions?sort_by=review_items_count&order=desc").json()["items"]
    assert [s["id"] for s in by_reviews] == [first, second]

    detail = client.get(f"/api/study_sessions/{first}").json()
    assert detail == {**item, "group_id": GREETINGS, "study_activity_id": WRITING_PRACTICE}

    session_words = client.get(f"/api/study_sessions/{first}/words").json()
    assert session_words["pagination"]["total_items"] == 3
    counts = {w["id"]: (w["correct_count"], w["wrong_count"]) for w in session_words["items"]}
    assert counts == {words[0]: (1, 1), words[1]: (0, 1), words[2]: (1, 0)}

    by_activity = client.get(f"/api/study_activities/{HAIKU}/study_sessions").json()["items"]
    assert [s["id"] for s in by_activity] == [second]
    by_group = client.get(f"/api/groups/{GREETINGS}/study_sessions").json()["items"]
    assert [s["id"] for s in by_group] == [first]


def test_dashboard_before_and_after_studying(client):
    assert client.get("/api/dashboard/last_study_session").json() is None
    assert client.get("/api/dashboard/study_progress").json() == {"total_words_studied": 0,
                                                                  "total_available_words": SEED_WORDS}
    assert client.get("/api/dashboard/quick-stats").json() == {"success_rate": None, "total_study_sessions": 0,
                                                               "total_active_groups": 0, "study_streak_days": 0}
    start_session(client, GREETINGS)
    latest = start_session(client, COLORS, HAIKU)
    start_session(client, COLORS)  # bob's sessions never count for alice
    start_session(client, GREETINGS, user="bob")
    words = group_word_ids(client, COLORS)
    for word_id, correct in zip(words, (True, True, False)):
        review(client, latest, word_id, correct)

    last = client.get("/api/dashboard/last_study_session").json()
    assert set(last) == {"id", "group_id", "group_name", "study_activity_id", "activity_name", "created_at"}
    assert last["id"] == latest + 1 and (last["group_name"], last["activity_name"]) == ("Colors", "Writing Practice")
    assert client.get("/api/dashboard/study_progress").json() == {"total_words_studied": 3,
                                                                  "total_available_words": SEED_WORDS}
    assert client.get("/api/dashboard/quick-stats").json() == {"success_rate": 66.7, "total_study_sessions": 3,
                                                               "total_active_groups": 2, "study_streak_days": 1}


def test_reset_history_only_touches_the_callers_history(client):
    mine, theirs = start_session(client), start_session(client, user="bob")
    word_id = group_word_ids(client)[0]
    review(client, mine, word_id, True)
    review(client, theirs, word_id, True, user="bob")
    assert client.post("/api/reset_history").json() == {"success": True, "message": "Study history has been reset"}
    assert client.get("/api/study_sessions").json()["items"] == []
    assert client.get(f"/api/words/{word_id}").json()["stats"] == {"correct_count": 0, "wrong_count": 0}
    assert client.get("/api/study_sessions", headers=as_user("bob")).json()["pagination"]["total_items"] == 1
    assert client.get("/api/dashboard/quick-stats", headers=as_user("bob")).json()["success_rate"] == 100.0


def test_full_reset_returns_the_caller_to_the_seed(client):
    imported = import_group(client, generated_group("Mine", 3)).json()
    session_id = start_session(client, imported["id"])
    review(client, session_id, group_word_ids(client, imported["id"])[0], True)
    import_group(client, generated_group("Bob's", 2), as_user("bob"))
    response = client.post("/api/full_reset")
    assert response.json() == {"success": True, "message": "Your data has been reset to the seed vocabulary"}
    assert {g["name"] for g in client.get("/api/groups").json()["items"]} == set(SEED_GROUPS)
    assert client.get("/api/words").json()["pagination"]["total_items"] == SEED_WORDS
    assert client.get("/api/study_sessions").json()["items"] == []
    bob_groups = {g["name"] for g in client.get("/api/groups", headers=as_user("bob")).json()["items"]}
    assert "Bob's" in bob_groups


def test_the_serving_app_keeps_its_startup_objects_out_of_full_collections(client):
    assert gc.get_freeze_count() > 1000  # modules/runtime.py says why
