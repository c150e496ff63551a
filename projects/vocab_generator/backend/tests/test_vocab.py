"""POST /api/vocab with Bedrock stubbed: good answers, invalid ones retried once with the problem told to the model
then a 502 naming it, the guardrail, throttling, the per-user limit, the romaji check; the file check and audio."""
from __future__ import annotations

import base64
import logging

import pytest
from botocore.stub import ANY

from modules.tests.support import CLIENT_ID, ISSUER, JwksServer, SigningKey, lax_request_bodies, stream
from projects.vocab_generator.backend.generation import SYSTEM_PROMPT, TOOL_NAME, vocabulary_tool
from projects.vocab_generator.backend.tests.conftest import FOOD, GUARDRAIL, Backend, settings_for, tool_answer, word

FIVE_FOOD = {"topic": "food", "word_count": 5}


def converse_params(messages=ANY) -> dict:
    return {"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "system": [{"text": SYSTEM_PROMPT}],
            "messages": messages, "inferenceConfig": {"maxTokens": 2000, "temperature": 0.7},
            "toolConfig": {"tools": ANY, "toolChoice": {"tool": {"name": TOOL_NAME}}}, "guardrailConfig": GUARDRAIL}


def generate(backend: Backend, answers: list[dict], body: dict = FIVE_FOOD):
    """POST /api/vocab with the model answering `answers` in turn (each must be asked for)."""
    with backend.stub("bedrock-runtime") as bedrock:
        for answer in answers:
            bedrock.add_response("converse", answer, expected_params=converse_params())
        response = backend.client.post("/api/vocab", json=body)
        bedrock.assert_no_pending_responses()
    return response


def test_a_good_answer_is_the_group_with_every_romaji_checked(backend, caplog):
    with backend.stub("bedrock-runtime") as bedrock:
        bedrock.add_response("converse", tool_answer(FOOD), expected_params=converse_params(
            [{"role": "user", "content": [{"text": "Topic: food\nWrite exactly 5 words on this topic."}]}]))
        with caplog.at_level(logging.INFO, "projects.vocab_generator.backend.app"):
            response = backend.client.post("/api/vocab", json=FIVE_FOOD)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["group_name"] == "Food" and answer["romaji_mismatches"] == 0
    assert [(w["japanese"], w["romaji_check"]["matches"], w["romaji_check"]["library_kana"]) for w in answer["words"]] \
        == [("寿司", True, "すし"), ("お茶", True, "おちゃ"), ("ご飯", True, "ごはん"), ("食べる", True, "たべる"),
            ("美味しい", True, "おいしい")]
    assert answer["words"][3]["parts"] == {"type": "verb", "formality": "neutral"}
    [logged] = [record for record in caplog.records if record.getMessage() == "vocabulary generated"]
    assert (logged.user, logged.topic, logged.model_calls, logged.words[0]) == ("local-user", "food", 1, "寿司")


def test_the_model_must_call_the_tool_whose_schema_holds_exactly_the_count(backend):
    tool = vocabulary_tool(3)
    words = tool["toolSpec"]["inputSchema"]["json"]["properties"]["words"]
    assert (words["minItems"], words["maxItems"]) == (3, 3)
    with backend.stub("bedrock-runtime") as bedrock:
        bedrock.add_response("converse", tool_answer(FOOD[:3]), expected_params={
            **converse_params(), "toolConfig": {"tools": [tool], "toolChoice": {"tool": {"name": TOOL_NAME}}}})
        response = backend.client.post("/api/vocab", json={"topic": "food", "word_count": 3})
        bedrock.assert_no_pending_responses()
    assert response.status_code == 200


def test_malformed_then_good_tells_the_model_what_was_wrong_in_the_same_conversation(backend):
    malformed = tool_answer({"group_name": "Food", "words": "sushi, tea, rice"}, tool_use_id="tooluse-bad")
    with backend.stub("bedrock-runtime") as bedrock:
        bedrock.add_response("converse", malformed, expected_params=converse_params())
        retry_messages = [
            {"role": "user", "content": [{"text": "Topic: food\nWrite exactly 5 words on this topic."}]},
            malformed["output"]["message"],
            {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse-bad", "status": "error", "content": [
                {"text": ANY}]}}]}]
        bedrock.add_response("converse", tool_answer(FOOD), expected_params=converse_params(retry_messages))
        response = backend.client.post("/api/vocab", json=FIVE_FOOD)
        bedrock.assert_no_pending_responses()
    assert response.status_code == 200, response.text
    assert len(response.json()["words"]) == 5


def test_the_correction_names_the_problem(backend, caplog):
    latin = [*FOOD[:4], word("oishii", "oishii", "delicious", "i-adjective")]
    with caplog.at_level(logging.WARNING, "projects.vocab_generator.backend.generation"):
        response = generate(backend, [tool_answer(latin), tool_answer(latin)])
    assert response.status_code == 502
    problem = "words[4].japanese: must be written in Japanese script (kana or kanji), not Latin letters"
    assert response.json()["problems"] == [problem]
    assert response.json()["detail"] == f"the model's answer was not valid vocabulary after 2 attempts: {problem}"
    assert [record.problems for record in caplog.records if record.getMessage() == "model answer invalid"] == [
        [problem], [problem]]


