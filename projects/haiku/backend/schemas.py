"""Request and answer bodies."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from modules.schemas import RequestBody

MAX_MESSAGE_CHARS = 1000
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tabs and newlines are fine in a message


class ChatIn(RequestBody):
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)

    @field_validator("message")
    @classmethod
    def _printable(cls, value: str) -> str:
        # PostgreSQL text cannot hold NUL, and no chat message needs control characters.
        if _CONTROL_CHARACTERS.search(value):
            raise ValueError("must not contain control characters")
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class HaikuOut(BaseModel):
    haiku_id: str
    status: Literal["new", "in progress", "completed", "failed"]
    error_message: str | None
    english_lines: list[str]
    japanese_lines: list[str]
    image_descriptions: list[str]
    image_urls: list[str]
    audio_urls: list[str]
    created_at: datetime
    updated_at: datetime


class HaikuList(BaseModel):
    items: list[HaikuOut]
    total: int = Field(description="every haiku of the caller; `items` holds the newest LIST_LIMIT")


class ChatOut(BaseModel):
    chat_id: int
    message: str
    haiku: HaikuOut


class ChatMessageOut(BaseModel):
    chat_id: int
    role: Literal["user", "assistant"]
    message: str
    created_at: datetime


class ChatHistoryOut(BaseModel):
    haiku_id: str
    items: list[ChatMessageOut]


class Capabilities(BaseModel):
    features: dict[str, bool]
