"""The page's form logic under AppTest, against the real backend (Bedrock stubbed) and a real Lang Portal API."""
from __future__ import annotations

import json
import logging
import re

import httpx
from botocore.stub import ANY
from streamlit.testing.v1 import AppTest

from modules.ai_guard import AiGuard, CallBudgets
from modules.tests.postgres import free_port
from modules.tests.support import stream
from projects.vocab_generator.backend.tests.conftest import FOOD, tool_answer, word
from projects.vocab_generator.frontend.services import group_file
from projects.vocab_generator.frontend.tests.conftest import PAGE, Records
from projects.vocab_generator.vocabulary import VocabularyGroup


def texts(app: AppTest, kind: str) -> list[str]:
    """The messages of one kind (error, warning, ...) as a reader sees them (markdown escapes removed)."""
    return [re.sub(r"\\(.)", r"\1", element.value) for element in getattr(app, kind)]


def generate(app: AppTest, backend_server, answers: list[dict], topic: str = "food", word_count: int = 5) -> AppTest:
    app.text_input(key="topic").input(topic)
    app.slider(key="word_count").set_value(word_count)
    with backend_server.stub("bedrock-runtime") as bedrock:
        for answer in answers:
            bedrock.add_response("converse", answer, expected_params={
                "modelId": ANY, "system": ANY, "messages": ANY, "inferenceConfig": ANY, "toolConfig": ANY,
                "guardrailConfig": ANY})
        app.button(key="generate").click().run()
        bedrock.assert_no_pending_responses()
    assert not app.exception, app.exception
    return app


def test_the_form_starts_with_an_empty_topic_limited_to_50_and_five_words_of_three_to_ten(page):
    topic, count = page.text_input(key="topic"), page.slider(key="word_count")
    assert (topic.value, topic.max_chars) == ("", 50)
    assert (count.value, count.min, count.max) == (5, 3, 10)
    assert not page.button(key="generate").disabled
    assert page.file_uploader[0].allowed_type == [".json"]


def test_a_generated_group_is_a_card_per_word_with_the_mismatch_flagged_and_its_json(page, backend_server):
    words = [*FOOD[:4], word("猫", "inu", "cat")]
    generate(page, backend_server, [tool_answer(words)])
    assert page.subheader[0].value == "Food"
    assert "### 寿司" in texts(page, "markdown") and "### 猫" in texts(page, "markdown")
    warnings = texts(page, "warning")
    assert "Romaji check: 1 of the 5 words differ from the dictionary's reading; see the flagged cards." in warnings
    assert "Romaji check: the dictionary reads **neko** (ねこ), not **inu**." in warnings
    assert page.expander[0].label == "Raw JSON"
    shown = json.loads(page.json[0].value)
    assert shown["words"][4]["romaji_check"]["matches"] is False
    assert not page.button(key="generate").disabled  # enabled again once the answer is in
    assert page.text_input(key="topic").value == "food"


def test_the_download_is_the_group_as_the_schema_holds_it_and_imports_back(page, backend_server):
    generate(page, backend_server, [tool_answer(FOOD, group_name="Food & drink")])
    [download] = page.get("download_button")
    assert download.proto.label == "Download JSON" and download.proto.url.endswith(".json")
    name, data = group_file(VocabularyGroup.model_validate(page.session_state["group"]))
    assert name == "food-drink.json"
    assert json.loads(data) == {"group_name": "Food & drink", "words": FOOD}  # no romaji_check: only the schema
    page.file_uploader[0].set_value((name, data, "application/json")).run()
    assert texts(page, "success") == ["Imported 5 words from food-drink.json."]
    assert "5 words, imported from food-drink.json" in texts(page, "markdown")


def test_an_empty_topic_is_invalid_input_and_no_model_is_called(page, backend_server):
    generate(page, backend_server, [], topic="   ")
    assert texts(page, "warning") == ["Invalid input: enter a topic (1 to 50 characters)"]