def test_malformed_twice_is_a_502_naming_the_problem(backend):
    response = generate(backend, [tool_answer("not an object"), tool_answer({"group_name": "Food"})])
    assert response.status_code == 502
    assert response.json()["problems"] == ["words: Field required"]


def test_an_answer_without_the_tool_call_is_retried(backend):
    prose = {"output": {"message": {"role": "assistant", "content": [{"text": "Here are some food words..."}]}},
             "stopReason": "end_turn", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
             "metrics": {"latencyMs": 1}}
    response = generate(backend, [prose, prose])
    assert response.status_code == 502
    assert response.json()["problems"] == [f"the answer did not call the {TOOL_NAME} tool"]


def test_an_answer_cut_off_at_the_length_limit_is_retried(backend):
    cut = tool_answer({"group_name": "Food", "words": FOOD[:2]}, stop_reason="max_tokens")
    response = generate(backend, [cut, cut])
    assert response.status_code == 502
    assert response.json()["problems"] == ["the answer was cut off at the length limit: keep each field short"]


def test_wrong_count_is_refused_then_retried(backend):
    response = generate(backend, [tool_answer(FOOD[:4]), tool_answer(FOOD)])
    assert response.status_code == 200
    again = generate(Backend(settings_for()), [tool_answer(FOOD[:4]), tool_answer([*FOOD, word("水", "mizu", "water")])])
    assert again.status_code == 502
    assert again.json()["problems"] == ["words: 6 words where exactly 5 were asked for"]


@pytest.mark.parametrize(("words", "problem"), [
    ([*FOOD[:4], word("寿司", "sushi", "sushi again")], "words[4] repeats words[0] (寿司)"),
    ([*FOOD[:4], word("水", "みず", "water")], "words[4].romaji: must be romaji: Latin letters (macrons, spaces, "
                                               "hyphens and apostrophes allowed)"),
    ([*FOOD[:4], word("水", "mizu", " ")], "words[4].english: String should have at least 1 character"),
    ([*FOOD[:4], {**word("水", "mizu", "water"), "parts": {"type": "noun"}}], "words[4].parts.formality: Field required"),
])
def test_each_rule_of_the_schema(backend, words, problem):
    response = generate(backend, [tool_answer(words), tool_answer(words)])
    assert response.status_code == 502
    assert response.json()["problems"] == [problem]


def test_a_romaji_mismatch_is_flagged_beside_the_librarys_reading(backend):
    wrong = [*FOOD[:4], word("猫", "inu", "cat")]
    response = generate(backend, [tool_answer(wrong)])
    assert response.status_code == 200
    answer = response.json()
    assert answer["romaji_mismatches"] == 1
    assert answer["words"][4]["romaji"] == "inu"  # the model's, never replaced
    assert answer["words"][4]["romaji_check"] == {"matches": False, "library_romaji": "neko", "library_kana": "ねこ"}


def test_hepburn_variants_and_the_intended_reading_are_not_flagged(backend):
    variants = [word("お父さん", "otōsan", "father"), word("東京", "Tōkyō", "Tokyo", "proper noun"),
                word("こんにちは", "konnichiwa", "hello", "expression", "polite")]
    response = generate(backend, [tool_answer(variants)], {"topic": "family", "word_count": 3})
    assert [w["romaji_check"]["matches"] for w in response.json()["words"]] == [True, True, True]


def test_a_guardrail_intervention_is_422_with_its_message_and_one_metric(backend):
    blocked = {"output": {"message": {"role": "assistant", "content": [{"text": "Sorry, I can't help with that."}]}},
               "stopReason": "guardrail_intervened", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
               "metrics": {"latencyMs": 1}}
    with backend.stub("bedrock-runtime") as bedrock, backend.stub("cloudwatch") as cloudwatch:
        bedrock.add_response("converse", blocked)
        cloudwatch.add_response("put_metric_data", {}, expected_params={
            "Namespace": "AppDw/Guardrails",
            "MetricData": [{"MetricName": "GuardrailViolations", "Value": 1.0, "Unit": "Count"}]})
        response = backend.client.post("/api/vocab", json={"topic": "weapons", "word_count": 5})
        cloudwatch.assert_no_pending_responses()
    assert response.status_code == 422
    assert response.json() == {"detail": "Sorry, I can't help with that.", "reason": "guardrail"}


def test_bedrock_throttling_is_429_with_retry_after():
    backend = Backend(settings_for(aws_max_attempts=1))
    with backend.stub("bedrock-runtime") as bedrock:
        bedrock.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
        response = backend.client.post("/api/vocab", json=FIVE_FOOD)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "5"
    assert response.json() == {"detail": "Bedrock is rate limiting requests; try again in a few seconds"}


