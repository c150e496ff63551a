"""The Haiku API end to end in-process: the chat (streamed and whole) to an accepted haiku whose media the
worker makes, failures, deleting, the rules on what a haiku allows, and who may see what."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.stub import ANY

from modules.tests.support import lax_request_bodies
from modules.tests.users import as_user
from projects.haiku.backend import views
from projects.haiku.backend.tests.conftest import CDN, running_with_aws, settings_for
from projects.haiku.backend.tests.helpers import (DESCRIPTIONS, JAPANESE, LINES, MP3, PNG, PROPOSAL, agree,
                                                  queue_chat, queue_media, start)


def sse(response) -> list[tuple[str, dict]]:
    events = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_a_conversation_to_a_completed_haiku_with_its_media(db_url, s3_emulator, monkeypatch):
    with running_with_aws(db_url, s3_emulator, monkeypatch, media_base_url=CDN) as aws:
        haiku_id = start(aws.client)
        with aws.stub("bedrock-runtime") as bedrock:
            queue_chat(bedrock, "What would you like ", "your haiku to be about?",
                       messages=[{"role": "user", "content": [{"text": "Help me write a haiku"}]}])
            first = aws.client.post(f"/api/chat/{haiku_id}/stream", json={"message": "  Help me write a haiku "})
            # The second turn sends the first one back to the model, the learner's message first.
            queue_chat(bedrock, PROPOSAL, messages=[
                {"role": "user", "content": [{"text": "Help me write a haiku"}]},
                {"role": "assistant", "content": [{"text": "What would you like your haiku to be about?"}]},
                {"role": "user", "content": [{"text": "a frog and a pond"}]}])
            second = aws.client.post(f"/api/chat/{haiku_id}", json={"message": "a frog and a pond"})
            bedrock.assert_no_pending_responses()
        assert first.status_code == 200 and first.headers["content-type"].startswith("text/event-stream")
        events = sse(first)
        assert events[:2] == [("delta", {"text": "What would you like "}), ("delta", {"text": "your haiku to be about?"})]
        assert events[2][0] == "done" and events[2][1]["haiku"]["english_lines"] == []
        assert second.status_code == 200
        assert second.json()["message"] == PROPOSAL
        assert second.json()["haiku"] | {"created_at": None, "updated_at": None} == {
            "haiku_id": haiku_id, "status": "new", "error_message": None, "english_lines": LINES,
            "japanese_lines": [], "image_descriptions": [], "image_urls": [], "audio_urls": [],
            "created_at": None, "updated_at": None}
        history = aws.client.get(f"/api/chat/{haiku_id}/history").json()["items"]
        assert [(item["role"], item["message"]) for item in history] == [
            ("user", "Help me write a haiku"), ("assistant", "What would you like your haiku to be about?"),
            ("user", "a frog and a pond"), ("assistant", PROPOSAL)]
        assert history[-1]["chat_id"] == second.json()["chat_id"]

        with aws.stub("bedrock-runtime") as bedrock, aws.stub("polly") as polly:
            queue_media(bedrock, polly)
            accepted = aws.client.post(f"/api/haiku/{haiku_id}/accept")
            assert accepted.status_code == 202 and accepted.json()["status"] == "in progress"
            done = aws.wait_while_in_progress(haiku_id)
            bedrock.assert_no_pending_responses()
            polly.assert_no_pending_responses()
        # The list's lean path (rows to JSON, on PostgreSQL read on the event loop) answers what the read does.
        assert aws.client.get("/api/haiku").json() == {"items": [done], "total": 1}
    assert done["status"] == "completed", done
    assert (done["english_lines"], done["japanese_lines"], done["image_descriptions"]) == (LINES, JAPANESE,
                                                                                        DESCRIPTIONS)
    assert done["image_urls"] == [f"{CDN}/haiku/{haiku_id}/image-{n}.png" for n in (1, 2, 3)]
    assert done["audio_urls"] == [f"{CDN}/haiku/{haiku_id}/audio-{n}.mp3" for n in (1, 2, 3)]


def test_media_are_stored_under_the_haiku_and_presigned_without_a_cdn(aws):
    haiku_id = start(aws.client)
    agree(aws, haiku_id)
    with aws.stub("bedrock-runtime") as bedrock, aws.stub("polly") as polly:
        queue_media(bedrock, polly)
        aws.client.post(f"/api/haiku/{haiku_id}/accept")
        done = aws.wait_while_in_progress(haiku_id)
    assert done["status"] == "completed"
    assert aws.media_keys(haiku_id) == sorted(
        [f"haiku/{haiku_id}/image-{n}.png" for n in (1, 2, 3)] + [f"haiku/{haiku_id}/audio-{n}.mp3" for n in (1, 2, 3)])
    stored = aws.s3.get_object(Bucket="app-dw-media", Key=f"haiku/{haiku_id}/image-2.png")
    assert (stored["Body"].read(), stored["ContentType"]) == (PNG, "image/png")
    assert aws.s3.get_object(Bucket="app-dw-media", Key=f"haiku/{haiku_id}/audio-1.mp3")["Body"].read() == MP3
    assert all(f"/haiku/{haiku_id}/" in url and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
               for url in done["image_urls"] + done["audio_urls"])
    listed = aws.client.get("/api/haiku").json()["items"][0]  # the list presigns too (on a worker thread)
    assert all(f"/haiku/{haiku_id}/" in url and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
               for url in listed["image_urls"] + listed["audio_urls"])


def test_an_image_throttled_fails_the_haiku_and_leaves_no_media(aws):
    haiku_id = start(aws.client)
    agree(aws, haiku_id)
    with aws.stub("bedrock-runtime") as bedrock, aws.stub("polly") as polly:
        queue_media(bedrock, polly, image_error="ThrottlingException")
        aws.client.post(f"/api/haiku/{haiku_id}/accept")
        failed = aws.wait_while_in_progress(haiku_id)
    assert failed["status"] == "failed"
    assert failed["error_message"] == ("Bedrock image model was busy while making the image for line 2; "
                                       "try again in a few minutes.")
    assert failed["image_urls"] == failed["audio_urls"] == failed["japanese_lines"] == []
    assert aws.media_keys(haiku_id) == []
    # A failed haiku may be accepted again, and then completes.
    with aws.stub("bedrock-runtime") as bedrock, aws.stub("polly") as polly:
        queue_media(bedrock, polly)
        assert aws.client.post(f"/api/haiku/{haiku_id}/accept").status_code == 202
        assert aws.wait_while_in_progress(haiku_id)["status"] == "completed"


def test_a_guardrail_intervention_in_the_chat_is_a_message_and_a_count_and_stores_nothing(aws):
    haiku_id = start(aws.client)
    blocked = "Sorry, I can only help with a haiku about other things."
    with aws.stub("bedrock-runtime") as bedrock, aws.stub("cloudwatch") as cloudwatch:
        queue_chat(bedrock, blocked, stop_reason="guardrail_intervened")
        queue_chat(bedrock, blocked, stop_reason="guardrail_intervened")
        for _ in range(2):
            cloudwatch.add_response("put_metric_data", {}, expected_params={
                "Namespace": "AppDw/Guardrails",
                "MetricData": [{"MetricName": "GuardrailViolations", "Value": 1.0, "Unit": "Count"}]})
        streamed = aws.client.post(f"/api/chat/{haiku_id}/stream", json={"message": "something harmful"})
        whole = aws.client.post(f"/api/chat/{haiku_id}", json={"message": "something harmful"})
        cloudwatch.assert_no_pending_responses()
    assert sse(streamed)[-1] == ("error", {"detail": blocked, "status": 422, "reason": "guardrail"})
    assert (whole.status_code, whole.json()) == (422, {"detail": blocked, "reason": "guardrail"})
    assert aws.client.get(f"/api/chat/{haiku_id}/history").json()["items"] == []
    assert aws.client.get(f"/api/haiku/{haiku_id}").json()["english_lines"] == []


def test_a_completed_haiku_can_only_be_viewed_or_deleted_and_deleting_removes_its_media(aws):
    haiku_id = start(aws.client)
    agree(aws, haiku_id)
    with aws.stub("bedrock-runtime") as bedrock, aws.stub("polly") as polly:
        queue_media(bedrock, polly)
        aws.client.post(f"/api/haiku/{haiku_id}/accept")
        assert aws.wait_while_in_progress(haiku_id)["status"] == "completed"
    for refused in (aws.client.post(f"/api/chat/{haiku_id}", json={"message": "change it"}),
                    aws.client.post(f"/api/chat/{haiku_id}/stream", json={"message": "change it"}),
                    aws.client.post(f"/api/haiku/{haiku_id}/accept")):
        assert refused.status_code == 409
        assert refused.json()["detail"] == "this haiku is completed: it can only be viewed or deleted"
    assert aws.client.delete(f"/api/haiku/{haiku_id}").status_code == 204
    assert aws.media_keys(haiku_id) == []
    assert aws.client.get(f"/api/haiku/{haiku_id}").status_code == 404
    assert aws.client.get(f"/api/chat/{haiku_id}/history").status_code == 404


def test_a_haiku_without_lines_cannot_be_accepted(aws):
    haiku_id = start(aws.client)
    response = aws.client.post(f"/api/haiku/{haiku_id}/accept")
    assert (response.status_code, response.json()["detail"]) == (
        409, "agree on a haiku in the chat first: it has no lines yet")


def test_one_haiku_in_progress_per_learner_under_concurrent_accepts(postgres_url, s3_emulator, monkeypatch):
    # No worker takes them (a poll far away, nothing wakes it): both would stay in progress.
    with running_with_aws(postgres_url, s3_emulator, monkeypatch, media_poll_seconds=60,
                          media_lease_seconds=600) as aws:
        aws.app.state.media_worker.wake = lambda: None
        haikus = [start(aws.client) for _ in range(4)]
        for haiku_id in haikus:
            agree(aws, haiku_id)
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda haiku_id: aws.client.post(f"/api/haiku/{haiku_id}/accept"), haikus))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [202, 409, 409, 409], [answer.text for answer in answers]
        refused = [answer.json()["detail"] for answer in answers if answer.status_code == 409]
        assert set(refused) == {"you already have a haiku in progress: wait until its media are made"}
        # Another learner is not held up by alice's.
        bobs = start(aws.client, "bob")
        agree(aws, bobs, "bob")
        assert aws.client.post(f"/api/haiku/{bobs}/accept", headers=as_user("bob")).status_code == 202


def test_every_endpoint_answers_only_for_the_owners_haikus(aws):
    haiku_id = start(aws.client)
    agree(aws, haiku_id)
    bob = as_user("bob")
    for method, path, body in (("GET", f"/api/haiku/{haiku_id}", None), ("DELETE", f"/api/haiku/{haiku_id}", None),
                               ("POST", f"/api/haiku/{haiku_id}/accept", None),
                               ("POST", f"/api/chat/{haiku_id}", {"message": "hi"}),
                               ("POST", f"/api/chat/{haiku_id}/stream", {"message": "hi"}),
                               ("GET", f"/api/chat/{haiku_id}/history", None)):
        response = aws.client.request(method, path, json=body, headers=bob)
        assert (response.status_code, response.json()) == (404, {"detail": "haiku not found"}), (method, path)
    assert aws.client.get("/api/haiku", headers=bob).json() == {"items": [], "total": 0}
    mine = aws.client.get("/api/haiku").json()
    assert mine["total"] == 1 and [item["haiku_id"] for item in mine["items"]] == [haiku_id]
    assert aws.client.get(f"/api/haiku/{haiku_id}").json()["english_lines"] == LINES  # untouched by bob


@pytest.mark.parametrize("method,path,body,settings", [
    ("POST", "/api/chat/{id}", {"message": "hi"}, ["AWS_DEFAULT_REGION", "GUARDRAIL_ID", "GUARDRAIL_VERSION"]),
    ("POST", "/api/chat/{id}/stream", {"message": "hi"}, ["AWS_DEFAULT_REGION", "GUARDRAIL_ID", "GUARDRAIL_VERSION"]),
])
def test_local_mode_answers_503_naming_the_settings(client, method, path, body, settings):
    haiku_id = start(client)
    response = client.request(method, path.format(id=haiku_id), json=body)
    assert (response.status_code, response.json()["settings"]) == (503, settings)
    assert "is not available: set " + ", ".join(settings) in response.json()["detail"]


def test_local_mode_lists_reads_and_deletes_and_says_what_is_off(client):
    haiku_id = start(client)
    assert client.get("/api/capabilities").json() == {"features": {"chat": False, "media": False}}
    assert client.get("/api/health").json()["features"] == {
        "chat": "off: set AWS_DEFAULT_REGION, GUARDRAIL_ID, GUARDRAIL_VERSION",
        "media": "off: set AWS_DEFAULT_REGION, GUARDRAIL_ID, GUARDRAIL_VERSION, MEDIA_BUCKET"}
    assert client.get("/api/haiku").json()["total"] == 1
    assert client.delete(f"/api/haiku/{haiku_id}").status_code == 204
    assert client.get("/api/haiku").json() == {"items": [], "total": 0}


def test_the_list_is_the_newest_haikus_and_counts_them_all(client, monkeypatch):
    monkeypatch.setattr(views, "LIST_LIMIT", 2)
    started = [start(client) for _ in range(3)]
    listed = client.get("/api/haiku").json()
    assert listed["total"] == 3
    assert [item["haiku_id"] for item in listed["items"]] == started[:0:-1]  # newest first, the oldest left out


@pytest.mark.parametrize("body,problem", [
    ({"message": ""}, "at least 1 character"), ({"message": "   "}, "must not be blank"),
    ({"message": "a\x00b"}, "must not contain control characters"), ({"message": "x" * 1001}, "at most 1000"),
    ({}, "Field required")])
def test_bad_messages_are_422_naming_the_problem(client, body, problem):
    response = client.post(f"/api/chat/{start(client)}", json=body)
    assert response.status_code == 422
    assert problem in json.dumps(response.json())


def test_request_bodies_are_validated_strictly(app):
    assert lax_request_bodies(app) == []  # a future field gets JSON's types as they are (modules/schemas.py)


def test_ids_that_are_not_haiku_ids_are_422(client):
    for path in ("/api/haiku/1", "/api/haiku/%ED%A0%80", f"/api/haiku/{'A' * 32}", "/api/chat/x/history"):
        assert client.get(path).status_code == 422, path


def test_the_chat_budget_is_spent_per_turn_and_refused_with_retry_after(db_url, s3_emulator, monkeypatch):
    with running_with_aws(db_url, s3_emulator, monkeypatch, ai_call_burst=1, ai_calls_per_hour=6) as aws:
        haiku_id = start(aws.client)
        agree(aws, haiku_id)
        with aws.stub("bedrock-runtime") as bedrock:
            refused = aws.client.post(f"/api/chat/{haiku_id}/stream", json={"message": "again"})
            bedrock.assert_no_pending_responses()  # no model call was made
        assert refused.status_code == 429 and refused.headers["retry-after"] == "600"
        assert aws.client.post(f"/api/haiku/{haiku_id}/accept").status_code == 429


def test_settings_for_is_local_mode():
    assert settings_for("sqlite://").local_mode
