"""Small request helpers for the API tests."""
from __future__ import annotations

from fastapi.testclient import TestClient

from projects.lang_portal.backend.tests.conftest import as_user

SEED_WORDS = 54
SEED_GROUPS = {"Basic Greetings": 10, "Colors": 7, "Common Verbs": 10, "Family": 7, "Food and Drink": 10,
               "Numbers": 10}
GREETINGS, COLORS = 1, 2
WRITING_PRACTICE, HAIKU = 1, 2


def start_session(client: TestClient, group_id: int = GREETINGS, activity_id: int = WRITING_PRACTICE,
                  user: str = "alice") -> int:
    response = client.post("/api/study_activities", json={"group_id": group_id, "study_activity_id": activity_id},
                           headers=as_user(user))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def review(client: TestClient, session_id: int, word_id: int, correct: bool, user: str = "alice") -> dict:
    response = client.post(f"/api/study_sessions/{session_id}/words/{word_id}/review", json={"correct": correct},
                           headers=as_user(user))
    assert response.status_code == 201, response.text
    return response.json()


def group_word_ids(client: TestClient, group_id: int = GREETINGS, user: str = "alice") -> list[int]:
    response = client.get(f"/api/groups/{group_id}/words/raw", headers=as_user(user))
    return [word["id"] for word in response.json()["items"]]


def generated_group(name: str, count: int, prefix: str = "語") -> dict:
    return {"group_name": name, "words": [
        {"japanese": f"{prefix}{n}", "romaji": f"go{n}", "english": f"word {n:03d}",
         "parts": {"type": "noun", "formality": "neutral"}} for n in range(count)]}


def import_group(client: TestClient, payload: dict, headers: dict | None = None):
    return client.post("/api/groups/import", json=payload, headers=headers or as_user("alice"))
