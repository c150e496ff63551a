"""What the backend answers beyond the group itself (projects/vocab_generator/vocabulary.py)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from modules.schemas import RequestBody
from projects.vocab_generator.vocabulary import JapaneseText, VocabularyGroup, Word


class RomajiCheck(BaseModel):
    matches: bool = Field(description="Whether the romaji is a reading of the Japanese (Hepburn spelling variants "
                                      "allowed)")
    library_romaji: str = Field(description="The reading the offline library gives: the one the romaji spells when "
                                            "it matches, else its most likely")
    library_kana: str = Field(description="The same reading in kana")


class CheckedWord(Word):
    romaji_check: RomajiCheck


class CheckedGroup(VocabularyGroup):
    words: list[CheckedWord]
    romaji_mismatches: int = Field(description="How many words' romaji the library does not read the same")


class AudioRequest(RequestBody):
    japanese: JapaneseText


class Audio(BaseModel):
    content_type: str = "audio/mpeg"
    voice: str = Field(description="The Polly neural voice")
    audio_base64: str = Field(description="The speech, MP3, base64-encoded")
