"""Waiting on the SPA's pages, shared by the browser tests."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def settled(page: Page) -> None:
    """Waits until no loading placeholder is left on the page and its images have arrived."""
    expect(page.get_by_role("status").filter(has_text=re.compile("Loading|Signing"))).to_have_count(0)
    page.wait_for_function("Array.from(document.images).every((image) => image.complete)")
