"""The Lang Portal SPA in a real browser against the real API: every page, a study session from
launch to dashboard, the settings resets, 360 px layouts and keyboard use, with no console errors."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from page_helpers import settled
from portal_api import call_api, seed_ids

pytestmark = pytest.mark.slow

MOBILE = {"width": 360, "height": 780}


@pytest.fixture
def fresh_history(portal_url: str) -> None:
    """Each test starts with the local user's history empty (the seed vocabulary stays)."""
    call_api(portal_url, "POST", "/reset_history")


def open_page(page: Page, path: str, heading: str | re.Pattern) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    settled(page)


def test_every_page_renders_and_is_captured(page: Page, portal_url: str, artifacts: Path, fresh_history) -> None:
    ids = seed_ids(portal_url)
    session = call_api(portal_url, "POST", "/study_activities",
                       {"group_id": ids["group"], "study_activity_id": ids["activity"]})
    call_api(portal_url, "POST", f"/study_sessions/{session['id']}/words/{ids['word']}/review", {"correct": True})
    pages = {
        "dashboard": ("/dashboard", "Dashboard"),
        "study-activities": ("/study_activities", "Study Activities"),
        "study-activity": (f"/study_activities/{ids['activity']}", "Writing Practice"),
        "launch": (f"/study_activities/{ids['activity']}/launch", "Launch Writing Practice"),
        "words": ("/words", "Words"),
        "word": (f"/words/{ids['word']}", re.compile(".+")),
        "groups": ("/groups", "Word Groups"),
        "group": (f"/groups/{ids['group']}", "Basic Greetings"),
        "study-sessions": ("/study_sessions", "Study Sessions"),
        "study-session": (f"/study_sessions/{session['id']}", f"Study session #{session['id']}"),
        "settings": ("/settings", "Settings"),
    }
    for name, (path, heading) in pages.items():
        open_page(page, path, heading)
        expect(page.get_by_role("alert")).to_have_count(0)
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)

    open_page(page, "/no/such/page", "Page not found")


def test_words_table_pages_and_sorts(page: Page, portal_url: str) -> None:
    total = call_api(portal_url, "GET", "/words")["pagination"]["total_items"]
    open_page(page, "/words", "Words")
    expect(page.get_by_text(re.compile(rf"Page 1 of \d+ · {total} items"))).to_be_visible()

    page.get_by_role("button", name=re.compile("^English")).click()
    expect(page).to_have_url(re.compile(r"sort_by=english&order=asc"))
    settled(page)
    first_english = page.locator("tbody tr").first.locator("td").nth(2)
    expected = call_api(portal_url, "GET", "/words?sort_by=english&order=asc")["items"][0]["english"]
    expect(first_english).to_have_text(expected)

    page.get_by_role("button", name=re.compile("^English")).click()
    expect(page).to_have_url(re.compile(r"order=desc"))
    expected = call_api(portal_url, "GET", "/words?sort_by=english&order=desc")["items"][0]["english"]
    expect(page.locator("tbody tr").first.locator("td").nth(2)).to_have_text(expected)


