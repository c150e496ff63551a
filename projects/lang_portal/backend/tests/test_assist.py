"""Word audio, example sentences and pictures with Bedrock, Polly and S3 stubbed (botocore Stubber)."""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from botocore.stub import ANY, Stubber
from fastapi.testclient import TestClient

from modules.aws import AwsClients
from modules.tests.support import GUARDRAIL_USAGE, converse_response, fake_session, stream
from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.tests.conftest import as_user, settings_for, with_test_users
from projects.lang_portal.backend.tests.helpers import generated_group, import_group

AWS = dict(aws_region="us-east-1", guardrail_id="gr-lang", guardrail_version="1", media_bucket="app-dw-media",
           media_prefix="lang-portal/")
HELLO = 1  # こんにちは in the seed


@contextmanager
def running_with_aws(db_url: str, **settings: object) -> Iterator[TestClient]:
    configured = settings_for(db_url, **AWS, **settings)
    app = create_app(configured, aws_clients=AwsClients(configured, session=fake_session()))
    with_test_users(app)
    with TestClient(app) as client:
        client.stub = lambda service: Stubber(app.state.aws_clients.get(service))
        yield client
    app.state.engine.dispose()


@pytest.fixture
def aws_client(db_url):
    with running_with_aws(db_url) as client:
        yield client


SENTENCE = json.dumps({"japanese": "こんにちは、田中さん。", "romaji": "konnichiwa, tanaka-san.",
                       "english": "Hello, Mr. Tanaka."}, ensure_ascii=False)


def test_word_audio_is_synthesized_once_and_presigned(aws_client):
    with aws_client.stub("s3") as s3, aws_client.stub("polly") as polly:
        s3.add_client_error("head_object", service_error_code="404", http_status_code=404)
        polly.add_response("synthesize_speech", {"AudioStream": stream(b"mp3-bytes"), "ContentType": "audio/mpeg"},
                           expected_params={"Text": "こんにちは", "TextType": "text", "OutputFormat": "mp3",
                                            "VoiceId": "Kazuha", "Engine": "neural", "LanguageCode": "ja-JP"})
        s3.add_response("put_object", {}, expected_params={"Bucket": "app-dw-media", "Key": ANY, "Body": b"mp3-bytes",
                                                            "ContentType": "audio/mpeg"})
        s3.add_response("head_object", {"ContentLength": 9})  # the second request finds it cached
        first = aws_client.post(f"/api/words/{HELLO}/audio")
        second = aws_client.post(f"/api/words/{HELLO}/audio")
        polly.assert_no_pending_responses()
        s3.assert_no_pending_responses()
    assert first.status_code == second.status_code == 200
    payload = first.json()
    assert (payload["word_id"], payload["content_type"], payload["expires_in"]) == (HELLO, "audio/mpeg", 900)
    assert payload["url"].startswith("https://app-dw-media.s3.amazonaws.com/lang-portal/audio/")
    assert second.json()["url"].split("?")[0] == payload["url"].split("?")[0]


def test_example_sentence(aws_client):
    with aws_client.stub("bedrock-runtime") as bedrock:
        bedrock.add_response("converse", converse_response(f"Here you go:\n{SENTENCE}"), expected_params={
            "modelId": ANY, "system": ANY, "messages": ANY, "inferenceConfig": ANY,
            "guardrailConfig": {"guardrailIdentifier": "gr-lang", "guardrailVersion": "1", "trace": "disabled"}})
        response = aws_client.post(f"/api/words/{HELLO}/example_sentence")
    assert response.status_code == 200
    assert response.json() == {"word_id": HELLO, "japanese": "こんにちは、田中さん。",
                               "romaji": "konnichiwa, tanaka-san.", "english": "Hello, Mr. Tanaka."}


def test_guardrail_intervention_is_422_and_counted(aws_client):
    with aws_client.stub("bedrock-runtime") as bedrock, aws_client.stub("cloudwatch") as cloudwatch:
        bedrock.add_response("converse", converse_response("That topic is not allowed.", "guardrail_intervened"))
        cloudwatch.add_response("put_metric_data", {}, expected_params={
            "Namespace": "AppDw/Guardrails",
            "MetricData": [{"MetricName": "GuardrailViolations", "Value": 1.0, "Unit": "Count"}]})
        response = aws_client.post(f"/api/words/{HELLO}/example_sentence")
        cloudwatch.assert_no_pending_responses()
    assert response.status_code == 422
    assert response.json() == {"detail": "That topic is not allowed.", "reason": "guardrail"}


def test_throttling_is_429_with_retry_after(aws_client):
    with aws_client.stub("bedrock-runtime") as bedrock:
        bedrock.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
        response = aws_client.post(f"/api/words/{HELLO}/example_sentence")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"detail": "Bedrock is rate limiting requests; try again in a few seconds"}


def test_an_unusable_model_answer_is_502(aws_client):
    with aws_client.stub("bedrock-runtime") as bedrock:
        bedrock.add_response("converse", converse_response("I'd rather talk about the weather."))
        response = aws_client.post(f"/api/words/{HELLO}/example_sentence")
    assert response.status_code == 502
    assert "not a usable example sentence" in response.json()["detail"]


