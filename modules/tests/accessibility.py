"""axe-core in a real browser, for every SPA's browser tests: each page a test visits is checked in the light
and the dark colour scheme at a desktop and a phone size, and any serious or critical violation fails it.

axe-core comes from the repository's own package.json (make setup runs `npm ci` there), so every app's
suite uses the same pinned version. An app's theme must follow `prefers-color-scheme` while the user has
chosen none (the audit switches the scheme by emulating it, on the page as it is).

    audit = AccessibilityAudit(settle=wait_until_loaded)   # once per session
    audit.watch(page, "http://127.0.0.1:8123")   # every address of the app the page shows is recorded ...
    audit.check_visited(browser)                 # ... and audited once per session, after the test
    audit.check(page, "the reset dialog")        # or the page as it is right now (a dialog open)
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from toolkit.report import table

REPO = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}
COLOR_SCHEMES = ("light", "dark")
FAILING_IMPACTS = ("serious", "critical")


@dataclass(frozen=True)
class Violation:
    page: str  # path and query, or the label of a state
    variant: str  # "dark, phone"
    rule: str
    impact: str
    help: str  # what axe found at the first element (e.g. the contrast ratio and colours)
    elements: int
    example: str  # the CSS selector of the first element concerned


# Colours fade for a moment after the scheme changes (CSS transitions); axe must see where they end.
_TRANSITIONS_DONE = """() => Promise.all(document.getAnimations()
    .filter((animation) => animation instanceof CSSTransition).map((animation) => animation.finished))"""


def _first_finding(nodes: list[dict]) -> tuple[str, str]:
    if not nodes:
        return "", ""
    checks = nodes[0].get("any") or nodes[0].get("all") or nodes[0].get("none") or [{}]
    return " ".join(nodes[0]["target"]), checks[0].get("message", "")


def _audit_now(page, where: str, variant: str) -> list[Violation]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    page.evaluate(_TRANSITIONS_DONE)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    found = []
    for item in result["violations"]:
        if item["impact"] in FAILING_IMPACTS:
            element, message = _first_finding(item["nodes"])
            found.append(Violation(page=where, variant=variant, rule=item["id"], impact=item["impact"],
                                   help=message or item["help"], elements=len(item["nodes"]), example=element))
    return found


def audit_in_every_variant(page, where: str, settle: Callable[[object], None]) -> list[Violation]:
    """The page as it is, in each colour scheme at each size; the page's own scheme and size come back after."""
    if not AXE_SCRIPT.exists():
        raise FileNotFoundError(f"{AXE_SCRIPT} is missing: run `make setup` (npm ci at the repository root)")
    size = page.viewport_size
    found: list[Violation] = []
    try:
        for scheme in COLOR_SCHEMES:
            page.emulate_media(color_scheme=scheme)
            for name, viewport in VIEWPORTS.items():
                page.set_viewport_size(viewport)
                settle(page)
                found += _audit_now(page, where, f"{scheme}, {name}")
    finally:
        page.emulate_media(color_scheme=None)
        if size:
            page.set_viewport_size(size)
    return found


def report(violations: list[Violation]) -> str:
    return table(["page", "variant", "rule", "impact", "elements", "first element", "what is wrong"],
                 [(v.page, v.variant, v.rule, v.impact, v.elements, v.example[:60], v.help[:160]) for v in violations])


@dataclass
class AccessibilityAudit:
    """Session-wide: records the addresses tests visit on the app and audits each one once."""
    settle: Callable[[object], None]  # waits until a page has loaded what it shows (the app's own notion)
    audited: set[str] = field(default_factory=set)
    visited: list[str] = field(default_factory=list)

    def watch(self, page, origin: str) -> None:
        """Records every address under `origin` the page shows, client-side route changes included (the
        study apps' pages and sign-in pages of other origins are not this app's)."""
        def navigated(frame) -> None:
            url = frame.url.split("#", 1)[0]
            if frame == page.main_frame and url.startswith(origin + "/") and url not in self.visited:
                self.visited.append(url)
        page.on("framenavigated", navigated)

    def check(self, page, label: str) -> None:
        """Audits the page as it is now (e.g. with a dialog open) and fails on a serious violation."""
        found = audit_in_every_variant(page, label, self.settle)
        assert not found, f"accessibility violations (axe-core):\n{report(found)}"

    def check_visited(self, browser, **context_options) -> None:
        """Opens each recorded address not audited before in a fresh profile (no theme choice stored) and
        audits it; fails naming every serious or critical violation."""
        pending = [url for url in self.visited if url not in self.audited]
        self.visited.clear()
        if not pending:
            return
        found: list[Violation] = []
        context = browser.new_context(**context_options)
        try:
            page = context.new_page()
            for url in pending:
                self.audited.add(url)
                page.goto(url)
                parts = urlsplit(url)
                found += audit_in_every_variant(page, parts.path + (f"?{parts.query}" if parts.query else ""),
                                                self.settle)
        finally:
            context.close()
        assert not found, f"accessibility violations (axe-core):\n{report(found)}"
