"""The romaji check on the Lang Portal's seed vocabulary (54 words in the Vocab Generator's own format): every seed
word's romaji is accepted, and every word given another word's romaji of its group is flagged with the library's
reading. docs/vocab-generator.md has the numbers, and the near misses the check lets through."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from projects.lang_portal.backend.seed import SEED_DIR
from projects.vocab_generator.backend.generation import romaji_check
from projects.vocab_generator.vocabulary import VocabularyGroup, validated_group


@pytest.fixture(scope="module")
def seed_groups() -> list[VocabularyGroup]:
    return [validated_group(json.loads(path.read_text())) for path in sorted((SEED_DIR / "groups").glob("*.json"))]


def test_every_seed_word_is_accepted(seed_groups):
    words = [word for group in seed_groups for word in group.words]
    assert len(words) == 54
    assert [word.japanese for word in words if not romaji_check(word)["matches"]] == []


def test_every_word_given_another_words_romaji_is_flagged(seed_groups):
    accepted = []
    for group in seed_groups:
        for place, word in enumerate(group.words):
            other = group.words[(place + 1) % len(group.words)]
            check = romaji_check(word.model_copy(update={"romaji": other.romaji}))
            if check["matches"]:
                accepted.append((word.japanese, other.romaji))
            else:
                assert check["library_romaji"] and check["library_kana"]
    assert accepted == []
