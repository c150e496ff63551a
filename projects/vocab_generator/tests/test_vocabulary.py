"""The group's rules on their own: what counts as Japanese script and as romaji, and where each problem is placed."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from projects.vocab_generator.vocabulary import Word, problems, validated_group

PARTS = {"type": "noun", "formality": "neutral"}


@pytest.mark.parametrize("japanese", ["猫", "ねこ", "ネコ", "ﾈｺ", "時々", "10分", "ラーメン", "お茶・コーヒー", "駅で会う"])
def test_japanese_script_is_accepted(japanese):
    assert Word(japanese=japanese, romaji="x", english="x", parts=PARTS).japanese == japanese


@pytest.mark.parametrize(("japanese", "problem"), [
    ("neko", "must be written in Japanese script (kana or kanji), not Latin letters"),
    ("猫cat", "must be written in Japanese script (kana or kanji), not Latin letters"),
    ("ｎｅｋｏ", "must be written in Japanese script (kana or kanji), not Latin letters"),
    ("123", "must be written in Japanese script (kana or kanji)"),
    ("猫\u0007", "must not contain control characters"),
])
def test_anything_else_is_refused_saying_why(japanese, problem):
    with pytest.raises(ValidationError) as refused:
        Word(japanese=japanese, romaji="neko", english="cat", parts=PARTS)
    assert problems(refused.value) == [f"japanese: {problem}"]


@pytest.mark.parametrize(("romaji", "accepted"), [
    ("neko", True), ("Tōkyō", True), ("o-cha", True), ("kon'ya", True), ("ohayou gozaimasu", True),
    ("ねこ", False), ("neko1", False), ("-", False)])
def test_romaji_is_latin_letters(romaji, accepted):
    try:
        Word(japanese="猫", romaji=romaji, english="cat", parts=PARTS)
    except ValidationError:
        assert not accepted
    else:
        assert accepted


def test_problems_are_placed_in_the_group():
    with pytest.raises(ValidationError) as refused:
        validated_group({"group_name": " ", "words": [{"japanese": "猫", "romaji": "neko", "english": "cat",
                                                      "parts": {"type": "noun", "formality": ""}}]})
    assert problems(refused.value) == ["group_name: String should have at least 1 character",
                                       "words[0].parts.formality: String should have at least 1 character"]
