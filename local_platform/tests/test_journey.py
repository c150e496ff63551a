"""The learner's journey across the four apps, in Chromium, against `make run-apps AWS=1` (AWS replaced at the HTTP
level, see conftest.py): the steps of issue 21, each a test that signs its people in itself, so any one runs alone.

1. A learner signs in once and reaches the Lang Portal, Haiku and Writing Practice without a second sign-in.
4. A learner makes a haiku end to end and sees it in their list; the second learner does not.
2. Portal -> launch Writing Practice for a group -> it opens with that group and session -> upload a handwriting
   image -> the grade -> the portal's session page and dashboard show the review.
3. Staff generate a group in the Vocab Generator and send it to the Lang Portal, where a learner sees it; a learner
   opening the Vocab Generator is refused.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from local_platform.tests.conftest import Stack
from local_platform.tests.fake_aws import FEEDBACK, GROUP_NAME
from projects.haiku.backend.tests.fake_aws import JAPANESE, LINES
from projects.vocab_generator.backend.tests.conftest import FOOD
from projects.writing_practice.frontend.tests.conftest import handwriting

pytestmark = pytest.mark.slow  # one browser against the whole stack
UI_SECONDS = 60_000  # Streamlit and Gradio pages on a shared 2-core machine


@pytest.fixture(scope="module", autouse=True)
def patient_expectations() -> Iterator[None]:
    """Every app of the stack shares the machine's two cores: longer waits here, Playwright's default after."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


def open_profile(browser, contexts: list):
    """A fresh browser profile (no cookies: nobody signed in)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(20_000)
    contexts.append(context)
    return context


def sign_in(page: Page, stack: Stack, username: str) -> None:
    """On the hosted UI's form, as `username`."""
    expect(page).to_have_url(re.compile(rf"^{re.escape(stack.identity)}/oauth2/authorize\?"), timeout=30_000)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(stack.passwords[username])
    page.get_by_role("button", name="Sign in").click()


def signed_in_page(browser, contexts: list, stack: Stack, username: str, url: str) -> Page:
    page = open_profile(browser, contexts).new_page()
    page.goto(url)
    sign_in(page, stack, username)
    return page


def test_1_a_learner_signs_in_once_and_reaches_the_portal_haiku_and_writing_practice(stack: Stack, browser,
                                                                                      contexts):
    context = open_profile(browser, contexts)
    forms_sent = []
    context.on("request", lambda request: forms_sent.append(request.url) if request.method == "POST" and
               request.url.startswith(f"{stack.identity}/login") else None)
    page = context.new_page()
    page.goto(f"{stack.sites['Lang Portal']}/dashboard")
    sign_in(page, stack, "ana")
    expect(page).to_have_url(f"{stack.sites['Lang Portal']}/dashboard")
    expect(page.get_by_text("ana@example.com")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.goto(f"{stack.sites['Haiku Generator']}/")  # the hosted UI's session answers for the Haiku SPA
    expect(page.get_by_role("heading", name="My haiku")).to_be_visible()
    expect(page.get_by_text("ana@example.com")).to_be_visible()

    page.goto(f"{stack.sites['Writing Practice']}/")  # and for the load balancer's sign-in
    expect(page).to_have_url(f"{stack.sites['Writing Practice']}/")
    expect(page.locator("#group")).to_be_visible(timeout=UI_SECONDS)  # its groups came from the portal, as ana
    assert len(forms_sent) == 1, forms_sent


def test_4_a_learner_makes_a_haiku_end_to_end_and_the_other_learner_does_not_see_it(stack: Stack, browser, contexts):
    haiku = stack.sites["Haiku Generator"]
    page = signed_in_page(browser, contexts, stack, "ana", f"{haiku}/")
    page.get_by_role("button", name="New haiku").click()
    page.get_by_label("Your message").fill("A haiku about a frog and an old pond, please")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("complementary")).to_contain_text(LINES[1])
    page.get_by_role("button", name="Accept this haiku").click()
    lines = page.get_by_role("list", name="The haiku, line by line").get_by_role("listitem")
    expect(lines).to_have_count(3, timeout=30_000)
    for number, japanese in enumerate(JAPANESE.values()):
        expect(lines.nth(number)).to_contain_text(japanese)
    page.wait_for_function("Array.from(document.images).length === 3 && "
                           "Array.from(document.images).every((image) => image.complete && image.naturalWidth > 0)")
    page.goto(f"{haiku}/")
    mine = page.get_by_role("list", name="Haiku").get_by_role("listitem")
    expect(mine).to_have_count(1)
    expect(mine.first).to_contain_text(JAPANESE[LINES[0]])

    other = signed_in_page(browser, contexts, stack, "ben", f"{haiku}/")
    expect(other.get_by_text("ben@example.com")).to_be_visible()
    expect(other.get_by_text("No haiku yet")).to_be_visible()
    expect(other.get_by_text(JAPANESE[LINES[0]])).to_have_count(0)