def test_an_invalid_model_answer_twice_says_so_and_keeps_the_topic(page, backend_server):
    latin = [*FOOD[:4], word("neko", "neko", "cat")]
    generate(page, backend_server, [tool_answer(latin), tool_answer(latin)], topic="pets")
    [error] = texts(page, "error")
    assert error == ("The model's answer was not valid vocabulary, even after a retry: words[4].japanese: must be "
                     "written in Japanese script (kana or kanji), not Latin letters. Try again, or word the topic "
                     "differently.")
    assert page.text_input(key="topic").value == "pets" and page.slider(key="word_count").value == 5


def test_bedrock_throttling_is_rate_limited(page, backend_server):
    page.text_input(key="topic").input("weather")
    with backend_server.stub("bedrock-runtime") as bedrock:
        for _ in range(backend_server.settings.aws_max_attempts):
            bedrock.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
        page.button(key="generate").click().run()
    assert texts(page, "warning") == [
        "Rate limited (Bedrock is rate limiting requests; try again in a few seconds). You can generate again in 5 "
        "seconds; nothing you typed is lost."]
    assert page.text_input(key="topic").value == "weather"


def test_the_users_own_limit_is_rate_limited_with_its_wait(ui_environment, monkeypatch, backend_server):
    backend_server.app.state.ai_guard = AiGuard(CallBudgets(1, 1 / 60), 0, 0)  # one call, then one a minute
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.run()
    generate(app, backend_server, [tool_answer(FOOD)])
    generate(app, backend_server, [], topic="drinks")
    assert texts(app, "warning") == [
        "Rate limited (too many AI requests: you can make another in 60 seconds). You can generate again in 60 "
        "seconds; nothing you typed is lost."]
    assert app.text_input(key="topic").value == "drinks"


def test_the_backend_unavailable_is_said_and_nothing_is_lost(ui_environment, monkeypatch):
    monkeypatch.setenv("VOCAB_GENERATOR_BACKEND_URL", f"http://127.0.0.1:{free_port()}")
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.run()
    app.text_input(key="topic").input("trains")
    app.button(key="generate").click().run()
    assert texts(app, "error") == ["The Vocab Generator backend is unavailable (the Vocab Generator backend cannot be "
                                   "reached right now). Nothing you typed is lost: try again shortly."]
    assert app.text_input(key="topic").value == "trains"


def test_an_imported_file_is_validated_with_every_problem_placed(page):
    bad = {"group_name": "", "words": [word("neko", "neko", "cat"), {"japanese": "犬", "romaji": "inu"}]}
    page.file_uploader[0].set_value(("pets.json", json.dumps(bad).encode(), "application/json"))
    page.run()
    [error] = texts(page, "error")
    assert error.splitlines() == [
        "The file is not a valid group:",
        "- group_name: String should have at least 1 character",
        "- words[0].japanese: must be written in Japanese script (kana or kanji), not Latin letters",
        "- words[1].english: Field required",
        "- words[1].parts: Field required"]
    page.file_uploader[0].set_value(("pets.json", b'{"group_name": "Pets", "words": [', "application/json")).run()
    assert texts(page, "error") == ["The file is not a valid group:\n- pets.json is not JSON: line 1, column 34: "
                                    "Expecting value"]


def test_a_file_imported_while_the_backend_is_down_is_shown_unchecked(ui_environment, monkeypatch):
    monkeypatch.setenv("VOCAB_GENERATOR_BACKEND_URL", f"http://127.0.0.1:{free_port()}")
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.run()
    pets = {"group_name": "Pets", "words": [word("猫", "inu", "cat")]}
    app.file_uploader[0].set_value(("pets.json", json.dumps(pets).encode(), "application/json")).run()
    assert app.subheader[0].value == "Pets"
    assert "1 word, imported from pets.json, romaji not checked" in texts(app, "markdown")
    assert texts(app, "warning") == [
        "Imported 1 word from pets.json, but their romaji could not be checked: The Vocab Generator backend is "
        "unavailable (the Vocab Generator backend cannot be reached right now). Nothing you typed is lost: try again "
        "shortly."]


