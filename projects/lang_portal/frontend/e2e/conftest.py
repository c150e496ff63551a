"""End-to-end fixtures: the built SPA and the real Lang Portal API (SQLite, seed data) behind one small
static + proxy server on 127.0.0.1, as CloudFront and the ALB serve them in AWS, driven by Debian's
Chromium through Playwright. Twice: in local mode, and in Cognito mode against modules/tests/fake_cognito.py."""
from __future__ import annotations

import http.client
import mimetypes
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from modules.tests.accessibility import VIEWPORTS, AccessibilityAudit
from modules.tests.browser import chromium
from modules.tests.fake_cognito import FakeCognito
from modules.tests.support import LocalServer, send_json
from page_helpers import settled
from projects.lang_portal.backend.tests.api_process import running_api

FRONTEND = Path(__file__).resolve().parent.parent
REPO = FRONTEND.parent.parent.parent
DIST = FRONTEND / "dist"
ARTIFACTS = REPO / "test-artifacts" / "lang-portal"
BUILD_INPUTS = ("src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts",
                "tsconfig.json", "tsconfig.app.json")
# Hop-by-hop headers belong to one connection and are never forwarded by a proxy (RFC 9110).
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}


def _newest_mtime(paths: list[Path]) -> float:
    newest = 0.0
    for path in paths:
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


@pytest.fixture(scope="session")
def spa_dist() -> Path:
    """dist/ of a build no older than the sources; builds (a few seconds) when it is."""
    if not (FRONTEND / "node_modules").is_dir():
        pytest.fail(f"{FRONTEND / 'node_modules'} is missing: run `make setup` (npm ci in "
                    "projects/lang_portal/frontend) before the end-to-end tests", pytrace=False)
    index = DIST / "index.html"
    if not index.exists() or index.stat().st_mtime < _newest_mtime([FRONTEND / p for p in BUILD_INPUTS]):
        build = subprocess.run(["npm", "run", "build"], cwd=FRONTEND, capture_output=True, text=True, timeout=300)
        if build.returncode != 0:
            pytest.fail(f"npm run build failed:\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}", pytrace=False)
    return DIST


# The activity apps at addresses the browser stubs (_stub_activity_app), as STUDY_ACTIVITY_URLS sets them in AWS.
ACTIVITY_URLS = '{"writing-practice": "https://writing.app-dw.net", "haiku": "https://haiku.app-dw.net"}'


@pytest.fixture(scope="session")
def api_origin(tmp_path_factory) -> Iterator[str]:
    """The API in local mode (LOCAL_MODE=true, no Cognito, no AWS), as `make run-lang-portal` runs it."""
    with running_api(tmp_path_factory, "lang-portal-api",
                     {"LOCAL_MODE": "true", "STUDY_ACTIVITY_URLS": ACTIVITY_URLS}) as origin:
        yield origin


def _static_and_proxy_handler(dist: Path, api_port: int, config: dict | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:  # keeps pytest output readable
            pass

        def _proxy(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
            upstream = http.client.HTTPConnection("127.0.0.1", api_port, timeout=30)
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP | {"content-length"}:
                        self.send_header(name, value)
            finally:
                upstream.close()
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _static(self) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            file = (dist / path.lstrip("/")).resolve()
            if not file.is_relative_to(dist) or not file.is_file():
                if Path(path).suffix:  # a missing asset is a 404, as from S3
                    self.send_error(404)
                    return
                file = dist / "index.html"  # a client-side route: the SPA answers it, as CloudFront does
            payload = file.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", mimetypes.guess_type(file.name)[0] or "application/octet-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def _serve(self) -> None:
            if self.path.startswith("/api/"):
                self._proxy()
            elif config is not None and self.path.split("?", 1)[0] == "/config.json":
                send_json(self, 200, config, **{"Cache-Control": "no-store"})
            else:
                self._static()

        do_GET = do_HEAD = _serve

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self._proxy()

    return Handler


@contextmanager
def serving_portal(dist: Path, api_origin: str, config: dict | None = None) -> Iterator[str]:
    """One origin for the SPA and /api, like lang-portal.app-dw.net behind the ALB; `config` replaces
    dist/config.json, as the deploy pipeline writes its own."""
    api_port = int(api_origin.rsplit(":", 1)[1])
    with LocalServer(_static_and_proxy_handler(dist.resolve(), api_port, config)) as server:
        yield server.origin


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


@pytest.fixture(scope="module")  # module scope: modules/tests/browser.py says why
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@dataclass
class ConsoleErrors:
    """Console errors and uncaught exceptions of one test's pages; `expect` names the tolerated ones."""
    seen: list[str] = field(default_factory=list)
    tolerated: list[Callable[[str], bool]] = field(default_factory=list)

    def expect(self, matcher: Callable[[str], bool]) -> None:
        self.tolerated.append(matcher)

    def unexpected(self) -> list[str]:
        return [error for error in self.seen if not any(match(error) for match in self.tolerated)]


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

    def watch(page) -> None:
        page.on("console", lambda message: message.type == "error" and console_errors.seen.append(
            f"{message.text} @ {message.location.get('url', '')}"))
        page.on("pageerror", lambda error: console_errors.seen.append(f"uncaught: {error}"))

    def open_(base_url: str):
        ctx = browser.new_context(base_url=base_url, viewport=VIEWPORTS["desktop"])
        ctx.route(lambda url: not url.startswith("http://127.0.0.1"), _stub_activity_app)
        ctx.on("page", watch)
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
