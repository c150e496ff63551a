"""Waiting on the SPA's pages and moving through them by keyboard, shared by the browser tests."""
from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

MAX_TABS = 80  # more than any page here has focusable elements


def settled(page: Page) -> None:
    """Waits until no loading placeholder or busy table is left on the page and its images have arrived."""
    expect(page.get_by_role("status").filter(has_text=re.compile("Loading|Signing"))).to_have_count(0)
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    page.wait_for_function("Array.from(document.images).every((image) => image.complete)")


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