def test_launch_review_dashboard_and_reset(page: Page, portal_url: str, artifacts: Path, fresh_history) -> None:
    ids = seed_ids(portal_url)
    open_page(page, "/dashboard", "Dashboard")
    expect(page.get_by_text("No study sessions yet")).to_be_visible()

    page.get_by_role("link", name="Start studying").click()
    page.get_by_role("link", name="Launch Writing Practice").click()
    expect(page.get_by_role("heading", level=1, name="Launch Writing Practice")).to_be_visible()
    page.get_by_label("Word group").select_option(value=str(ids["group"]))
    with page.context.expect_page() as new_tab:
        page.get_by_role("button", name="Launch now").click()
    activity_url = new_tab.value.url
    match = re.fullmatch(r"https://writing\.app-dw\.net/\?group_id=(\d+)&session_id=(\d+)", activity_url)
    assert match, activity_url
    assert int(match[1]) == ids["group"]
    session_id = int(match[2])
    expect(page).to_have_url(f"{portal_url}/study_sessions/{session_id}")
    expect(page.get_by_text("Study session started")).to_be_visible()
    new_tab.value.close()

    # The activity app records answers through the API, as Writing Practice does.
    words = call_api(portal_url, "GET", f"/groups/{ids['group']}/words/raw")["items"][:3]
    for word, correct in zip(words, (True, True, False)):
        call_api(portal_url, "POST", f"/study_sessions/{session_id}/words/{word['id']}/review", {"correct": correct})

    page.reload()
    settled(page)
    reviewed = page.get_by_role("region", name="Words reviewed")
    expect(reviewed.locator("tbody tr")).to_have_count(3)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    settled(page)
    expect(page.get_by_role("region", name="Last study session").get_by_role("link", name="Basic Greetings")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Words studied")).to_have_attribute("aria-valuenow", "3")
    stats = page.get_by_role("region", name="Quick stats")
    expect(stats.get_by_text("67%")).to_be_visible()
    expect(stats.get_by_text("1 day")).to_be_visible()
    page.screenshot(path=str(artifacts / "dashboard-after-study.png"), full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Reset history").click()
    dialog = page.get_by_role("dialog", name="Reset study history?")
    expect(dialog).to_be_visible()
    page.screenshot(path=str(artifacts / "settings-confirm-reset.png"))
    dialog.get_by_role("button", name="Reset history").click()
    expect(page.get_by_text("Study history has been reset")).to_be_visible()
    expect(dialog).to_be_hidden()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    settled(page)
    expect(page.get_by_text("No study sessions yet")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Words studied")).to_have_attribute("aria-valuenow", "0")


def test_assistive_features_explain_local_mode(page: Page, portal_url: str, console_errors) -> None:
    word = seed_ids(portal_url)["word"]
    # Chromium logs every non-2xx fetch; these 503s are the expected local-mode answer.
    console_errors.expect(lambda error: "status of 503" in error and re.search(r"/api/words/\d+/", error) is not None)
    open_page(page, f"/words/{word}", re.compile(".+"))

    page.get_by_role("button", name="Play pronunciation").click()
    notice = page.get_by_role("status").filter(has_text="Pronunciation audio is not available right now")
    expect(notice).to_contain_text("to enable it")
    page.get_by_role("button", name="Show picture").click()
    expect(page.get_by_text("The picture is not available right now")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)


def test_theme_choice_survives_a_reload(page: Page, artifacts: Path) -> None:
    open_page(page, "/settings", "Settings")
    page.get_by_role("radio", name="Dark").check()
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    open_page(page, "/dashboard", "Dashboard")
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    page.screenshot(path=str(artifacts / "dashboard-dark.png"), full_page=True)
    open_page(page, "/settings", "Settings")
    page.get_by_role("radio", name="Light").check()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bdark\b"))


@pytest.mark.parametrize("path", ["/dashboard", "/study_activities", "/words", "/groups", "/study_sessions",
                                  "/settings"])
def test_fits_a_360px_screen(context, portal_url: str, artifacts: Path, path: str) -> None:
    page = context.new_page()
    page.set_viewport_size(MOBILE)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    settled(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= MOBILE["width"]
    if path in ("/dashboard", "/words"):
        page.screenshot(path=str(artifacts / f"mobile{path.replace('/', '-')}.png"))

    menu = page.get_by_role("button", name="Menu")
    menu.click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.locator("[aria-current=page]")).to_be_visible()


def test_keyboard_only_use(page: Page) -> None:
    open_page(page, "/dashboard", "Dashboard")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Words").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Words")).to_be_visible()
    settled(page)
    page.get_by_role("button", name=re.compile("^Romaji")).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort_by=romaji"))

    open_page(page, "/settings", "Settings")
    page.get_by_role("button", name="Full reset").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Full reset?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
