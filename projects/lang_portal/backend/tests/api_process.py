"""The Lang Portal API as a real server process, for tests that call it over HTTP as its clients do: the SPA's
browser tests and the UI apps' calls as the signed-in user."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from modules.tests.postgres import free_port
from modules.tests.support import stop_process

REPO = Path(__file__).resolve().parents[4]


@contextmanager
def running_api(tmp_path_factory: pytest.TempPathFactory, name: str, settings: dict[str, str]) -> Iterator[str]:
    """The real API under uvicorn on a free port, migrated and seeded into a fresh SQLite file, with
    only `settings` (environment variables) configured; yields its origin and stops it."""
    port = free_port()
    database = tmp_path_factory.mktemp(name) / "lang_portal.sqlite3"
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "PYTHONPATH": str(REPO),
           "DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "WARNING", **settings}
    log = (tmp_path_factory.getbasetemp() / f"{name}.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "projects.lang_portal.backend.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"the API exited with {server.returncode}:\n{log.read()[-4000:]}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{origin}/api/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the API did not become healthy within 60 s", pytrace=False)
            time.sleep(0.2)
        yield origin
    finally:
        stop_process(server, timeout=10)
        log.close()
