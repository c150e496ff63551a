"""Waiting on the SPA's pages and moving through them by keyboard, shared by the browser tests."""
from __future__ import annotations

from playwright.sync_api import Locator, Page

from modules.tests.browser import settled  # noqa: F401 - the tests import it from here

MAX_TABS = 80  # more than any page here has focusable elements


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> None:
    """Presses Tab (Shift+Tab) until `target` has the focus, as a keyboard user moves through a page."""
    for _ in range(MAX_TABS):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{target} was not reached with {MAX_TABS} presses of Tab")


def press(page: Page, target: Locator, *, backwards: bool = False) -> None:
    """Tabs to `target` and presses Enter on it."""
    tab_to(page, target, backwards=backwards)
    page.keyboard.press("Enter")


def focused_text(page: Page) -> str:
    return page.evaluate("document.activeElement?.textContent?.trim() ?? ''")
