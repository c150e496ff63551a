"""Request and response bodies (Pydantic). Shapes follow apps.md section A."""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from modules.schemas import RequestBody

ItemT = TypeVar("ItemT")


class Pagination(BaseModel):
    current_page: int
    total_pages: int
    total_items: int
    items_per_page: int


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    pagination: Pagination


class Success(BaseModel):
    success: bool
    message: str


class WordItem(BaseModel):
    id: int
    japanese: str
    kana: str = Field(description="The reading in kana, for furigana over the kanji")
    romaji: str
    english: str
    correct_count: int
    wrong_count: int


class WordStats(BaseModel):
    correct_count: int
    wrong_count: int


class GroupRef(BaseModel):
    id: int
    name: str


class WordDetail(BaseModel):
    id: int
    japanese: str
    kana: str
    romaji: str
    english: str
    stats: WordStats
    groups: list[GroupRef]


class RawWord(BaseModel):
    id: int
    japanese: str
    kana: str
    romaji: str
    english: str
    parts: dict[str, Any]


class RawGroupWords(BaseModel):
    group_id: int
    group_name: str
    items: list[RawWord]


class GroupItem(BaseModel):
    id: int
    name: str
    word_count: int


class GroupStats(BaseModel):
    total_word_count: int


class GroupDetail(BaseModel):
    id: int
    name: str
    stats: GroupStats


class StudyActivityOut(BaseModel):
    id: int
    name: str
    url: str
    thumbnail_url: str
    description: str


class StudySessionStart(RequestBody):
    group_id: int = Field(ge=1, le=2**31 - 1)
    study_activity_id: int = Field(ge=1, le=2**31 - 1)


class StudySessionStarted(BaseModel):
    id: int
    group_id: int


class StudySessionItem(BaseModel):
    id: int
    activity_name: str
    group_name: str
    start_time: datetime
    end_time: datetime
    review_items_count: int
    correct_count: int = Field(description="How many of the reviews were correct")


class StudySessionDetail(StudySessionItem):
    group_id: int
    study_activity_id: int


class ReviewIn(RequestBody):
    correct: bool


class ReviewOut(BaseModel):
    success: bool
    word_id: int
    study_session_id: int
    correct: bool
    created_at: datetime


class LastStudySession(BaseModel):
    id: int
    group_id: int
    group_name: str
    study_activity_id: int
    activity_name: str
    created_at: datetime


class StudyProgress(BaseModel):
    total_words_studied: int
    total_available_words: int


class QuickStats(BaseModel):
    success_rate: float | None = Field(description="Percent of the caller's reviews that were correct, 0-100; "
                                                   "null before the first review")
    total_study_sessions: int
    total_active_groups: int
    study_streak_days: int


MAX_PARTS_JSON_BYTES = 2048
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _printable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no word needs control characters.
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


PrintableText = Annotated[str, AfterValidator(_printable)]
_KANA_TEXT = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff\s]+$")  # hiragana, katakana, ー, spaces


def _kana_only(value: str | None) -> str | None:
    if value is not None and not _KANA_TEXT.match(value):
        raise ValueError("must be written in hiragana or katakana")
    return value


class ImportWord(RequestBody):
    model_config = ConfigDict(str_strip_whitespace=True)
    japanese: PrintableText = Field(min_length=1, max_length=100)
    kana: Annotated[str | None, AfterValidator(_kana_only)] = Field(
        None, min_length=1, max_length=200, description="The reading; worked out from japanese and romaji when absent")
    romaji: PrintableText = Field(min_length=1, max_length=200)
    english: PrintableText = Field(min_length=1, max_length=200)
    parts: dict[str, Any] = Field(default_factory=dict)

    @field_validator("parts")
    @classmethod
    def _small_plain_parts(cls, value: dict[str, Any]) -> dict[str, Any]:
        encoded = json.dumps(value, ensure_ascii=False)
        if len(encoded.encode()) > MAX_PARTS_JSON_BYTES:
            raise ValueError(f"parts must be at most {MAX_PARTS_JSON_BYTES} bytes of JSON")
        if "\\u0000" in encoded:
            raise ValueError("parts must not contain NUL characters")
        return value

    @property
    def identity(self) -> tuple[str, str, str]:
        return self.japanese, self.romaji, self.english


class GroupImport(RequestBody):
    """A Vocab Generator group: {"group_name", "words": [{"japanese", "romaji", "english", "parts"}]}."""
    model_config = ConfigDict(str_strip_whitespace=True)
    group_name: PrintableText = Field(min_length=1, max_length=100)
    words: list[ImportWord] = Field(min_length=1, max_length=500)


class GroupImported(BaseModel):
    id: int
    name: str
    word_count: int
    created: bool = Field(description="False when the group already existed (a re-send)")
    words_added: int


class MediaLink(BaseModel):
    word_id: int
    url: str = Field(description="A presigned GET URL")
    content_type: str
    expires_in: int = Field(description="Seconds the URL stays valid")


class ExampleSentence(BaseModel):
    word_id: int
    japanese: str
    romaji: str
    english: str


class FeatureFlags(BaseModel):
    word_audio: bool = Field(description="Pronunciation audio of a word (Polly)")
    word_picture: bool = Field(description="A picture of a word (Bedrock image model)")
    example_sentence: bool = Field(description="An example sentence with a word (Bedrock, behind the guardrail)")


class Capabilities(BaseModel):
    features: FeatureFlags
