"""An image's command line from its Dockerfile, rebound to 127.0.0.1 on a chosen port, so tests and
benchmarks run exactly what the container runs (Docker itself is not available here)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from modules.tests.postgres import free_port
from modules.tests.support import stop_process

REPO = Path(__file__).parents[2]


def dockerfile_instructions(dockerfile: Path, name: str) -> list[str]:
    return re.findall(rf"^{name}\s+(.+)$", dockerfile.read_text(), re.MULTILINE)


def image_command(dockerfile: Path) -> list[str]:
    """The exec-form CMD, e.g. ["python", "-m", "modules.serve", "app:app", "--host", "0.0.0.0", ...]."""
    [cmd] = dockerfile_instructions(dockerfile, "CMD")
    return json.loads(cmd)


def local_command(command: list[str], port: int) -> list[str]:
    """The same arguments run by this interpreter (`uvicorn` as `python -m uvicorn`), on 127.0.0.1:`port`."""
    local = [sys.executable, *command[1:]] if command[0] == "python" else [sys.executable, "-m", *command]
    local[local.index("--host") + 1] = "127.0.0.1"
    local[local.index("--port") + 1] = str(port)
    return local


def unlocked_pins(requirements: Path, lock_file: Path) -> dict[str, str]:
    """The pins of an image's `requirements.txt` (name==version lines) that Pipfile.lock does not hold at that
    version: {name: pinned version}. The lock is the source of truth; an image must install what was tested."""
    lock = json.loads(lock_file.read_text())
    locked = {name.lower(): spec["version"].lstrip("=") for section in ("default", "develop")
              for name, spec in lock[section].items() if "version" in spec}
    pinned = dict(line.split("==") for line in requirements.read_text().splitlines()
                  if line and not line.startswith(("#", "-")))
    return {name: version for name, version in pinned.items() if locked.get(name.lower()) != version}


def base_image_problem(dockerfile: Path) -> str | None:
    """None when the image starts FROM a pinned slim Python 3.11 on Debian bookworm, as every app's does."""
    [base] = dockerfile_instructions(dockerfile, "FROM")
    if re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base):
        return None
    return f"FROM {base} is not a pinned python:3.11.x-slim-bookworm"


def wait_for_health(url: str, process: subprocess.Popen, timeout: float = 60) -> httpx.Response:
    """The first answer from `url` of a server `process` is starting; fails the test if it exits or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}: {process.stdout.read() if process.stdout else ''}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {timeout}s")


@dataclass
class LocalRun:
    """A `make run-*` target's process: where it serves, and once stopped what it wrote."""

    origin: str
    process: subprocess.Popen
    output: str = ""


@contextmanager
def make_run_target(module: str, cwd: Path, **environment: str) -> Iterator[LocalRun]:
    """`python -m <module>` as a `make run-*` target starts it: on a free PORT, with this environment less
    DATABASE_URL (a target keeps its own SQLite file in `cwd`) plus `environment`; stopped with Ctrl-C."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PYTHONPATH": str(REPO), **environment}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", module], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    run = LocalRun(f"http://127.0.0.1:{port}", process)
    try:
        yield run
    finally:
        run.output = stop_process(process, signal.SIGINT, timeout=20)
