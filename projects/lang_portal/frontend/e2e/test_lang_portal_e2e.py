"""The Lang Portal SPA in a real browser against the real API, as a learner uses it: every page, a study
session from launch to dashboard, search, furigana, the settings resets, phone layouts, keyboard-only use and
the assist buttons with AWS off and on (answers stubbed in the browser), with no console errors. Every address
visited is also audited with axe-core (conftest.py's `context`)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from modules.tests.accessibility import audit_in_every_variant
from page_helpers import focused_text, press, settled, tab_to
from portal_api import call_api, seed_ids

pytestmark = pytest.mark.slow

MOBILE = {"width": 360, "height": 780}  # narrower than the audit's phone (390 px): no sideways page scroll
PHONE = {"width": 390, "height": 844}


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
    last_session = page.get_by_role("region", name="Last study session")
    expect(last_session.get_by_role("link", name="Basic Greetings", exact=True)).to_be_visible()
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


def test_assist_buttons_are_not_offered_with_aws_off(page: Page, portal_url: str) -> None:
    word = seed_ids(portal_url)["word"]
    open_page(page, f"/words/{word}", re.compile(".+"))
    expect(page.get_by_text(
        "Pronunciation audio, pictures and example sentences are not offered on this Lang Portal.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Play pronunciation|Show picture|Example sentence"))
           ).to_have_count(0)
    expect(page.get_by_text(re.compile("AWS_DEFAULT_REGION|MEDIA_BUCKET"))).to_have_count(0)


EXAMPLE = {"word_id": 1, "japanese": "肉を食べます。", "romaji": "niku wo tabemasu.", "english": "I eat meat."}


def stub_aws_features(page: Page) -> list:
    """The API as it answers with AWS configured, its AWS side stubbed in the browser: every feature offered.
    The assist requests wait in the list returned until the test answers them (route.fulfill)."""
    waiting: list = []
    page.route("**/api/capabilities", lambda route: route.fulfill(json={
        "features": {"word_audio": True, "word_picture": True, "example_sentence": True}}))
    page.route(re.compile(r".*/api/words/\d+/(audio|picture|example_sentence)$"), lambda route: waiting.append(route))
    return waiting


def arrived(page: Page, waiting: list) -> None:
    for _ in range(100):
        if waiting:
            return
        page.wait_for_timeout(50)  # Playwright hands the browser's requests to the route meanwhile
    raise AssertionError("the assist request did not arrive")


def test_assist_buttons_with_aws_on_by_keyboard(page: Page, portal_url: str) -> None:
    meat = next(w for w in call_api(portal_url, "GET", "/words?q=niku")["items"] if w["japanese"] == "肉")
    waiting = stub_aws_features(page)
    open_page(page, f"/words/{meat['id']}", "肉")
    press(page, page.get_by_role("button", name="Example sentence"))
    expect(page.get_by_role("button", name="Writing example…")).to_be_focused()  # the focus stays while it waits
    page.keyboard.press("Enter")  # a second press while busy sends nothing more
    arrived(page, waiting)
    page.wait_for_timeout(200)  # time for a second request, which must not come
    assert [route.request.url.rsplit("/", 1)[1] for route in waiting] == ["example_sentence"]
    waiting.pop().fulfill(json=EXAMPLE)
    expect(page.locator("blockquote [lang=ja]")).to_have_text("肉を食べます。")
    expect(page.get_by_role("button", name="Example sentence")).to_be_focused()

    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Show picture")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Loading picture…")).to_be_focused()
    arrived(page, waiting)
    waiting.pop().fulfill(json={"word_id": meat["id"], "url": f"{portal_url}/thumbnails/writing-practice.png",
                                "content_type": "image/png", "expires_in": 900})
    expect(page.get_by_role("img", name="Picture of “meat”")).to_be_visible()
    expect(page.get_by_role("button", name="Show picture")).to_be_focused()


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


def test_keyboard_skip_link_and_headings_after_navigation(page: Page) -> None:
    open_page(page, "/dashboard", "Dashboard")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    press(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Words"), backwards=True)
    # A new page: the focus is on its heading, so the next Tab starts in the page, not at the top.
    expect(page.get_by_role("heading", level=1, name="Words")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("searchbox", name="Search words")).to_be_focused()


def test_keyboard_sorting_keeps_the_focus_on_the_header(page: Page, portal_url: str) -> None:
    open_page(page, "/words", "Words")
    romaji = page.get_by_role("button", name=re.compile("^Romaji"))
    press(page, romaji)
    expect(page).to_have_url(re.compile(r"sort_by=romaji&order=asc"))
    settled(page)
    expect(romaji).to_be_focused()
    page.keyboard.press("Enter")  # the second press reverses the order
    expect(page).to_have_url(re.compile(r"sort_by=romaji&order=desc"))
    settled(page)
    expect(romaji).to_be_focused()
    expect(page.get_by_role("columnheader", name=re.compile("^Romaji"))).to_have_attribute("aria-sort", "descending")
    last = call_api(portal_url, "GET", "/words?sort_by=romaji&order=desc")["items"][0]["romaji"]
    expect(page.locator("tbody tr").first.locator("td").nth(1)).to_have_text(last)


def test_keyboard_launch_from_a_group(page: Page, portal_url: str, fresh_history) -> None:
    ids = seed_ids(portal_url)
    open_page(page, f"/groups/{ids['group']}", "Basic Greetings")
    press(page, page.get_by_role("link", name="Study this group"))
    expect(page.get_by_role("heading", level=1, name="Study Activities")).to_be_focused()
    expect(page.get_by_text("Choose an activity to study Basic Greetings.")).to_be_visible()
    press(page, page.get_by_role("link", name="Launch Writing Practice"))
    expect(page.get_by_role("heading", level=1, name="Launch Writing Practice")).to_be_focused()
    settled(page)
    expect(page.get_by_label("Word group")).to_have_value(str(ids["group"]))  # the group came along
    tab_to(page, page.get_by_role("button", name="Launch now"))
    with page.context.expect_page() as new_tab:
        page.keyboard.press("Enter")
    match = re.fullmatch(r"https://writing\.app-dw\.net/\?group_id=(\d+)&session_id=(\d+)", new_tab.value.url)
    assert match and int(match[1]) == ids["group"], new_tab.value.url
    new_tab.value.close()
    expect(page.get_by_role("heading", level=1, name=f"Study session #{match[2]}")).to_be_focused()
    details = page.get_by_role("region", name="Details")
    expect(details.get_by_text("No answers yet")).to_be_visible()
    expect(details.get_by_role("link", name="Writing Practice")).to_be_visible()

    open_page(page, "/dashboard", "Dashboard")
    press(page, page.get_by_role("link", name="Continue with Basic Greetings"))
    expect(page.get_by_role("heading", level=1, name="Launch Writing Practice")).to_be_focused()
    settled(page)
    expect(page.get_by_label("Word group")).to_have_value(str(ids["group"]))


def test_keyboard_dialogs_trap_focus_and_give_it_back(page: Page, accessibility) -> None:
    open_page(page, "/settings", "Settings")
    trigger = page.get_by_role("button", name="Full reset")
    press(page, trigger)
    dialog = page.get_by_role("dialog", name="Full reset?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    accessibility.check(page, "the full reset dialog")
    for _ in range(4):  # Tab goes round the dialog's own buttons, never to the page behind it
        page.keyboard.press("Tab")
        assert dialog.evaluate("d => d.contains(document.activeElement)"), focused_text(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(trigger).to_be_focused()

    history = page.get_by_role("button", name="Reset history")
    press(page, history, backwards=True)
    confirm = page.get_by_role("dialog", name="Reset study history?")
    page.keyboard.press("Tab")
    expect(confirm.get_by_role("button", name="Reset history")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Study history has been reset")).to_be_visible()
    expect(confirm).to_be_hidden()


def test_phone_menu_closes_on_escape(context) -> None:
    page = context.new_page()
    page.set_viewport_size(PHONE)
    open_page(page, "/dashboard", "Dashboard")
    menu = page.get_by_role("button", name="Menu")
    press(page, menu)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Words")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(nav.get_by_role("link", name="Words")).to_be_hidden()
    expect(page.get_by_role("button", name="Menu")).to_be_focused()


def test_phone_word_tables_show_correct_and_wrong(context, portal_url: str, artifacts: Path, fresh_history) -> None:
    ids = seed_ids(portal_url)
    session = call_api(portal_url, "POST", "/study_activities",
                       {"group_id": ids["group"], "study_activity_id": ids["activity"]})
    words = call_api(portal_url, "GET", f"/groups/{ids['group']}/words/raw")["items"]
    for word, correct in zip(words, (True, False, True)):
        call_api(portal_url, "POST", f"/study_sessions/{session['id']}/words/{word['id']}/review", {"correct": correct})
    page = context.new_page()
    page.set_viewport_size(PHONE)
    for name, path, heading in (("words", "/words", "Words"), ("group", f"/groups/{ids['group']}", "Basic Greetings"),
                                ("session", f"/study_sessions/{session['id']}", f"Study session #{session['id']}")):
        open_page(page, path, heading)
        table = page.get_by_role("table").first
        frame = table.locator("xpath=..").bounding_box()  # the frame that would scroll: all columns inside it
        for header in ("Correct", "Wrong"):
            box = table.get_by_role("columnheader", name=re.compile(f"^{header}")).bounding_box()
            assert box and frame and box["x"] + box["width"] <= frame["x"] + frame["width"], (path, header, box)
        expect(page.get_by_text("Scroll sideways to see every column.")).to_have_count(0)
        page.screenshot(path=str(artifacts / f"phone-{name}.png"), full_page=True)
    expect(page.get_by_text("2/3 correct")).to_be_visible()


def test_search_furigana_and_error_states(page: Page, portal_url: str, artifacts: Path, console_errors) -> None:
    # Chromium logs every non-2xx fetch; this 404 is the missing word the test asks for.
    console_errors.expect(lambda error: "status of 404" in error and error.endswith("/api/words/2147483000"))
    open_page(page, "/words", "Words")
    page.get_by_role("searchbox", name="Search words").fill("にく")
    expect(page).to_have_url(re.compile(r"q=%E3%81%AB%E3%81%8F|q=にく"))
    settled(page)
    expect(page.locator("tbody tr")).to_have_count(1)
    meat = page.get_by_role("link", name=re.compile("肉"))
    expect(meat.locator("ruby rt")).to_have_text("にく")
    expect(page.get_by_text("Page 1 of 1 · 1 item")).to_be_visible()
    page.screenshot(path=str(artifacts / "words-search.png"))
    page.get_by_role("searchbox", name="Search words").fill("fruit")
    settled(page)
    expect(page.locator("tbody tr ruby").first).to_contain_text("果物")

    open_page(page, "/words/2147483000", "Word")
    expect(page.get_by_text("There is no word 2147483000")).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    open_page(page, "/words?page=2", "Words")
    expect(page.get_by_text("There is no page 2: this list has one page.")).to_be_visible()
    page.get_by_role("button", name="Go to page 1").click()
    settled(page)
    expect(page.locator("tbody tr").first).to_be_visible()
    open_page(page, "/words?sort_by=kanji", "Words")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("tbody tr").first).to_be_visible()


def test_the_accessibility_audit_fails_on_what_it_should(browser) -> None:
    """The shared audit itself: faint text and a nameless button are found in every variant, a sound page
    passes."""
    page = browser.new_page()
    try:
        page.set_content('<html lang="en"><title>t</title><main><h1>Bad</h1><p style="color:#bbb">faint</p>'
                         '<button></button></main></html>')
        found = audit_in_every_variant(page, "bad page", settle=lambda _: None)
        assert {(v.rule, v.variant) for v in found} >= {
            (rule, f"{scheme}, {size}") for rule in ("color-contrast", "button-name")
            for scheme in ("light", "dark") for size in ("desktop", "phone")}
        assert "1.9" in next(v.help for v in found if v.rule == "color-contrast")  # the ratio it measured
        page.set_content('<html lang="en"><title>t</title><main><h1>Good</h1><button>Go</button></main></html>')
        assert audit_in_every_variant(page, "good page", settle=lambda _: None) == []
    finally:
        page.close()
