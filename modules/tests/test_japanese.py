"""Readings of Japanese words: the cases where the dictionary's first choice is not the word meant, the
romaji check the Vocab Generator runs on a model's answer, and the spelling variants it allows. The seeded
vocabulary's readings are checked against a dictionary list in the Lang Portal's tests (test_vocabulary.py)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from modules.japanese import canonical_romaji, kana_for, readings, romaji, romaji_matches


def test_romaji_is_hepburn_as_the_seed_writes_it():
    assert romaji("ありがとう") == "arigatou"  # long vowels doubled, not macrons
    assert romaji("牛乳") == "gyuunyuu"
    assert romaji("こんにちは") == "konnichiwa"  # the greeting's は, which is not a particle to the dictionary
    assert romaji("こんばんは") == "konbanwa"
    assert romaji("本を読む") == "hon wo yomu"  # particles by their part of speech
    assert romaji("東京") == "toukyou"  # no English spellings ("Tokyo")
    assert romaji("パン") == "pan"


@pytest.mark.parametrize("japanese,spelled,kana", [
    ("お父さん", "otousan", "おとうさん"),  # the dictionary's first analysis reads 父 as ちち here
    ("お母さん", "okaasan", "おかあさん"),
    ("お姉さん", "oneesan", "おねえさん"),
    ("日本", "nihon", "にほん"),
    ("日本", "nippon", "にっぽん"),
    ("四", "shi", "し"),
    ("四", "yon", "よん"),
    ("私", "watashi", "わたし"),
])
def test_the_romaji_given_picks_the_reading_among_the_candidates(japanese, spelled, kana):
    assert kana_for(japanese, spelled) == kana
    assert romaji_matches(japanese, spelled)


def test_without_romaji_or_with_a_wrong_one_the_most_likely_reading_is_used():
    assert kana_for("果物") == "くだもの"
    assert kana_for("犬", "neko") == "いぬ"
    assert kana_for("") == "" and readings("   ") == []


def test_a_wrong_romaji_is_refused():
    assert not romaji_matches("犬", "neko")
    assert not romaji_matches("おばあさん", "obasan")  # aunt, not grandmother: length counts
    assert not romaji_matches("果物", "kudamon")


@pytest.mark.parametrize("japanese,spelled", [
    ("お父さん", "otōsan"), ("お父さん", "Otousan"), ("大きい", "ōkii"), ("大きい", "ookii"),
    ("こんばんは", "kombanwa"), ("こんばんは", "Konban wa"), ("本を読む", "hon o yomu"), ("抹茶", "maccha"),
    ("原因", "gen'in"), ("よろしくおねがいします", "yoroshiku onegai shimasu"),
])
def test_the_check_accepts_the_usual_ways_of_writing_hepburn(japanese, spelled):
    assert romaji_matches(japanese, spelled)


def test_canonical_romaji_keeps_different_sounds_apart():
    assert canonical_romaji("Tōkyō") == canonical_romaji("toukyou") == canonical_romaji("tookyoo")
    assert canonical_romaji("obasan") != canonical_romaji("obaasan")
    assert canonical_romaji("shinbun") == canonical_romaji("shimbun")


def test_readings_are_safe_from_several_threads():
    words = ["お父さん", "日本", "果物", "黄色い", "食べる", "牛乳"] * 20
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(kana_for, words))
    assert results == [kana_for(word) for word in words]