def test_picture_is_generated_stored_and_presigned(aws_client):
    png = b"\x89PNG..."
    with aws_client.stub("s3") as s3, aws_client.stub("bedrock-runtime") as bedrock:
        s3.add_client_error("head_object", service_error_code="404", http_status_code=404)
        bedrock.add_response("apply_guardrail", {"usage": GUARDRAIL_USAGE, "action": "NONE", "outputs": [],
                                                 "assessments": []})
        bedrock.add_response("invoke_model", {"body": stream(json.dumps(
            {"images": [base64.b64encode(png).decode()]}).encode()), "contentType": "application/json"})
        s3.add_response("put_object", {}, expected_params={"Bucket": "app-dw-media", "Key": ANY, "Body": png,
                                                            "ContentType": "image/png"})
        response = aws_client.post(f"/api/words/{HELLO}/picture")
        bedrock.assert_no_pending_responses()
    assert response.status_code == 200
    assert response.json()["url"].startswith("https://app-dw-media.s3.amazonaws.com/lang-portal/pictures/")
    assert response.json()["content_type"] == "image/png"


def test_assist_respects_word_visibility(aws_client):
    group = import_group(aws_client, generated_group("Private", 1)).json()
    word_id = aws_client.get(f"/api/groups/{group['id']}/words/raw").json()["items"][0]["id"]
    for kind in ("audio", "picture", "example_sentence"):
        assert aws_client.post(f"/api/words/{word_id}/{kind}", headers=as_user("bob")).status_code == 404


@pytest.mark.parametrize("kind,settings", [
    ("audio", ["AWS_DEFAULT_REGION", "MEDIA_BUCKET"]),
    ("picture", ["AWS_DEFAULT_REGION", "GUARDRAIL_ID", "GUARDRAIL_VERSION", "MEDIA_BUCKET"]),
    ("example_sentence", ["AWS_DEFAULT_REGION", "GUARDRAIL_ID", "GUARDRAIL_VERSION"]),
])
def test_local_mode_answers_503_naming_the_settings(client, kind, settings):
    response = client.post(f"/api/words/{HELLO}/{kind}")
    assert response.status_code == 503
    assert response.json()["settings"] == settings
    assert "is not available: set " + ", ".join(settings) in response.json()["detail"]


def test_an_example_sentence_is_made_once_per_word_and_then_reused(aws_client):
    with aws_client.stub("bedrock-runtime") as bedrock:
        bedrock.add_response("converse", converse_response(SENTENCE))  # one model call, no more
        answers = [aws_client.post(f"/api/words/{HELLO}/example_sentence", headers=as_user(user))
                   for user in ("alice", "alice", "bob")]
        bedrock.assert_no_pending_responses()
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[0].json() == answers[1].json() == answers[2].json()


def test_new_generations_beyond_a_users_burst_are_429_with_retry_after(db_url):
    with running_with_aws(db_url, ai_call_burst=1, ai_calls_per_hour=12) as client:
        with client.stub("bedrock-runtime") as bedrock, client.stub("s3") as s3:
            bedrock.add_response("converse", converse_response(SENTENCE))
            assert client.post(f"/api/words/{HELLO}/example_sentence").status_code == 200
            s3.add_client_error("head_object", service_error_code="404", http_status_code=404)
            refused = client.post(f"/api/words/{HELLO}/picture")  # alice's one call is spent: no model call
            bedrock.assert_no_pending_responses()
            s3.assert_no_pending_responses()
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "300"  # 12 an hour: one every five minutes
        assert refused.json()["retry_after_seconds"] == 300 and "too many AI requests" in refused.json()["detail"]
        # What was made already is still hers, free of charge.
        assert client.post(f"/api/words/{HELLO}/example_sentence").status_code == 200


def test_capabilities_say_what_learners_can_use_without_naming_settings(client, aws_client, db_url):
    assert client.get("/api/capabilities").json() == {
        "features": {"word_audio": False, "word_picture": False, "example_sentence": False}}
    assert aws_client.get("/api/capabilities").json() == {
        "features": {"word_audio": True, "word_picture": True, "example_sentence": True}}
    # Speech and the bucket but no guardrail: audio only. The endpoints agree with the answer.
    settings = settings_for(db_url, aws_region="us-east-1", media_bucket="app-dw-media")
    app = with_test_users(create_app(settings, aws_clients=AwsClients(settings, session=fake_session())))
    with TestClient(app) as partial:
        assert partial.get("/api/capabilities").json()["features"] == {
            "word_audio": True, "word_picture": False, "example_sentence": False}
        assert partial.get("/api/health").json()["features"] == {
            "word_audio": "available",
            "word_picture": "off: set GUARDRAIL_ID, GUARDRAIL_VERSION",
            "example_sentence": "off: set GUARDRAIL_ID, GUARDRAIL_VERSION"}
        refused = partial.post(f"/api/words/{HELLO}/picture")
        assert (refused.status_code, refused.json()["settings"]) == (503, ["GUARDRAIL_ID", "GUARDRAIL_VERSION"])
    app.state.engine.dispose()


def test_the_startup_log_names_what_turns_each_missing_feature_on(db_url, capsys):
    app = with_test_users(create_app(settings_for(db_url, aws_region="us-east-1")))
    with TestClient(app):
        pass
    app.state.engine.dispose()
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    unavailable = {line["feature"]: line["state"] for line in logged if line["message"] == "feature unavailable"}
    assert unavailable == {"word_audio": "off: set MEDIA_BUCKET",
                           "word_picture": "off: set GUARDRAIL_ID, GUARDRAIL_VERSION, MEDIA_BUCKET",
                           "example_sentence": "off: set GUARDRAIL_ID, GUARDRAIL_VERSION"}
    assert all(line["level"] == "WARNING" for line in logged if line["message"] == "feature unavailable")
