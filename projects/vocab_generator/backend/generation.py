"""A vocabulary group from the model: Bedrock Converse through the guardrail, the model made to answer by calling
a tool whose input is the group's JSON schema (structured output, no prose to parse), the answer validated
(`projects.vocab_generator.vocabulary`), and one bounded retry that tells the model what was wrong - as the tool's
error result, in the same conversation - before giving up with `ModelAnswerInvalid` (a 502 naming the problems).

Each word's romaji is then checked against the reading an offline library gives the Japanese (`modules.japanese`,
cutlet + unidic-lite): a mismatch is flagged beside the library's reading, never trusted or replaced silently.
"""
from __future__ import annotations

import json
import logging

from modules import japanese
from modules.aws import Bedrock, tool_spec
from projects.vocab_generator.vocabulary import TOPIC_MAX_CHARS, VocabularyGroup, Word, problems, validated_group

logger = logging.getLogger(__name__)

ATTEMPTS = 2  # the first answer and one retry told what was wrong
TOOL_NAME = "record_vocabulary_group"
SYSTEM_PROMPT = (
    "You write vocabulary lists for English speakers learning Japanese at a beginner to intermediate level. "
    f"Always answer by calling the {TOOL_NAME} tool, never in prose. Each word: 'japanese' as a Japanese writer "
    "would write it (kanji with kana, or kana alone; never Latin letters), 'romaji' its reading in Hepburn "
    "romanization with long vowels doubled (toukyou, gyuunyuu), 'english' a short meaning, and 'parts' with its "
    "part of speech ('type': noun, verb, i-adjective, na-adjective, adverb, expression, ...) and 'formality' "
    "(casual, polite, formal or neutral). Every word different, all on the topic, common words first.")


class ModelAnswerInvalid(Exception):
    """The model's answers were not a valid group, `ATTEMPTS` times; `problems` say what was wrong with the last."""

    def __init__(self, found: list[str]) -> None:
        self.problems = found
        super().__init__(f"the model's answer was not valid vocabulary after {ATTEMPTS} attempts: "
                         + "; ".join(found[:5]) + (f" (and {len(found) - 5} more)" if len(found) > 5 else ""))


def vocabulary_tool(word_count: int) -> dict:
    """The tool the model must call: its input schema is the group, with exactly `word_count` words."""
    text = {"type": "string", "minLength": 1}
    word = {"type": "object", "required": ["japanese", "romaji", "english", "parts"], "properties": {
        "japanese": {**text, "description": "The word in Japanese script (kanji and/or kana), no Latin letters"},
        "romaji": {**text, "description": "Hepburn romaji of the Japanese, long vowels doubled (ou, uu)"},
        "english": {**text, "description": "The meaning in English"},
        "parts": {"type": "object", "required": ["type", "formality"], "properties": {
            "type": {**text, "description": "Part of speech"},
            "formality": {"type": "string", "enum": ["casual", "polite", "formal", "neutral"]}}}}}
    schema = {"type": "object", "required": ["group_name", "words"], "properties": {
        "group_name": {**text, "description": "A short English name for the group, from the topic"},
        "words": {"type": "array", "items": word, "minItems": word_count, "maxItems": word_count}}}
    return tool_spec(TOOL_NAME, f"Record a group of exactly {word_count} different Japanese vocabulary words on the "
                                "topic.", schema)


def generate_group(bedrock: Bedrock, topic: str, word_count: int, *, max_tokens: int,
                   temperature: float) -> tuple[VocabularyGroup, int]:
    """A valid group of `word_count` words on `topic` and the number of model calls it took; ModelAnswerInvalid
    after `ATTEMPTS` invalid answers (GuardrailBlocked, AwsThrottled, ... from `bedrock` as they are)."""
    tool = vocabulary_tool(word_count)
    messages: list[dict] = [{"role": "user", "content": [{"text": (
        f"Topic: {topic[:TOPIC_MAX_CHARS]}\nWrite exactly {word_count} words on this topic.")}]}]
    for attempt in range(1, ATTEMPTS + 1):
        answer = bedrock.tool_turn(system=SYSTEM_PROMPT, messages=messages, tool=tool, max_tokens=max_tokens,
                                   temperature=temperature)
        called = answer.tool_input(TOOL_NAME)
        try:
            if answer.stop_reason == "max_tokens":
                raise ValueError("the answer was cut off at the length limit: keep each field short")
            if called is None:
                raise ValueError(f"the answer did not call the {TOOL_NAME} tool")
            return validated_group(_words_read(called[1]), word_count=word_count), attempt
        except ValueError as error:  # ValidationError is one
            found = problems(error)
            logger.warning("model answer invalid", extra={"attempt": attempt, "problems": found[:20]})
            if attempt == ATTEMPTS:
                raise ModelAnswerInvalid(found) from None
            messages += [answer.message, _correction(called[0] if called else None, found, word_count)]
    raise AssertionError("unreachable")


def _words_read(data: object) -> object:
    """The tool's input; models sometimes send the word list as a JSON string inside it, which is read as JSON."""
    if isinstance(data, dict) and isinstance(data.get("words"), str):
        try:
            data = {**data, "words": json.loads(data["words"])}
        except ValueError:
            pass  # validation names the field
    return data


def _correction(tool_use_id: str | None, found: list[str], word_count: int) -> dict:
    """The user turn that tells the model what was wrong: the tool's error result when it called the tool."""
    text = (f"That was not a valid answer: {'; '.join(found[:20])}. Call {TOOL_NAME} again with exactly "
            f"{word_count} different words, every field filled, the Japanese in Japanese script and the romaji in "
            "Latin letters.")
    if tool_use_id is None:
        return {"role": "user", "content": [{"text": text}]}
    return {"role": "user", "content": [{"toolResult": {"toolUseId": tool_use_id,
                                                        "content": [{"text": text}], "status": "error"}}]}


def romaji_check(word: Word) -> dict:
    """Whether the word's romaji is a reading of its Japanese, with the library's reading beside it (the one the
    romaji spells when it matches, else the library's most likely)."""
    matching = japanese.reading_matching(word.japanese, word.romaji)
    if matching is None:
        likely = japanese.readings(word.japanese, limit=1)
        matching_kana, library = (likely[0].kana, likely[0].romaji) if likely else ("", "")
        return {"matches": False, "library_romaji": library, "library_kana": matching_kana}
    return {"matches": True, "library_romaji": matching.romaji, "library_kana": matching.kana}


def checked(group: VocabularyGroup) -> dict:
    """The group as the API answers it: each word with its `romaji_check`."""
    exported = group.export()
    for word, data in zip(group.words, exported["words"]):
        data["romaji_check"] = romaji_check(word)
    exported["romaji_mismatches"] = sum(not data["romaji_check"]["matches"] for data in exported["words"])
    return exported