def test_2_the_portal_launches_writing_practice_and_shows_the_graded_review(stack: Stack, browser, contexts):
    portal, writing = stack.sites["Lang Portal"], stack.sites["Writing Practice"]
    page = signed_in_page(browser, contexts, stack, "ben", f"{portal}/study_activities")
    page.get_by_role("link", name="Launch Writing Practice").click()
    choice = page.get_by_label("Word group")
    choice.select_option(value=choice.locator("option", has_text="Basic Greetings").get_attribute("value"))
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Launch now").click()
    tab = opened.value
    word = tab.locator("#word")
    expect(word).to_contain_text("Basic Greetings: word 1 of", timeout=UI_SECONDS)  # the group it was launched with
    launched = re.fullmatch(rf"{re.escape(writing)}/\?group_id=(\d+)&session_id=(\d+)", tab.url)
    assert launched, tab.url
    session_id = launched[2]
    expect(page).to_have_url(f"{portal}/study_sessions/{session_id}")

    tab.get_by_role("tab", name="Upload").click()
    tab.locator("#upload input[type=file]").set_input_files(
        {"name": "my-writing.png", "mimeType": "image/png", "buffer": handwriting("こんにちは")})
    expect(tab.locator("#upload")).to_contain_text("my-writing.png")
    tab.locator("#grade").click()
    expect(tab.locator("#result")).to_contain_text("Grade S", timeout=UI_SECONDS)
    expect(tab.locator("#result")).to_contain_text(FEEDBACK)

    page.reload()
    reviewed = page.get_by_role("region", name="Words reviewed")
    expect(reviewed.locator("tbody tr")).to_have_count(1)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    last_session = page.get_by_role("region", name="Last study session")
    expect(last_session.get_by_role("link", name="Basic Greetings", exact=True)).to_be_visible()
    expect(page.get_by_role("progressbar", name="Words studied")).to_have_attribute("aria-valuenow", "1")
    expect(page.get_by_role("region", name="Quick stats").get_by_text("100%")).to_be_visible()


def test_3_staff_send_a_generated_group_to_the_portal_and_learners_see_it_but_cannot_generate(stack: Stack, browser,
                                                                                             contexts):
    vocab, portal = stack.sites["Vocab Generator"], stack.sites["Lang Portal"]
    staff = signed_in_page(browser, contexts, stack, "sam", f"{vocab}/")
    expect(staff.get_by_text("Signed in as sam@example.com")).to_be_visible(timeout=UI_SECONDS)
    staff.get_by_role("textbox", name="Topic").fill("food")
    staff.get_by_role("textbox", name="Topic").press("Enter")
    staff.get_by_role("button", name="Generate").click()
    expect(staff.get_by_role("heading", name=FOOD[0]["japanese"])).to_be_visible(timeout=UI_SECONDS)
    staff.get_by_role("button", name="Send to Lang Portal").click()
    expect(staff.get_by_text("Sent to the Lang Portal: group #")).to_contain_text(f"“{GROUP_NAME}” (new)",
                                                                                  timeout=UI_SECONDS)

    learner = signed_in_page(browser, contexts, stack, "ana", f"{portal}/groups")
    learner.get_by_role("link", name=GROUP_NAME, exact=True).click()
    for word in FOOD:
        expect(learner.get_by_role("cell", name=word["english"], exact=True).last).to_be_visible()

    learner.goto(f"{vocab}/")  # signed in already: the load balancer lets ana through, the app refuses her
    expect(learner.get_by_role("heading", name="Staff only")).to_be_visible(timeout=UI_SECONDS)
    expect(learner.get_by_text("ana@example.com")).to_be_visible()
    expect(learner.get_by_role("button", name="Generate")).to_have_count(0)
