"""Debian's Chromium driven by Playwright, as every app's browser tests launch it: no sandbox (tests run as root),
no GPU, no background traffic, and every host but this machine unresolvable, so a page can reach 127.0.0.1 only.

Use it in a module-scoped fixture: Playwright's sync API keeps an event loop running on the main thread while it
is open, which breaks later tests that call asyncio.run; it must close with its module."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--dns-prefetch-disable",
    # Every host but this machine resolves to nothing: the browser can reach only 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


@contextmanager
def chromium() -> Iterator[object]:
    """A launched Playwright `Browser`; the test fails, saying how to install it, when Chromium is missing."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install chromium (scripts/setup.sh does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