def test_import_send_to_the_lang_portal_and_send_again(page, lang_portal):
    pets = {"group_name": "Pets for the portal", "words": [word("猫", "neko", "cat"), word("犬", "inu", "dog")]}
    page.file_uploader[0].set_value(("pets.json", json.dumps(pets, ensure_ascii=False).encode(),
                                     "application/json")).run()
    assert page.subheader[0].value == "Pets for the portal"
    assert texts(page, "success") == ["Imported 2 words from pets.json."]

    page.button(key="send").click().run()
    imported, sent = texts(page, "success")  # the import's message stays above, the send's is beside its button
    assert imported == "Imported 2 words from pets.json."
    group_id = page.session_state["sent"]["id"]
    assert sent == f"Sent to the Lang Portal: group #{group_id} “Pets for the portal” (new), 2 words added, " \
                   "0 duplicates skipped."
    page.button(key="send").click().run()
    assert texts(page, "success")[1:] == [f"Sent to the Lang Portal: group #{group_id} “Pets for the portal” (already "
                                      "there), 0 words added, 2 duplicates skipped."]
    group = httpx.get(f"{lang_portal}/api/groups/{group_id}/words/raw", timeout=10).json()
    assert [item["japanese"] for item in group["items"]] == ["猫", "犬"]


def test_the_lang_portal_unavailable_is_said(ui_environment, monkeypatch, backend_server):
    monkeypatch.setenv("LANG_PORTAL_API_URL", f"http://127.0.0.1:{free_port()}")
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.run()
    generate(app, backend_server, [tool_answer(FOOD)])
    app.button(key="send").click().run()
    assert texts(app, "error") == ["The Lang Portal is unavailable (the Lang Portal API cannot be reached right now). "
                                   "Nothing you typed is lost: try again shortly."]
    assert app.subheader[0].value == "Food"  # the group stays on the page


def test_listen_plays_the_words_audio(page, backend_server):
    generate(page, backend_server, [tool_answer(FOOD)])
    with backend_server.stub("polly") as polly:
        polly.add_response("synthesize_speech", {"AudioStream": stream(b"mp3 of sushi"), "ContentType": "audio/mpeg"},
                           expected_params={"Text": "寿司", "TextType": "text", "OutputFormat": "mp3",
                                            "VoiceId": "Kazuha", "Engine": "neural", "LanguageCode": "ja-JP"})
        page.button(key="listen-0").click().run()
        polly.assert_no_pending_responses()
    assert page.session_state["audio"] == {0: b"mp3 of sushi"}
    assert len(page.get("audio")) == 1
    assert [button.key for button in page.button if button.key.startswith("listen-")] == [
        "listen-1", "listen-2", "listen-3", "listen-4"]


def test_a_topic_the_guardrail_blocks_is_said_with_its_message(page, backend_server):
    blocked = {"output": {"message": {"role": "assistant", "content": [{"text": "That topic is not allowed."}]}},
               "stopReason": "guardrail_intervened", "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
               "metrics": {"latencyMs": 1}}
    with backend_server.stub("cloudwatch") as cloudwatch:
        cloudwatch.add_response("put_metric_data", {})
        generate(page, backend_server, [blocked], topic="weapons")
    assert texts(page, "error") == ["The topic was refused: That topic is not allowed. Try another topic."]


def _page_that_fails() -> None:
    from projects.vocab_generator.frontend.server import script_error

    try:
        raise RuntimeError("an answer the page did not expect")
    except RuntimeError as error:
        script_error(error)


def test_an_unhandled_page_error_is_logged_and_shown_without_its_trace(ui_environment):
    app = AppTest.from_function(_page_that_fails, default_timeout=60)
    server_log, records = logging.getLogger("projects.vocab_generator.frontend.server"), Records()
    server_log.addHandler(records)
    try:
        app.run()
    finally:
        server_log.removeHandler(records)
    assert texts(app, "error") == ["Something went wrong on this page; it has been logged. Reload the page to start "
                                   "again."]
    assert not app.exception
    [logged] = [record for record in records.records if record.getMessage() == "page error"]
    assert "an answer the page did not expect" in str(logged.exc_info[1])
