"""Words as learners meet them: the kana reading of every seeded word, the search over the four fields, the
English sort, readings filled in for imports that lack them, and the migration that added the reading."""
from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from projects.lang_portal.backend.migrate import downgrade, upgrade
from projects.lang_portal.backend.tests.helpers import SEED_WORDS, generated_group, import_group

# The reading of every seeded word as a dictionary gives it (JMdict), written by hand, not taken from the
# library's output. Where the dictionary lists several readings (四 よん/し, 七 なな/しち) the one the seed's
# romaji spells is the one meant. Kana-only words read as written; katakana stays katakana.
SEED_READINGS = {
    "こんにちは": "こんにちは", "おはようございます": "おはようございます", "こんばんは": "こんばんは",
    "さようなら": "さようなら", "ありがとう": "ありがとう", "すみません": "すみません",
    "おやすみなさい": "おやすみなさい", "はじめまして": "はじめまして",
    "よろしくおねがいします": "よろしくおねがいします", "いただきます": "いただきます",
    "赤い": "あかい", "青い": "あおい", "白い": "しろい", "黒い": "くろい", "黄色い": "きいろい", "緑": "みどり",
    "茶色": "ちゃいろ",
    "食べる": "たべる", "飲む": "のむ", "行く": "いく", "来る": "くる", "見る": "みる", "話す": "はなす",
    "書く": "かく", "読む": "よむ", "聞く": "きく", "買う": "かう",
    "母": "はは", "父": "ちち", "兄": "あに", "姉": "あね", "弟": "おとうと", "妹": "いもうと", "家族": "かぞく",
    "水": "みず", "お茶": "おちゃ", "ご飯": "ごはん", "パン": "パン", "魚": "さかな", "肉": "にく", "野菜": "やさい",
    "果物": "くだもの", "卵": "たまご", "牛乳": "ぎゅうにゅう",
    "一": "いち", "二": "に", "三": "さん", "四": "よん", "五": "ご", "六": "ろく", "七": "なな", "八": "はち",
    "九": "きゅう", "十": "じゅう",
}


def test_every_seeded_word_has_its_dictionary_reading(client):
    words = client.get("/api/words").json()["items"]
    assert len(words) == len(SEED_READINGS) == SEED_WORDS
    assert {word["japanese"]: word["kana"] for word in words} == SEED_READINGS


def search(client, text: str, **params) -> list[str]:
    response = client.get("/api/words", params={"q": text, **params})
    assert response.status_code == 200, response.text
    return [word["japanese"] for word in response.json()["items"]]


def test_search_finds_a_word_by_each_of_its_four_fields(client):
    for text in ("肉", "にく", "ニク", "niku", "NIKU", "meat", "Meat"):  # kana in either script, any case
        assert search(client, text) == ["肉"], text
    assert search(client, "  niku ") == ["肉"]  # surrounding spaces do not count
    assert search(client, "ちゃ") == ["お茶", "茶色"]  # a part of the reading, in the list's order
    assert search(client, "brother", sort_by="english") == ["兄", "弟"]  # "(my) older brother", "younger brother"
    everything = [w["japanese"] for w in client.get("/api/words").json()["items"]]
    assert search(client, "") == search(client, " ") == everything
    assert search(client, "%") == search(client, "_") == []  # LIKE's wildcards are searched for literally


def test_search_is_paginated_and_counts_only_the_matches(client):
    assert import_group(client, generated_group("Many", 150, prefix="単語")).status_code == 201
    first = client.get("/api/words", params={"q": "word 1", "sort_by": "english"}).json()
    # "word 100".."word 149" of the imported "word 000".."word 149"
    assert first["pagination"] == {"current_page": 1, "total_pages": 1, "total_items": 50, "items_per_page": 100}
    assert [w["id"] for w in first["items"]] == sorted(w["id"] for w in first["items"])
    everything = client.get("/api/words", params={"q": "単語"}).json()
    assert everything["pagination"]["total_items"] == 150 and len(everything["items"]) == 100
    second = client.get("/api/words", params={"q": "単語", "page": 2}).json()
    assert len(second["items"]) == 50
    assert not {w["id"] for w in everything["items"]} & {w["id"] for w in second["items"]}
    assert client.get("/api/words", params={"q": "単語"}, headers={"Authorization": "Bearer bob"}).json()[
        "pagination"]["total_items"] == 0  # alice's import is hers


def test_an_import_without_readings_gets_them_and_one_with_readings_keeps_them(client):
    group = {"group_name": "Family (polite)", "words": [
        # The dictionary's favourite reading of 父 here is ちち; the romaji says which one is meant.
        {"japanese": "お父さん", "romaji": "otousan", "english": "father"},
        {"japanese": "四人", "romaji": "yonin", "english": "four people"},
        {"japanese": "日本", "kana": "にっぽん", "romaji": "nippon", "english": "Japan"}]}
    created = import_group(client, group).json()
    words = client.get(f"/api/groups/{created['id']}/words/raw").json()["items"]
    assert {w["japanese"]: w["kana"] for w in words} == {"お父さん": "おとうさん", "四人": "よにん", "日本": "にっぽん"}


def test_an_imported_reading_must_be_kana(client):
    for bad in ("nihon", "日本", "", "に\x00ほん"):
        group = {"group_name": "Bad", "words": [{"japanese": "日本", "kana": bad, "romaji": "nihon",
                                                 "english": "Japan"}]}
        response = import_group(client, group)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][-1] == "kana"


def test_the_reading_migration_fills_existing_words_and_goes_back(postgres, tmp_path):
    for url in (postgres.create(), f"sqlite:///{tmp_path / 'before.sqlite3'}"):
        engine = create_engine(url)
        try:
            upgrade(engine, "0001")
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO words (japanese, romaji, english, parts) VALUES "
                                        "('果物', 'kudamono', 'fruit', '{}'), ('七', 'shichi', '(number) seven', '{}')"))
            upgrade(engine)
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT japanese, kana, english_sort FROM words ORDER BY id")).all()
            assert [tuple(row) for row in rows] == [("果物", "くだもの", "fruit"), ("七", "しち", "seven")]
            downgrade(engine, "0001")
            assert {"kana", "english_sort"}.isdisjoint(c["name"] for c in inspect(engine).get_columns("words"))
            assert "ix_words_english_sort" not in {i["name"] for i in inspect(engine).get_indexes("words")}
        finally:
            engine.dispose()
