"""What every SPA's browser tests need: the built SPA (rebuilt when its or the kit's sources changed), one origin
serving the SPA's files and proxying /api to the API (as CloudFront and the ALB do in AWS; the API itself runs
under modules.tests.support.running_api), Debian's Chromium for Playwright, console errors collected per test,
and the SPA's vitest suite run from pytest."""
from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from local_platform import site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--dns-prefetch-disable",
    # Every host but this machine resolves to nothing: the browser can reach only 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def built_spa(frontend: Path) -> Path:
    """dist/ of a build no older than the SPA's sources and the kit's (local_platform.site.built_spa); a build that
    cannot be made fails the test with npm's words."""
    try:
        return site.built_spa(frontend)
    except site.BuildError as error:
        pytest.fail(str(error), pytrace=False)


@contextmanager
def serving_site(dist: Path, api_origin: str, config: dict | None = None) -> Iterator[str]:
    """One origin for the SPA and /api, like <app>.app-dw.net; `config` replaces dist/config.json, as the deploy
    pipeline writes its own."""
    with site.StaticSite(dist, int(api_origin.rsplit(":", 1)[1]), config) as server:
        yield server.origin


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium under Playwright. Playwright's sync API keeps an event loop on the main thread while it
    is open, which breaks later tests that call asyncio.run: open it per test module."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install chromium (scripts/setup.sh does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class ConsoleErrors:
    """Console errors and uncaught exceptions of one test's pages; `expect` names the tolerated ones."""
    seen: list[str] = field(default_factory=list)
    tolerated: list[Callable[[str], bool]] = field(default_factory=list)

    def expect(self, matcher: Callable[[str], bool]) -> None:
        self.tolerated.append(matcher)

    def unexpected(self) -> list[str]:
        return [error for error in self.seen if not any(match(error) for match in self.tolerated)]

    def watch(self, page) -> None:
        page.on("console", lambda message: message.type == "error" and self.seen.append(
            f"{message.text} @ {message.location.get('url', '')}"))
        page.on("pageerror", lambda error: self.seen.append(f"uncaught: {error}"))


def run_vitest_suite(frontend: Path) -> None:
    """The SPA's vitest suite (its tests and the kit's), from pytest, so `make test` and CI cover it."""
    if not (frontend / "node_modules").is_dir():
        pytest.fail(f"{frontend / 'node_modules'} is missing: make setup runs npm ci there")
    done = subprocess.run(["npm", "test", "--silent"], cwd=frontend, capture_output=True, text=True, timeout=600)
    summary = [line for line in done.stdout.splitlines() if "Test Files" in line or "Tests " in line]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert any("passed" in line for line in summary), done.stdout[-2000:]


def settled(page) -> None:
    """Waits until no loading placeholder or busy table is left on the page and its images have arrived."""
    from playwright.sync_api import expect

    expect(page.get_by_role("status").filter(has_text=re.compile("Loading|Signing"))).to_have_count(0)
    expect(page.locator("[aria-busy=true]")).to_have_count(0)
    page.wait_for_function("Array.from(document.images).every((image) => image.complete)")
