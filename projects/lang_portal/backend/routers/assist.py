"""AWS-backed helpers for a word: pronunciation audio (Polly), an example sentence (Bedrock behind the
guardrail) and a picture (Bedrock image model). Media is kept in S3 under a key derived from its
content, so each is generated once and then handed out as presigned URLs; a sentence is kept for reuse
by the AI guard (modules.ai_guard), which also limits each caller's new generations."""
from __future__ import annotations

import json
import re

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, ValidationError

from modules.ai_guard import AiGuardDep
from modules.aws import POLLY_ENGINE, Bedrock, BedrockDep, MediaDep, SpeechDep, content_key
from modules.database import DbSession
from modules.routing import ThreadedEndpointRoute
from projects.lang_portal.backend.deps import Caller, ResourceId
from projects.lang_portal.backend.queries import visible_word
from projects.lang_portal.backend.routers.capabilities import FEATURES
from projects.lang_portal.backend.schemas import ExampleSentence, MediaLink

router = APIRouter(prefix="/api/words", tags=["assist"], route_class=ThreadedEndpointRoute)

AWS_ERRORS = {
    422: {"description": "Blocked by the content guardrail"},
    429: {"description": "The caller made too many new generations, or the AWS service is rate limiting; "
                "retry after Retry-After seconds"},
    503: {"description": "The AWS service failed, or the feature is not configured (local mode)"},
}
SENTENCE_SYSTEM_PROMPT = (
    "You help beginners learn Japanese. Write one short, natural example sentence that uses the given "
    "word. Answer with JSON only, exactly: {\"japanese\": \"...\", \"romaji\": \"...\", \"english\": \"...\"}")


class _ModelSentence(BaseModel):
    japanese: str = Field(min_length=1, max_length=300)
    romaji: str = Field(min_length=1, max_length=600)
    english: str = Field(min_length=1, max_length=600)


@router.post("/{word_id}/audio", response_model=MediaLink, responses=AWS_ERRORS)
def word_audio(word_id: ResourceId, db: DbSession, caller: Caller, speech: SpeechDep, media: MediaDep,
               ai: AiGuardDep) -> dict:
    word = visible_word(db, word_id, caller.sub)
    FEATURES.require(media.clients, "word_audio")
    key = content_key("audio", "mp3", speech.voice_id, POLLY_ENGINE, word.japanese)
    url = media.cached_url(key, "audio/mpeg", lambda: ai.generate(
        caller, key, lambda: speech.synthesize(word.japanese), keep=False))
    return {"word_id": word.id, "url": url, "content_type": "audio/mpeg",
            "expires_in": media.settings.media_url_seconds}


@router.post("/{word_id}/picture", response_model=MediaLink, responses=AWS_ERRORS)
def word_picture(word_id: ResourceId, db: DbSession, caller: Caller, bedrock: BedrockDep, media: MediaDep,
                 ai: AiGuardDep) -> dict:
    word = visible_word(db, word_id, caller.sub)
    FEATURES.require(media.clients, "word_picture")  # before any call is spent
    prompt = (f"A simple, friendly flat illustration for language learners showing '{word.english}'. "
              "No text or letters in the image.")
    key = content_key("pictures", "png", bedrock.settings.bedrock_image_model_id, prompt)
    url = media.cached_url(key, "image/png", lambda: ai.generate(
        caller, key, lambda: bedrock.generate_image(prompt), keep=False))
    return {"word_id": word.id, "url": url, "content_type": "image/png", "expires_in": media.settings.media_url_seconds}


@router.post("/{word_id}/example_sentence", response_model=ExampleSentence, responses={
    **AWS_ERRORS, 502: {"description": "The model's answer was not a usable sentence"}})
def example_sentence(word_id: ResourceId, db: DbSession, caller: Caller, bedrock: BedrockDep,
                     ai: AiGuardDep) -> dict:
    word = visible_word(db, word_id, caller.sub)
    FEATURES.require(bedrock.clients, "example_sentence")  # before any call is spent
    prompt = f"Word: {word.japanese} ({word.romaji}) meaning '{word.english}'."
    key = ("example_sentence", bedrock.settings.bedrock_text_model_id, prompt)
    return {"word_id": word.id, **ai.generate(caller, key, lambda: _sentence(bedrock, prompt))}


def _sentence(bedrock: Bedrock, prompt: str) -> dict:
    answer = bedrock.converse(system=SENTENCE_SYSTEM_PROMPT, prompt=prompt)
    found = re.search(r"\{.*\}", answer, re.DOTALL)
    try:
        sentence = _ModelSentence.model_validate(json.loads(found.group(0) if found else answer))
    except (ValueError, ValidationError):
        raise HTTPException(502, detail="the model's answer was not a usable example sentence; try again") from None
    return sentence.model_dump()
