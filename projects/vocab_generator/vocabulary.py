"""A vocabulary group as the Vocab Generator makes, exports and imports it - `{"group_name", "words": [{"japanese",
"romaji", "english", "parts": {"type", "formality"}}]}` - validated by the same rules wherever it comes from: the
model's answer (the backend), a JSON file a person imports (the frontend), and the group sent to the Lang Portal
(whose import takes exactly this shape).

The rules: no empty field; the Japanese in Japanese script (kana, kanji, the long-vowel mark, 々, Japanese
punctuation) and no Latin letters; the romaji in Latin letters (Hepburn's macrons, spaces, hyphens and
apostrophes allowed); no word twice; and, for a generation, exactly the number of words asked for.
`problems(error)` turns a refusal into one line per problem, each naming its place ("words[2].romaji").
"""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, ValidationError, model_validator

from modules.schemas import RequestBody

TOPIC_MAX_CHARS = 50
WORD_COUNT_MIN, WORD_COUNT_MAX, WORD_COUNT_DEFAULT = 3, 10, 5
GROUP_MAX_WORDS = 500  # a file may hold more than one generation; the Lang Portal's import takes up to 500

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Hiragana, katakana (with ー, ・ and the small forms), the CJK ideographs (and extension A, compatibility forms),
# 々 〆 〇, Japanese punctuation and full-width forms other than letters, digits (10分) and spaces between words.
_JAPANESE = re.compile(r"[0-9\u3000-\u303f\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                       r"\uf900-\ufaff\uff01-\uff20\uff3b-\uff40\uff5b-\uff9f ]+")
_HAS_KANA_OR_KANJI = re.compile(r"[\u3041-\u309f\u30a1-\u30fa\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9d\u3005]")
_ROMAJI = re.compile(r"[A-Za-zĀāĪīŪūĒēŌōÂâÎîÛûÊêÔô' .,!?-]+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def _printable(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


def _japanese_script(value: str) -> str:
    if not _JAPANESE.fullmatch(value) or not _HAS_KANA_OR_KANJI.search(value):
        if re.search(r"[A-Za-zＡ-Ｚａ-ｚ]", value):
            raise ValueError("must be written in Japanese script (kana or kanji), not Latin letters")
        raise ValueError("must be written in Japanese script (kana or kanji)")
    return value


def _latin_letters(value: str) -> str:
    if not _ROMAJI.fullmatch(value) or not _LATIN_LETTER.search(value):
        raise ValueError("must be romaji: Latin letters (macrons, spaces, hyphens and apostrophes allowed)")
    return value


Text = Annotated[str, AfterValidator(_printable)]
JapaneseText = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable),
                         AfterValidator(_japanese_script)]
RomajiText = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_latin_letters)]


class _Strict(RequestBody):
    # Strict types (a string for word_count is refused, not read as a number: modules/schemas.py); whitespace around
    # a value is dropped; an empty value (or only spaces) is refused by min_length.
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore", frozen=True)


class Parts(_Strict):
    type: Text = Field(min_length=1, max_length=40, description="The part of speech: noun, verb, adjective, ...")
    formality: Text = Field(min_length=1, max_length=40, description="casual, polite, formal or neutral")


class Word(_Strict):
    japanese: JapaneseText
    romaji: RomajiText
    english: Text = Field(min_length=1, max_length=200)
    parts: Parts


class VocabularyGroup(_Strict):
    group_name: Text = Field(min_length=1, max_length=100)
    words: list[Word] = Field(min_length=1, max_length=GROUP_MAX_WORDS)

    @model_validator(mode="after")
    def _no_word_twice(self) -> "VocabularyGroup":
        seen: dict[str, int] = {}
        for place, word in enumerate(self.words):
            key = same_word(word.japanese)
            if key in seen:
                raise ValueError(f"words[{place}] repeats words[{seen[key]}] ({word.japanese})")
            seen[key] = place
        return self

    def export(self) -> dict:
        """The group as the files and the Lang Portal's import hold it (nothing but the schema's fields)."""
        return self.model_dump(mode="json")


class GenerationRequest(_Strict):
    topic: Text = Field(min_length=1, max_length=TOPIC_MAX_CHARS)
    word_count: int = Field(WORD_COUNT_DEFAULT, ge=WORD_COUNT_MIN, le=WORD_COUNT_MAX)


def same_word(japanese: str) -> str:
    """The form two spellings of one word share (full-width and half-width forms, spaces)."""
    return "".join(unicodedata.normalize("NFKC", japanese).split())


def validated_group(data: object, *, word_count: int | None = None) -> VocabularyGroup:
    """`data` as a group, or ValidationError; with `word_count`, a group of any other size is refused too."""
    group = VocabularyGroup.model_validate(data)
    if word_count is not None and len(group.words) != word_count:
        raise WrongWordCount(word_count, len(group.words))
    return group


class WrongWordCount(ValueError):
    def __init__(self, wanted: int, found: int) -> None:
        super().__init__(f"words: {found} words where exactly {wanted} were asked for")


def problems(error: ValidationError | ValueError) -> list[str]:
    """One line per problem, each naming its place in the group: `words[2].romaji: must be romaji ...`."""
    if not isinstance(error, ValidationError):
        return [str(error)]
    lines = []
    for item in error.errors(include_url=False):
        place = _place(item.get("loc", ()))
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        lines.append(f"{place}: {message}" if place else message)
    return lines


def _place(loc: tuple) -> str:
    place = ""
    for part in loc:
        place += f"[{part}]" if isinstance(part, int) else (f".{part}" if place else str(part))
    return place
