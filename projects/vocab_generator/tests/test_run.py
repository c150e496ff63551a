"""`make run-vocab`: both halves start in local mode, the UI calls the backend it started, and Ctrl-C stops both."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from modules.tests.container import wait_for_health
from modules.tests.postgres import free_port
from projects.vocab_generator.tests.images import REPO


@pytest.mark.slow
def test_make_run_vocab_serves_the_backend_and_the_ui_in_local_mode():
    port, ui_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "UI_PORT": str(ui_port), "PYTHONPATH": str(REPO)}
    for name in ("LOCAL_MODE", "COGNITO_ISSUER", "AWS_REGION", "AWS_DEFAULT_REGION"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "projects.vocab_generator.run"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        backend = wait_for_health(f"http://127.0.0.1:{port}/health", process)
        assert backend.json()["features"]["generation"].startswith("off: set AWS_DEFAULT_REGION")
        assert wait_for_health(f"http://127.0.0.1:{ui_port}/healthz", process).text == "ok"
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output[-3000:]
    assert f"Vocab Generator: http://127.0.0.1:{ui_port} (backend http://127.0.0.1:{port}, Lang Portal " \
           "http://127.0.0.1:8000)" in output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{ui_port}/healthz", timeout=2)
