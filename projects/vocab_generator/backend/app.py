"""The Vocab Generator backend (FastAPI, port 8000), reached through Cloud Map by its Streamlit frontend only.

- `POST /api/vocab`: a new group on a topic from the model (projects/vocab_generator/backend/generation.py),
  each word's romaji checked against the offline reading; per-user limit on new generations (modules.ai_guard:
  429 with Retry-After), Bedrock's throttling the same 429, the guardrail's refusal a 422, an invalid answer
  after the retry a 502 naming the problems.
- `POST /api/vocab/check`: a group from a file, validated and romaji-checked the same way (no model call).
- `POST /api/audio`: a word spoken by Polly's Japanese neural voice, as MP3 bytes (base64 in JSON).
- `GET /health`: the reading library answers (the one dependency every request has); which features AWS
  settings enable is reported beside it.

Staff only: the frontend forwards the signed-in user's access token (the one the load balancer passed it) and it is
verified here (`modules.auth`); a user outside STAFF_GROUP gets 403. The logs say who generated what.
"""
from __future__ import annotations

import base64
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from modules import japanese
from modules.ai_guard import AiGuardDep
from modules.auth import Principal, current_user
from modules.aws import AwsClients, Bedrock, BedrockDep, Speech, SpeechDep, require, unset_settings
from modules.health import health_response
from modules.routing import ThreadedEndpointRoute
from modules.settings import load_settings
from modules.webapp import create_web_app
from projects.vocab_generator.backend.generation import ModelAnswerInvalid, checked, generate_group
from projects.vocab_generator.backend.schemas import Audio, AudioRequest, CheckedGroup
from projects.vocab_generator.backend.settings import VocabBackendSettings
from projects.vocab_generator.vocabulary import GenerationRequest, VocabularyGroup

logger = logging.getLogger(__name__)
HEALTH_TIMEOUT_SECONDS = 2.0
NOT_STAFF = "the Vocab Generator is for staff: your account is not in the staff group"


def get_settings(request: Request) -> VocabBackendSettings:
    return request.app.state.settings


def staff_caller(principal: Principal = Depends(current_user),
                 settings: VocabBackendSettings = Depends(get_settings)) -> Principal:
    """The caller, who must be staff (the local user is: docs/decisions.md); anyone else is a 403."""
    if not settings.local_mode and settings.staff_group not in principal.groups:
        raise HTTPException(403, detail=NOT_STAFF)
    return principal


Staff = Annotated[Principal, Depends(staff_caller)]
Settings = Annotated[VocabBackendSettings, Depends(get_settings)]

ERRORS = {
    401: {"description": "No valid access token"},
    403: {"description": "The caller is not staff"},
    422: {"description": "Invalid input, or the topic was blocked by the content guardrail (`reason`: guardrail)"},
    429: {"description": "Too many new generations by this user, or Bedrock is throttling: retry after "
                         "Retry-After seconds"},
    503: {"description": "The AWS service failed, or the feature is not configured (local mode: `settings` names "
                         "what turns it on)"},
}
router = APIRouter(prefix="/api", tags=["vocabulary"], route_class=ThreadedEndpointRoute)


@router.post("/vocab", response_model=CheckedGroup, responses={
    **ERRORS, 502: {"description": "The model's answer was not valid vocabulary, twice (`problems` lists why)"}})
def generate_vocabulary(body: GenerationRequest, caller: Staff, bedrock: BedrockDep, ai: AiGuardDep,
                        settings: Settings) -> dict:
    """A group of `word_count` words on `topic`. The same topic and count within AI_REUSE_SECONDS is answered
    from the kept group, for anyone, at no cost to their limit."""
    require(settings, "text generation", **bedrock.needs())  # before any of the caller's budget is spent
    key = ("vocab", settings.bedrock_text_model_id, " ".join(body.topic.casefold().split()), body.word_count)
    group, model_calls = ai.generate(caller, key, lambda: generate_group(
        bedrock, body.topic, body.word_count, max_tokens=settings.generation_max_tokens,
        temperature=settings.generation_temperature))
    answer = checked(group)
    logger.info("vocabulary generated", extra={
        "user": caller.sub, "topic": body.topic, "word_count": body.word_count, "group_name": group.group_name,
        "words": [word.japanese for word in group.words], "model_calls": model_calls,
        "romaji_mismatches": answer["romaji_mismatches"]})
    return answer


@router.post("/vocab/check", response_model=CheckedGroup, responses=ERRORS)
def check_vocabulary(body: VocabularyGroup, caller: Staff) -> dict:
    """A group (an imported file, say) validated as a generation is, each word's romaji checked."""
    answer = checked(body)
    logger.info("vocabulary checked", extra={"user": caller.sub, "group_name": body.group_name,
                                             "word_count": len(body.words),
                                             "romaji_mismatches": answer["romaji_mismatches"]})
    return answer


@router.post("/audio", response_model=Audio, responses=ERRORS)
def word_audio(body: AudioRequest, caller: Staff, speech: SpeechDep, ai: AiGuardDep, settings: Settings) -> dict:
    """The word spoken (MP3). Kept for reuse like a generation (a few kilobytes each)."""
    require(settings, "speech", **speech.needs())
    audio = ai.generate(caller, ("audio", speech.voice_id, body.japanese), lambda: speech.synthesize(body.japanese))
    return {"voice": speech.voice_id, "audio_base64": base64.b64encode(audio).decode()}


def feature_report(clients: AwsClients) -> dict[str, str]:
    """Which features the AWS settings enable ("available"), or what turns each on."""
    needs = {"generation": Bedrock(clients).needs(), "audio": Speech(clients).needs()}
    return {feature: f"off: set {', '.join(missing)}" if (missing := unset_settings(**values)) else "available"
            for feature, values in needs.items()}


def _readings_answer() -> None:
    if not japanese.romaji_matches("日本語", "nihongo"):
        raise RuntimeError("the reading library does not read 日本語 as nihongo")


def create_app(settings: VocabBackendSettings | None = None, aws_clients: AwsClients | None = None) -> FastAPI:
    settings = settings or load_settings(VocabBackendSettings)
    app = create_web_app(settings, title="Vocab Generator API", version="1.0.0",
                         description="Thematic Japanese vocabulary groups from the LLM, checked, for staff.")
    app.state.aws_clients = aws_clients or AwsClients(settings)
    app.include_router(router)

    @app.get("/health", tags=["health"])
    async def health() -> JSONResponse:
        return await health_response({"japanese_readings": _readings_answer}, HEALTH_TIMEOUT_SECONDS,
                                     {"features": feature_report(app.state.aws_clients)})

    @app.exception_handler(ModelAnswerInvalid)
    async def model_answer_invalid(_: Request, error: ModelAnswerInvalid) -> JSONResponse:
        return JSONResponse({"detail": str(error), "problems": error.problems[:50]}, status_code=502)

    for feature, state in feature_report(app.state.aws_clients).items():
        if state != "available":
            logger.warning("feature unavailable", extra={"feature": feature, "state": state})
    return app
