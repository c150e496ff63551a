"""The Lang Portal API called directly, as an activity app or a script would: to arrange data for the
browser tests and to compare pages with the API's answers."""
from __future__ import annotations

import json
import urllib.request


def call_api(portal_url: str, method: str, path: str, body: object | None = None,
             token: str | None = None) -> object:
    """JSON in and out; `token` is the caller's bearer token when the API checks Cognito tokens."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{portal_url}/api{path}", data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def seed_ids(portal_url: str, token: str | None = None) -> dict[str, int]:
    """Ids of seed data the tests use: the "Basic Greetings" group, its first word, "Writing Practice"."""
    groups = call_api(portal_url, "GET", "/groups?sort_by=name", token=token)["items"]
    greetings = next(group for group in groups if group["name"] == "Basic Greetings")
    words = call_api(portal_url, "GET", f"/groups/{greetings['id']}/words", token=token)["items"]
    activities = call_api(portal_url, "GET", "/study_activities", token=token)["items"]
    writing = next(activity for activity in activities if activity["name"] == "Writing Practice")
    return {"group": greetings["id"], "word": words[0]["id"], "activity": writing["id"]}
