"""Chromium against the real Streamlit server (the image's command, local mode) talking to the real backend (Bedrock
stubbed on its client) and a real Lang Portal API on SQLite: generate (the button disabled and a spinner while the
model answers), download the JSON, import it back, send it to the Lang Portal, see the group there; and behind the
load balancer's sign-in, a staff member generating as themselves."""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from botocore.stub import ANY

from modules.tests.accessibility import AccessibilityAudit
from modules.tests.alb import ALB_ARN, AlbKey, AlbKeyServer, AlbSigner
from modules.tests.browser import chromium
from modules.tests.fake_cognito import FakeCognito
from projects.vocab_generator.backend.tests.conftest import FOOD, tool_answer
from projects.vocab_generator.frontend.tests.conftest import PORTAL_KEY, Records, RunningBackend
from projects.vocab_generator.frontend.tests.test_container import ALB_CLIENT, image_running

pytestmark = [pytest.mark.slow, pytest.mark.browser]  # a browser and three servers

MODEL_SECONDS = 3  # how long the stubbed model takes to answer, so the page's working state can be seen


@pytest.fixture(scope="module")
def ui_origin(backend_server, lang_portal) -> Iterator[str]:
    with image_running({"LOCAL_MODE": "true", "VOCAB_GENERATOR_BACKEND_URL": backend_server.origin,
                        "LANG_PORTAL_API_URL": lang_portal, "LANG_PORTAL_API_KEY": PORTAL_KEY}) as origin:
        yield origin


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_generate_download_import_back_and_send_to_the_lang_portal(browser, ui_origin, backend_server, lang_portal,
                                                                    tmp_path):
    from playwright.sync_api import expect

    backend_server.forget()
    bedrock = backend_server.app.state.aws_clients.get("bedrock-runtime")
    slow_model = "before-parameter-build.bedrock-runtime.Converse"  # Stubber answers at before-call
    bedrock.meta.events.register_first(slow_model, lambda **_: time.sleep(MODEL_SECONDS), unique_id="slow-model")
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(ui_origin)
        expect(page.get_by_role("heading", name="Vocab Generator")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("button", name="Deploy")).to_have_count(0)  # .streamlit/config.toml is in effect
        page.get_by_role("textbox", name="Topic").fill("food")
        page.get_by_role("textbox", name="Topic").press("Enter")
        generate = page.get_by_role("button", name="Generate")
        with backend_server.stub("bedrock-runtime") as stub:
            stub.add_response("converse", tool_answer(FOOD), expected_params={
                "modelId": ANY, "system": ANY, "messages": ANY, "inferenceConfig": ANY, "toolConfig": ANY,
                "guardrailConfig": ANY})
            generate.click()
            expect(generate).to_be_disabled()
            expect(page.get_by_text("Generating 5 words on “food”")).to_be_visible()
            expect(page.get_by_role("heading", name="寿司")).to_be_visible(timeout=30_000)
            stub.assert_no_pending_responses()
        expect(generate).to_be_enabled()
        for japanese in ("お茶", "ご飯", "食べる", "美味しい"):
            expect(page.get_by_role("heading", name=japanese)).to_be_visible()
        AccessibilityAudit(settle=lambda shown: shown.wait_for_timeout(300)).check(page, "the generated group")

        page.get_by_text("Raw JSON").click()
        expect(page.get_by_text('"romaji_check"').first).to_be_visible()
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download JSON").click()
        download = download_info.value
        assert download.suggested_filename == "food.json"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert json.loads(saved.read_text()) == {"group_name": "Food", "words": FOOD}

        page.locator('input[type="file"]').set_input_files(str(saved))
        expect(page.get_by_text("Imported 5 words from food.json.")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("5 words, imported from food.json")).to_be_visible()

        page.get_by_role("button", name="Send to Lang Portal").click()
        sent = page.get_by_text("Sent to the Lang Portal: group #")
        expect(sent).to_be_visible(timeout=30_000)
        expect(sent).to_contain_text("“Food” (new), 5 words added, 0 duplicates skipped.")
        group_id = int(sent.inner_text().split("#", 1)[1].split(" ", 1)[0])
        words = httpx.get(f"{lang_portal}/api/groups/{group_id}/words/raw", timeout=10).json()
        assert sorted(word["japanese"] for word in words["items"]) == sorted(word["japanese"] for word in FOOD)
    finally:
        context.close()
        bedrock.meta.events.unregister(slow_model, unique_id="slow-model")


def test_behind_the_sign_in_staff_generate_as_themselves(browser, lang_portal):
    """The whole chain in Cognito mode: the load balancer's headers reach the page, which calls the backend with the
    forwarded access token; the backend verifies it, finds the staff group in it, and logs who generated what."""
    from playwright.sync_api import expect

    with FakeCognito(client_id=ALB_CLIENT, groups={"sam": ["staff"]}) as pool, \
            AlbKeyServer([AlbKey()]) as keys, \
            RunningBackend(local_mode=False, cognito_issuer=pool.issuer, cognito_client_ids=ALB_CLIENT) as backend:
        [key] = keys.keys.values()
        headers = AlbSigner(key, client_id=ALB_CLIENT, issuer=pool.issuer).forwarded_headers(
            pool.sub_of("sam"), pool.access_token("sam", client_id=ALB_CLIENT), email="sam@example.com")
        env = {"ALB_ARN": ALB_ARN, "ALB_PUBLIC_KEY_URL": keys.origin, "COGNITO_ISSUER": pool.issuer,
               "COGNITO_CLIENT_IDS": ALB_CLIENT, "LANG_PORTAL_API_URL": lang_portal,
               "VOCAB_GENERATOR_BACKEND_URL": backend.origin, "LANG_PORTAL_API_KEY": PORTAL_KEY}
        backend_log, records = logging.getLogger("projects.vocab_generator.backend.app"), Records()
        backend_log.addHandler(records)  # after the backend configured logging (WARNING and up to the root)
        backend_log.setLevel(logging.INFO)
        with image_running(env) as origin:
            context = browser.new_context(extra_http_headers=headers)
            page = context.new_page()
            try:
                page.goto(origin)
                expect(page.get_by_text("Signed in as sam@example.com")).to_be_visible(timeout=30_000)
                page.get_by_role("textbox", name="Topic").fill("pets")
                page.get_by_role("textbox", name="Topic").press("Enter")
                with backend.stub("bedrock-runtime") as stub:
                    stub.add_response("converse", tool_answer(FOOD[:3], group_name="Pets"))
                    page.get_by_role("slider", name="Number of words").focus()
                    for _ in range(2):
                        page.keyboard.press("ArrowLeft")
                    page.get_by_role("button", name="Generate").click()
                    expect(page.get_by_role("heading", name="Pets")).to_be_visible(timeout=30_000)
            finally:
                context.close()
                backend_log.removeHandler(records)
                backend_log.setLevel(logging.NOTSET)
    [generated] = [record for record in records.records if record.getMessage() == "vocabulary generated"]
    assert (generated.user, generated.topic, generated.word_count) == (pool.sub_of("sam"), "pets", 3)
