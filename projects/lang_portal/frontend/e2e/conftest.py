"""End-to-end fixtures: the built SPA and the real Lang Portal API (SQLite, seed data) behind one small
static + proxy server on 127.0.0.1, as CloudFront and the ALB serve them in AWS, driven by Debian's
Chromium through Playwright. Twice: in local mode, and in Cognito mode against modules/tests/fake_cognito.py."""
from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from modules.tests.accessibility import VIEWPORTS, AccessibilityAudit
from modules.tests.browser import ConsoleErrors, built_spa, chromium, serving_site
from modules.tests.fake_cognito import FakeCognito
from modules.tests.support import REPO
from page_helpers import settled
from projects.lang_portal.backend.tests.api_process import running_api

FRONTEND = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "lang-portal"


@pytest.fixture(scope="session")
def spa_dist() -> Path:
    return built_spa(FRONTEND)


# The activity apps at addresses the browser stubs (_stub_activity_app), as STUDY_ACTIVITY_URLS sets them in AWS.
ACTIVITY_URLS = '{"writing-practice": "https://writing.app-dw.net", "haiku": "https://haiku.app-dw.net"}'


@pytest.fixture(scope="session")
def api_origin(tmp_path_factory) -> Iterator[str]:
    """The API in local mode (LOCAL_MODE=true, no Cognito, no AWS), as `make run-lang-portal` runs it."""
    with running_api(tmp_path_factory, "lang-portal-api",
                     {"LOCAL_MODE": "true", "STUDY_ACTIVITY_URLS": ACTIVITY_URLS}) as origin:
        yield origin


@contextmanager
def serving_portal(dist: Path, api_origin: str, config: dict | None = None) -> Iterator[str]:
    """One origin for the SPA and /api, like lang-portal.app-dw.net behind the ALB; `config` replaces
    dist/config.json, as the deploy pipeline writes its own."""
    with serving_site(dist, api_origin, config) as origin:
        yield origin


@pytest.fixture(scope="session")
def portal_url(spa_dist: Path, api_origin: str) -> Iterator[str]:
    """The SPA with its own config.json (local mode) and the local-mode API."""
    with serving_portal(spa_dist, api_origin) as url:
        yield url


@pytest.fixture(scope="session")
def fake_cognito() -> Iterator[FakeCognito]:
    with FakeCognito() as cognito:
        yield cognito


@pytest.fixture(scope="session")
def cognito_api_origin(tmp_path_factory, fake_cognito: FakeCognito) -> Iterator[str]:
    """The API as in AWS: it trusts the pool's issuer and the portal's app client, nothing else."""
    settings = {"COGNITO_ISSUER": fake_cognito.issuer, "COGNITO_CLIENT_IDS": fake_cognito.client_id,
                "STUDY_ACTIVITY_URLS": ACTIVITY_URLS}
    with running_api(tmp_path_factory, "lang-portal-api-cognito", settings) as origin:
        yield origin


@pytest.fixture(scope="session")
def cognito_portal_url(spa_dist, cognito_api_origin: str, fake_cognito: FakeCognito) -> Iterator[str]:
    """The SPA with the config.json a deploy writes: only the hosted UI's domain and the client id, so the
    callback and sign-out URLs are the app's defaults for its own origin."""
    config = {"apiBaseUrl": "/api", "cognito": {"domain": fake_cognito.origin, "clientId": fake_cognito.client_id}}
    with serving_portal(spa_dist, cognito_api_origin, config) as url:
        fake_cognito.callback_url = f"{url}/auth/callback"
        fake_cognito.sign_out_url = f"{url}/"
        yield url


@pytest.fixture(scope="module")  # see modules.tests.browser.chromium
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


def _stub_activity_app(route) -> None:
    """The study activity apps live on other hosts; a tab opened there gets this page instead."""
    route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Activity</title><p>activity</p>")


@pytest.fixture
def open_context(browser, console_errors: ConsoleErrors) -> Iterator[Callable[[str], object]]:
    """Opens fresh browser profiles on a site (closed after the test) whose pages must log no console error."""
    opened = []

    def open_(base_url: str):
        ctx = browser.new_context(base_url=base_url, viewport=VIEWPORTS["desktop"])
        ctx.route(lambda url: not url.startswith("http://127.0.0.1"), _stub_activity_app)
        ctx.on("page", console_errors.watch)
        opened.append(ctx)
        return ctx

    yield open_
    for ctx in opened:
        ctx.close()
    assert console_errors.unexpected() == [], "the browser console logged errors"


@pytest.fixture(scope="session")
def accessibility() -> AccessibilityAudit:
    """axe-core over every address the local-mode tests visit, once per session (modules/tests/accessibility.py)."""
    return AccessibilityAudit(settle=settled)


@pytest.fixture
def context(open_context, portal_url: str, accessibility: AccessibilityAudit, browser):
    """A fresh browser profile on the local-mode site; after the test, each address its pages showed is
    audited for accessibility (both colour schemes, desktop and phone) unless audited before."""
    ctx = open_context(portal_url)
    ctx.on("page", lambda page: accessibility.watch(page, portal_url))
    yield ctx
    accessibility.check_visited(browser)


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS
