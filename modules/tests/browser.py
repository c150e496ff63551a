"""What every SPA's browser tests need: the built SPA (rebuilt when its or the kit's sources changed), one origin
serving the SPA's files and proxying /api to the API (as CloudFront and the ALB do in AWS; the API itself runs
under modules.tests.support.running_api), Debian's Chromium for Playwright, console errors collected per test,
and the SPA's vitest suite run from pytest."""
from __future__ import annotations

import http.client
import mimetypes
import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from modules.tests.support import REPO, LocalServer, send_json

SPA_KIT = REPO / "projects" / "shared" / "spa"
CHROMIUM = Path("/usr/bin/chromium")
BUILD_INPUTS = ("src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts",
                "tsconfig.json", "tsconfig.app.json")
# Hop-by-hop headers belong to one connection and are never forwarded by a proxy (RFC 9110).
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--dns-prefetch-disable",
    # Every host but this machine resolves to nothing: the browser can reach only 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def _newest_mtime(paths: list[Path]) -> float:
    newest = 0.0
    for path in paths:
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def built_spa(frontend: Path) -> Path:
    """dist/ of a build no older than the SPA's sources and the kit's; builds (a few seconds) when it is."""
    if not (frontend / "node_modules").is_dir():
        pytest.fail(f"{frontend / 'node_modules'} is missing: run `make setup` (npm ci there) before the "
                    "browser tests", pytrace=False)
    dist = frontend / "dist"
    index = dist / "index.html"
    sources = [frontend / name for name in BUILD_INPUTS] + [SPA_KIT / "src", SPA_KIT / "vite.ts"]
    if not index.exists() or index.stat().st_mtime < _newest_mtime(sources):
        build = subprocess.run(["npm", "run", "build"], cwd=frontend, capture_output=True, text=True, timeout=300)
        if build.returncode != 0:
            pytest.fail(f"npm run build failed:\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}", pytrace=False)
    return dist


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
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP | {"content-length"}:
                        self.send_header(name, value)
                if answer.status in (204, 304):  # no body, by definition
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                # Passed on as it arrives (a streamed chat answer), in chunks.
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                while piece := answer.read1(65536):
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            finally:
                upstream.close()

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
        do_POST = do_DELETE = _proxy  # noqa: N815 - http.server's naming

    return Handler


@contextmanager
def serving_site(dist: Path, api_origin: str, config: dict | None = None) -> Iterator[str]:
    """One origin for the SPA and /api, like <app>.app-dw.net; `config` replaces dist/config.json, as the deploy
    pipeline writes its own."""
    api_port = int(api_origin.rsplit(":", 1)[1])
    with LocalServer(_static_and_proxy_handler(dist.resolve(), api_port, config)) as server:
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
