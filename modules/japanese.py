"""Readings of Japanese words: kana (for furigana over kanji) and romaji in the Hepburn the seed vocabulary
writes (long vowels doubled: "ohayou", "gyuunyuu"; the particle は as "wa").

MeCab (fugashi) analyses the text with the UniDic dictionary (unidic-lite) and cutlet romanizes the tokens.
A word can be read several ways (四: yon or shi; 日本: nihon or nippon) and the dictionary's favourite is
not always the one meant (お父さん comes out as "ochichisan"), so MeCab's n best analyses are kept as
candidates and a reading is chosen by the romaji that comes with the word. Why this library and what it
gets wrong: docs/decisions.md.

    kana_for("四", "yon")                      -> "よん"
    romaji_matches("お父さん", "otōsan")        -> True   (the Vocab Generator's check of a model's romaji)
    romaji("こんにちは")                        -> "konnichiwa"
"""
from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass

import cutlet
import jaconv

CANDIDATES = 20  # MeCab's n best analyses considered; the seed's readings all lie within the first 4
_KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff]+$")  # hiragana, katakana (with ー and ゝヽ)
_LONG_VOWEL_SIGNS = str.maketrans({"ā": "aa", "ī": "ii", "ū": "uu", "ē": "ee", "ō": "ou",
                                   "â": "aa", "î": "ii", "û": "uu", "ê": "ee", "ô": "ou"})


@dataclass(frozen=True)
class Reading:
    kana: str  # the word's kana as written, with hiragana in place of each kanji's reading
    romaji: str  # lower case, spaces between words as cutlet places them


class _Romanizer(cutlet.Cutlet):
    """cutlet's Hepburn without its English spellings ("Tokyo", "bento"): the seed writes "toukyou"."""

    def __init__(self) -> None:
        super().__init__("hepburn", use_foreign_spelling=False)
        self.exceptions = {}

    def romaji_word(self, word) -> str:
        # Greetings that grew out of a topic phrase (こんにちは, こんばんは) end in a は UniDic pronounces ワ,
        # but they are not particles, which is the only place cutlet reads は as "wa".
        kana, pron = word.feature.kana, word.feature.pron
        if word.feature.pos1 != "助詞" and kana and pron and kana.endswith("ハ") and pron.endswith("ワ"):
            return self.map_kana(jaconv.kata2hira(kana[:-1] + "ワ"))
        return super().romaji_word(word)


_lock = threading.Lock()  # one MeCab tagger per process; its lattice is not safe to share between threads


@functools.cache
def _romanizer() -> _Romanizer:
    return _Romanizer()  # loads the dictionary (memory-mapped, so worker processes share its pages)


def readings(japanese: str, limit: int = CANDIDATES) -> list[Reading]:
    """The distinct readings of MeCab's `limit` best analyses, the most likely first."""
    text = cutlet.normalize_text(japanese.strip())
    if not text:
        return []
    romanizer = _romanizer()
    found: list[Reading] = []
    with _lock:
        for nodes in romanizer.tagger.nbestToNodeList(text, limit):
            tokens = romanizer.romaji_tokens(nodes, capitalize=False)
            reading = Reading(kana="".join(_token_kana(node) for node in nodes),
                              romaji="".join(str(token) for token in tokens).strip().lower())
            if reading not in found:
                found.append(reading)
    return found


def _token_kana(node) -> str:
    if _KANA.match(node.surface):
        return node.surface  # written in kana already: keep it as written (パン stays katakana)
    kana = getattr(node.feature, "kana", None)
    return jaconv.kata2hira(kana) if kana and kana != "*" else node.surface  # unknown to the dictionary: as is


def reading_matching(japanese: str, romaji_text: str) -> Reading | None:
    """The most likely reading whose romaji is `romaji_text` (spelling variants allowed), or None."""
    wanted = canonical_romaji(romaji_text)
    return next((reading for reading in readings(japanese) if canonical_romaji(reading.romaji) == wanted), None)


def romaji_matches(japanese: str, romaji_text: str) -> bool:
    """Whether `romaji_text` is a way to read `japanese`."""
    return reading_matching(japanese, romaji_text) is not None


def kana_for(japanese: str, romaji_text: str | None = None) -> str:
    """The kana reading of `japanese`: the one `romaji_text` spells when given and possible, else the most
    likely one ("" for text without a reading)."""
    reading = reading_matching(japanese, romaji_text) if romaji_text else None
    if reading is None:
        candidates = readings(japanese, limit=1)
        reading = candidates[0] if candidates else None
    return reading.kana if reading else ""


def romaji(japanese: str) -> str:
    """The most likely reading in romaji."""
    candidates = readings(japanese, limit=1)
    return candidates[0].romaji if candidates else ""


def canonical_romaji(text: str) -> str:
    """One spelling for the ways Hepburn writes the same sounds: case, spaces, hyphens and apostrophes;
    macrons and circumflexes as doubled vowels; ō written "ou" or "oo"; ん as "m" before b, m and p;
    the particle を as "wo" or "o"; "cch" or "tch". Long and short vowels stay apart (obasan, obaasan)."""
    text = unicodedata.normalize("NFC", text.lower()).translate(_LONG_VOWEL_SIGNS)
    text = re.sub(r"[^a-z]", "", text)
    text = text.replace("oo", "ou").replace("wo", "o").replace("cch", "tch")
    return re.sub(r"m(?=[bmp])", "n", text)
