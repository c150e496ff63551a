"""`make run-vocab`: both halves start in local mode, the UI calls the backend it started, and Ctrl-C - or SIGTERM,
as `make run-apps` stops it - stops both cleanly: no traceback, no process left."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress

import httpx
import pytest

from modules.tests.container import wait_for_health
from modules.tests.postgres import free_port
from modules.tests.support import alive, descendants
from projects.vocab_generator.tests.images import REPO


def ctrl_c(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)  # the terminal sends it to the whole foreground group


def sigterm(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)  # `make run-apps` stops the group it started the launcher in


def still_running(pids: set[int], seconds: float = 5) -> set[int]:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return {pid for pid in pids if alive(pid)}


@pytest.mark.slow
@pytest.mark.parametrize("stop", [ctrl_c, sigterm])
def test_make_run_vocab_serves_the_backend_and_the_ui_in_local_mode_and_stops_both(stop):
    port, ui_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "UI_PORT": str(ui_port), "PYTHONPATH": str(REPO)}
    for name in ("LOCAL_MODE", "COGNITO_ISSUER", "AWS_REGION", "AWS_DEFAULT_REGION"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "projects.vocab_generator.run"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    halves: set[int] = set()
    try:
        backend = wait_for_health(f"http://127.0.0.1:{port}/health", process)
        assert backend.json()["features"]["generation"].startswith("off: set AWS_DEFAULT_REGION")
        assert wait_for_health(f"http://127.0.0.1:{ui_port}/healthz", process).text == "ok"
        halves = descendants(process.pid)
        assert len(halves) == 2, halves
    finally:
        stop(process)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        left = still_running(halves)
        for pid in left:  # nothing stays behind, whatever happened
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert left == set(), f"left running: {left}\n{output[-3000:]}"
    assert process.returncode == 0, output[-3000:]
    assert "Traceback" not in output, output[-6000:]
    assert f"Vocab Generator: http://127.0.0.1:{ui_port} (backend http://127.0.0.1:{port}, Lang Portal " \
           "http://127.0.0.1:8000)" in output
    for health in (f"http://127.0.0.1:{ui_port}/healthz", f"http://127.0.0.1:{port}/health"):
        with pytest.raises(httpx.TransportError):
            httpx.get(health, timeout=2)