def test_the_per_user_limit_is_429_with_retry_after_and_a_kept_group_costs_nothing():
    backend = Backend(settings_for(ai_call_burst=1, ai_calls_per_hour=60))
    assert generate(backend, [tool_answer(FOOD)]).status_code == 200
    assert generate(backend, [], {"topic": "  FOOD ", "word_count": 5}).status_code == 200  # kept: no model call
    limited = generate(backend, [], {"topic": "weather", "word_count": 5})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "60"
    assert limited.json()["detail"] == "too many AI requests: you can make another in 60 seconds"


@pytest.mark.parametrize(("body", "where"), [
    ({"topic": "", "word_count": 5}, ["body", "topic"]),
    ({"topic": "x" * 51, "word_count": 5}, ["body", "topic"]),
    ({"topic": "food", "word_count": 2}, ["body", "word_count"]),
    ({"topic": "food", "word_count": 11}, ["body", "word_count"]),
    ({"topic": "food\u0000", "word_count": 5}, ["body", "topic"]),
])
def test_invalid_input_is_422_naming_the_field_without_calling_the_model(backend, body, where):
    response = generate(backend, [], body)
    assert response.status_code == 422
    assert [problem["loc"] for problem in response.json()["detail"]] == [where]


def test_a_word_count_that_is_not_a_json_integer_is_422_naming_it_and_the_integer_is_taken(backend):
    assert lax_request_bodies(backend.client.app) == []
    for count in ("5", 5.0):  # pydantic's lax mode would take either for 5
        response = generate(backend, [], {"topic": "food", "word_count": count})
        assert response.status_code == 422, count
        assert [(p["loc"], p["msg"]) for p in response.json()["detail"]] == [
            (["body", "word_count"], "Input should be a valid integer")]
    assert generate(backend, [tool_answer(FOOD)], FIVE_FOOD).status_code == 200


def test_without_aws_settings_generation_is_503_naming_them():
    backend = Backend(settings_for(aws_region=None, guardrail_id=None, guardrail_version=None))
    response = backend.client.post("/api/vocab", json=FIVE_FOOD)
    assert response.status_code == 503
    assert response.json()["settings"] == ["AWS_DEFAULT_REGION", "GUARDRAIL_ID", "GUARDRAIL_VERSION"]


def test_a_file_is_checked_as_a_generation_is(backend):
    checked = backend.client.post("/api/vocab/check", json={"group_name": "Pets", "words": [
        word("猫", "inu", "cat"), word("犬", "inu", "dog")]})
    assert checked.status_code == 200
    assert [w["romaji_check"]["matches"] for w in checked.json()["words"]] == [False, True]
    refused = backend.client.post("/api/vocab/check", json={"group_name": "Pets", "words": [word("cat", "neko", "cat")]})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "words", 0, "japanese"]


def test_audio_is_polly_neural_japanese_as_base64_mp3(backend):
    with backend.stub("polly") as polly:
        polly.add_response("synthesize_speech", {"AudioStream": stream(b"mp3-bytes"), "ContentType": "audio/mpeg"},
                           expected_params={"Text": "寿司", "TextType": "text", "OutputFormat": "mp3",
                                            "VoiceId": "Kazuha", "Engine": "neural", "LanguageCode": "ja-JP"})
        response = backend.client.post("/api/audio", json={"japanese": "寿司"})
    assert response.status_code == 200
    assert response.json() == {"content_type": "audio/mpeg", "voice": "Kazuha",
                               "audio_base64": base64.b64encode(b"mp3-bytes").decode()}


def test_health_checks_the_reading_library_and_reports_features(backend):
    response = backend.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"japanese_readings": "ok"},
                               "features": {"generation": "available", "audio": "available"}}


def test_only_staff_may_generate_with_the_forwarded_access_token():
    """Outside local mode the caller is the user of the access token the frontend forwards, verified for real."""
    key = SigningKey("vocab-key")
    with JwksServer([key]) as jwks:
        backend = Backend(settings_for(local_mode=False, cognito_issuer=ISSUER, cognito_jwks_url=jwks.url,
                                       cognito_client_ids=CLIENT_ID))
        staff = {"Authorization": f"Bearer {key.token(sub='staff-1', **{'cognito:groups': ['staff']})}"}
        learner = {"Authorization": f"Bearer {key.token(sub='learner-1', **{'cognito:groups': ['learners']})}"}
        body = {"group_name": "Pets", "words": [word("猫", "neko", "cat")]}
        assert backend.client.post("/api/vocab/check", json=body, headers=staff).status_code == 200
        refused = backend.client.post("/api/vocab", json=FIVE_FOOD, headers=learner)
        assert refused.status_code == 403
        assert refused.json() == {"detail": "the Vocab Generator is for staff: your account is not in the staff group"}
        assert backend.client.post("/api/vocab", json=FIVE_FOOD).status_code == 401
        assert backend.client.post("/api/audio", json={"japanese": "猫"}, headers=learner).status_code == 403
