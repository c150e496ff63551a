"""POST /api/groups/import: validation, idempotency, ownership, all-or-nothing."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from projects.lang_portal.backend.routers import groups as groups_router
from projects.lang_portal.backend.tests.conftest import SERVICE, as_user
from projects.lang_portal.backend.tests.helpers import SEED_GROUPS, SEED_WORDS, generated_group, import_group

WEATHER = {"group_name": "Weather", "words": [
    {"japanese": "雨", "romaji": "ame", "english": "rain", "parts": {"type": "noun", "formality": "neutral"}},
    {"japanese": "雪", "romaji": "yuki", "english": "snow", "parts": {"type": "noun", "formality": "neutral"}}]}


def test_import_creates_a_group_owned_by_the_caller(client):
    response = import_group(client, WEATHER)
    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "name": "Weather", "word_count": 2, "created": True, "words_added": 2}
    raw = client.get(f"/api/groups/{body['id']}/words/raw").json()
    assert [(w["japanese"], w["parts"]) for w in raw["items"]] == [(w["japanese"], w["parts"]) for w in WEATHER["words"]]
    assert client.get(f"/api/groups/{body['id']}", headers=as_user("bob")).status_code == 404
    assert client.get("/api/words", headers=as_user("bob")).json()["pagination"]["total_items"] == SEED_WORDS


def test_resending_is_idempotent(client):
    first = import_group(client, WEATHER).json()
    again = import_group(client, WEATHER)
    assert again.status_code == 200
    assert again.json() == {**first, "created": False, "words_added": 0}
    assert client.get("/api/words").json()["pagination"]["total_items"] == SEED_WORDS + 2
    assert client.get("/api/groups").json()["pagination"]["total_items"] == len(SEED_GROUPS) + 1


def test_new_words_under_an_existing_name_are_added(client):
    first = import_group(client, WEATHER).json()
    more = {**WEATHER, "words": [*WEATHER["words"], {"japanese": "風", "romaji": "kaze", "english": "wind"}]}
    body = import_group(client, more).json()
    assert (body["id"], body["word_count"], body["words_added"], body["created"]) == (first["id"], 3, 1, False)


def test_seeded_words_are_reused_not_copied(client):
    payload = {"group_name": "My Greetings", "words": [
        {"japanese": "こんにちは", "romaji": "konnichiwa", "english": "hello", "parts": {}}]}
    body = import_group(client, payload).json()
    assert body["words_added"] == 1
    assert client.get("/api/words").json()["pagination"]["total_items"] == SEED_WORDS
    word = client.get(f"/api/groups/{body['id']}/words/raw").json()["items"][0]
    assert {g["name"] for g in client.get(f"/api/words/{word['id']}").json()["groups"]} == {
        "Basic Greetings", "My Greetings"}
    # bob does not see alice's group among the word's groups
    assert [g["name"] for g in client.get(f"/api/words/{word['id']}", headers=as_user("bob")).json()["groups"]] == [
        "Basic Greetings"]


def test_the_same_group_name_is_separate_per_user(client):
    alice = import_group(client, WEATHER).json()
    bob = import_group(client, WEATHER, as_user("bob"))
    assert bob.status_code == 201 and bob.json()["id"] != alice["id"]


def test_a_service_import_is_shared_vocabulary(client):
    response = import_group(client, WEATHER, SERVICE)
    assert response.status_code == 201
    for user in ("alice", "bob"):
        names = {g["name"] for g in client.get("/api/groups", headers=as_user(user)).json()["items"]}
        assert "Weather" in names
    client.post("/api/full_reset", headers=as_user("alice"))
    assert client.post("/api/full_reset", headers=SERVICE).status_code == 403  # the key's one job is the import
    assert "Weather" in {g["name"] for g in client.get("/api/groups").json()["items"]}


def test_a_wrong_api_key_is_401(client):
    response = import_group(client, WEATHER, {"X-Api-Key": "not-the-key"})
    assert response.status_code == 401
    assert response.json() == {"detail": "API key is not valid"}


@pytest.mark.parametrize("payload,problem", [
    ({"words": WEATHER["words"]}, ["body", "group_name"]),
    ({"group_name": "", "words": WEATHER["words"]}, ["body", "group_name"]),
    ({"group_name": "x" * 101, "words": WEATHER["words"]}, ["body", "group_name"]),
    ({"group_name": "Empty", "words": []}, ["body", "words"]),
    ({"group_name": "Huge", "words": generated_group("Huge", 501)["words"]}, ["body", "words"]),
    ({"group_name": "No romaji", "words": [{"japanese": "雨", "english": "rain"}]}, ["body", "words", 0, "romaji"]),
    ({"group_name": "Blank", "words": [{"japanese": "  ", "romaji": "a", "english": "b"}]},
     ["body", "words", 0, "japanese"]),
    ({"group_name": "Parts", "words": [{"japanese": "雨", "romaji": "ame", "english": "rain",
                                        "parts": {"notes": "x" * 3000}}]}, ["body", "words", 0, "parts"]),
    ({"group_name": "Parts", "words": [{"japanese": "雨", "romaji": "ame", "english": "rain", "parts": [1]}]},
     ["body", "words", 0, "parts"]),
])
def test_invalid_payloads_are_422_naming_the_field(client, payload, problem):
    response = import_group(client, payload)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == problem


def test_an_oversized_body_is_413(client):
    response = import_group(client, {**WEATHER, "padding": "x" * 1_100_000})
    assert response.status_code == 413
    assert response.json() == {"detail": "request body is larger than 1048576 bytes"}


def test_an_import_is_all_or_nothing(client, monkeypatch):
    def fail_after_writing(db, payload, owner):
        groups_router_add_group(db, payload, owner)
        raise IntegrityError("INSERT", {}, Exception("simulated conflict"))

    groups_router_add_group = groups_router.add_group
    monkeypatch.setattr(groups_router, "add_group", fail_after_writing)
    response = import_group(client, WEATHER)
    assert response.status_code == 409
    assert "retry" in response.json()["detail"]
    monkeypatch.undo()
    assert "Weather" not in {g["name"] for g in client.get("/api/groups").json()["items"]}
    assert client.get("/api/words").json()["pagination"]["total_items"] == SEED_WORDS
