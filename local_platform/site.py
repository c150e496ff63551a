"""A static site as CloudFront and the ALB serve it: the SPA's built files on one origin, /api passed on to its
API (as the ALB's /api/* rule does), a client-side route answered with index.html, and the deploy's own
config.json in place of the build's; and the build itself (`npm run build`), redone when a source is newer."""
from __future__ import annotations

import mimetypes
import subprocess
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from local_platform.serving import LocalServer, forward, send_json

REPO = Path(__file__).resolve().parents[1]
SPA_KIT = REPO / "projects" / "shared" / "spa"
BUILD_INPUTS = ("src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts",
                "tsconfig.json", "tsconfig.app.json")


class BuildError(RuntimeError):
    """The SPA cannot be built; `str()` says why (and what npm wrote)."""


def _newest_mtime(paths: list[Path]) -> float:
    newest = 0.0
    for path in paths:
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def built_spa(frontend: Path) -> Path:
    """dist/ of a build no older than the SPA's sources and the kit's; builds (a few seconds) when it is."""
    if not (frontend / "node_modules").is_dir():
        raise BuildError(f"{frontend / 'node_modules'} is missing: run `make setup` (npm ci there) first")
    dist = frontend / "dist"
    index = dist / "index.html"
    sources = [frontend / name for name in BUILD_INPUTS] + [SPA_KIT / "src", SPA_KIT / "vite.ts"]
    if not index.exists() or index.stat().st_mtime < _newest_mtime(sources):
        build = subprocess.run(["npm", "run", "build"], cwd=frontend, capture_output=True, text=True, timeout=300)
        if build.returncode != 0:
            raise BuildError(f"npm run build in {frontend} failed:\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}")
    return dist


class StaticSite(LocalServer):
    """The SPA in `dist` on 127.0.0.1:`port`, /api/ going to the API on 127.0.0.1:`api_port`; `config` replaces
    dist/config.json, as the deploy pipeline writes its own."""

    def __init__(self, dist: Path, api_port: int, config: dict | None = None, port: int = 0) -> None:
        super().__init__(_site_handler(dist.resolve(), api_port, config), port)


def _site_handler(dist: Path, api_port: int, config: dict | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:  # keeps the launcher's and pytest's output readable
            pass

        def _proxy(self) -> None:
            forward(self, api_port)

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
        do_POST = do_PUT = do_PATCH = do_DELETE = _proxy  # noqa: N815 - http.server's naming

    return Handler
