"""The Haiku SPA in a real browser against the real API, as a learner uses it: a chat whose answer is written
before their eyes, the haiku accepted, its media made in the background, then seen and heard; deleting."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from projects.haiku.backend.tests.fake_aws import JAPANESE, LINES

pytestmark = pytest.mark.slow


def test_chat_accept_and_the_completed_haiku_with_pictures_and_audio(page, artifacts: Path, fake_aws):
    page.goto("/")
    expect(page.get_by_role("heading", name="My haiku")).to_be_visible()
    page.get_by_role("button", name="New haiku").click()
    expect(page.get_by_role("heading", name="Chat")).to_be_visible()
    page.get_by_label("Your message").fill("A haiku about a frog and an old pond, please")
    page.get_by_role("button", name="Send").click()
    conversation = page.get_by_role("list", name="Conversation")
    # The first piece is on the page while the rest is still being written.
    expect(conversation.get_by_text("Here is a haiku", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name="Writing…")).to_be_visible()
    expect(conversation.get_by_text("Splash! Silence again", exact=False)).to_be_visible()
    proposal = page.get_by_role("complementary")
    expect(proposal).to_contain_text(LINES[1])
    page.screenshot(path=artifacts / "chat.png", full_page=True)

    page.get_by_role("button", name="Accept this haiku").click()
    expect(page.get_by_text("Making your haiku")).to_be_visible()
    lines = page.get_by_role("list", name="The haiku, line by line").get_by_role("listitem")
    expect(lines).to_have_count(3, timeout=20_000)
    for number, (line, japanese) in enumerate(JAPANESE.items()):
        expect(lines.nth(number)).to_contain_text(line)
        expect(lines.nth(number)).to_contain_text(japanese)
    page.wait_for_function("Array.from(document.images).length === 3 && "
                           "Array.from(document.images).every((image) => image.complete && image.naturalWidth > 0)")
    sources = page.locator("audio").evaluate_all("audios => audios.map((audio) => audio.src)")
    assert [re.search(r"/haiku/[0-9a-f]{32}/audio-\d\.mp3", src) is not None for src in sources] == [True] * 3
    audio = httpx.get(sources[0], timeout=5)  # what the player fetches: the stored MP3
    assert audio.status_code == 200 and audio.content.startswith(b"ID3")
    expect(page.get_by_label("Your message")).to_have_count(0)  # a completed haiku is only viewed or deleted
    page.screenshot(path=artifacts / "completed.png", full_page=True)
    assert fake_aws.calls.counts["image"] >= 3 and fake_aws.calls.counts["speech"] >= 3


def test_deleting_asks_first_and_removes_the_haiku(page, console_errors):
    page.goto("/")
    page.get_by_role("button", name="New haiku").click()
    expect(page.get_by_role("heading", name="Chat")).to_be_visible()
    haiku_url = page.url
    page.get_by_role("button", name=re.compile("^Delete")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("deleted for good")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name=re.compile("^Delete")).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="My haiku")).to_be_visible()
    # The deleted haiku's address: the browser logs the API's 404s, and the page says what happened.
    console_errors.expect(lambda error: "status of 404" in error and "/api/" in error)
    page.goto(haiku_url)
    expect(page.get_by_text("does not exist, or it is not yours")).to_be_visible()
