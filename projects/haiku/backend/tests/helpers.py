"""Requests and stubbed AWS answers for the Haiku API tests."""
from __future__ import annotations

import base64
import json

from botocore.stub import ANY

from modules.tests.support import ConcurrentStubber, GUARDRAIL_USAGE, converse_response, stream, stream_events
from modules.tests.users import as_user
from projects.haiku.backend.chat import SYSTEM_PROMPT
from projects.haiku.backend.media import DESCRIPTION_PROMPT, TRANSLATION_PROMPT

LINES = ["An old silent pond", "A frog jumps into the pond", "Splash! Silence again"]
JAPANESE = ["古池や", "蛙飛び込む", "水の音"]
DESCRIPTIONS = ["A still pond at dusk", "A green frog mid-leap over water", "Ripples spreading on a quiet pond"]
PROPOSAL = "Here is a classic for you:\n\nHaiku:\n" + "\n".join(LINES)
PNG = b"\x89PNG\r\n\x1a\nfake-image"
MP3 = b"ID3fake-audio"
GUARDRAIL = {"guardrailIdentifier": "gr-haiku", "guardrailVersion": "1", "trace": "disabled"}


def start(client, user: str = "alice") -> str:
    response = client.post("/api/haiku", headers=as_user(user))
    assert response.status_code == 201, response.text
    return response.json()["haiku_id"]


def queue_chat(bedrock: ConcurrentStubber, *pieces: str, stop_reason: str = "end_turn", messages=ANY) -> None:
    bedrock.add_response("converse_stream", stream_events(*pieces, stop_reason=stop_reason), expected_params={
        "modelId": ANY, "system": [{"text": SYSTEM_PROMPT}], "messages": messages, "inferenceConfig": ANY,
        "guardrailConfig": {**GUARDRAIL, "streamProcessingMode": "sync"}})


def agree(aws, haiku_id: str, user: str = "alice") -> None:
    """One chat turn in which the model proposes LINES."""
    with aws.stub("bedrock-runtime") as bedrock:
        queue_chat(bedrock, PROPOSAL)
        response = aws.client.post(f"/api/chat/{haiku_id}", json={"message": "a frog and a pond"},
                                   headers=as_user(user))
        bedrock.assert_no_pending_responses()
    assert response.status_code == 200, response.text


def _converse(bedrock: ConcurrentStubber, system: str, prompt: str, answer: str) -> None:
    bedrock.add_response("converse", converse_response(answer), expected_params={
        "modelId": ANY, "system": [{"text": system}], "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": ANY, "guardrailConfig": GUARDRAIL})


def queue_media(bedrock: ConcurrentStubber, polly: ConcurrentStubber, *, image_error: str | None = None,
                images: int = 3) -> None:
    """The workflow's calls for LINES: three translations, three speeches, one description call, three images
    (each after the guardrail's check of its prompt); `image_error` makes the second image fail with that code."""
    for line, japanese in zip(LINES, JAPANESE):
        _converse(bedrock, TRANSLATION_PROMPT, line, japanese)
        polly.add_response("synthesize_speech", {"AudioStream": stream(MP3), "ContentType": "audio/mpeg"},
                           expected_params={"Text": japanese, "TextType": "text", "OutputFormat": "mp3",
                                            "VoiceId": "Kazuha", "Engine": "neural", "LanguageCode": "ja-JP"})
    _converse(bedrock, DESCRIPTION_PROMPT, "\n".join(LINES), json.dumps(DESCRIPTIONS))
    for number, description in enumerate(DESCRIPTIONS[:images], 1):
        bedrock.add_response("apply_guardrail", {"usage": GUARDRAIL_USAGE, "action": "NONE", "outputs": [],
                                                 "assessments": []}, expected_params={
            "guardrailIdentifier": "gr-haiku", "guardrailVersion": "1", "source": "INPUT",
            "content": [{"text": {"text": description}}]})
        if image_error and number == 2:
            bedrock.add_client_error("invoke_model", service_error_code=image_error, http_status_code=429)
            continue
        bedrock.add_response("invoke_model", {"body": stream(json.dumps(
            {"images": [base64.b64encode(PNG).decode()]}).encode()), "contentType": "application/json"})
