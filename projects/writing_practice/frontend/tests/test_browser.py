"""Chromium (Playwright) against the real app behind the load balancer's sign-in, calling the real Lang Portal
API: pick a group, write on the canvas with the mouse, see the grade, and find the review in the learner's
session; the page runs under its Content-Security-Policy with no console error."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.stub import ANY

from modules.tests.accessibility import AccessibilityAudit
from modules.tests.browser import chromium
from modules.tests.support import tool_use_response
from projects.writing_practice.frontend.grading import TOOL_NAME
from projects.writing_practice.frontend.tests.test_practice_against_the_portal import GREETINGS, as_learner

pytestmark = [pytest.mark.slow, pytest.mark.browser,  # a browser and server processes
              pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]  # Gradio's own use of pandas

@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_pick_a_group_write_the_word_see_the_grade_and_the_review_in_the_lang_portal(browser, served):
    # The load balancer adds its headers to every request of the signed-in learner's browser.
    context = browser.new_context(extra_http_headers=served.headers("gina"), viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(served.origin + "/")
        page.locator("#group input").click()
        page.get_by_role("option", name="Basic Greetings").click()
        page.locator("#start").click()
        page.locator("#word").get_by_text("Basic Greetings: word 1 of 10").wait_for(timeout=15_000)
        english = page.locator("#word h3").inner_text()
        words = {word["english"]: word for word in
                 as_learner(served, "gina").get(f"/api/groups/{GREETINGS}/words/raw")["items"]}
        word = words[english]

        page.locator("#canvas").get_by_role("button", name="Brush").click()
        canvas = page.locator("#canvas canvas").first
        box = canvas.bounding_box()
        for start, end in (((0.3, 0.3), (0.7, 0.35)), ((0.5, 0.2), (0.45, 0.8))):
            page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=3)  # each move repaints the canvas in software: few
            page.mouse.up()
        served.aws.bedrock.add_response("converse", tool_use_response(
            TOOL_NAME, {"transcription": word["japanese"], "grade": "A", "feedback": "Clear strokes."}),
            expected_params={"modelId": ANY, "system": ANY, "inferenceConfig": ANY, "toolConfig": ANY,
                             "guardrailConfig": ANY, "messages": [{"role": "user", "content": [
                                 {"image": {"format": "png", "source": {"bytes": ANY}}}, {"text": ANY}]}]})
        page.locator("#grade").click()
        page.locator("#result").get_by_text("Grade A").wait_for(timeout=15_000)
        assert "Clear strokes." in page.locator("#result").inner_text()
        AccessibilityAudit(settle=lambda shown: shown.wait_for_timeout(300)).check(page, "a graded attempt")
        served.aws.assert_used()

        [session] = as_learner(served, "gina").get("/api/study_sessions")["items"]
        assert (session["activity_name"], session["review_items_count"], session["correct_count"]) == (
            "Writing Practice", 1, 1)
        reviewed = as_learner(served, "gina").get(f"/api/study_sessions/{session['id']}/words")["items"]
        assert [item["japanese"] for item in reviewed] == [word["japanese"]]

        page.locator("#next-word").click()
        page.locator("#word").get_by_text("Basic Greetings: word 2 of 10").wait_for(timeout=15_000)
        assert page.locator("#word h3").inner_text() != english
        assert problems == []
    except Exception:
        page.screenshot(path=str(Path(served.origin.replace("http://", "/tmp/writing-").replace(":", "-")) ) + ".png")
        raise
    finally:
        context.close()
