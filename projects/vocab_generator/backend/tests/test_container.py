"""The Dockerfile (checked as text: Docker cannot run here) and the image's own command line run on 127.0.0.1."""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from modules.tests.container import image_command, local_command, wait_for_health
from modules.tests.postgres import free_port
from modules.tests.support import stop_process
from projects.vocab_generator.tests.images import copied_sources, image_problems

BACKEND = Path(__file__).parents[1]
REPO = BACKEND.parents[2]
DOCKERFILE = BACKEND / "Dockerfile"


def test_the_image_is_built_like_every_apps_and_copies_only_what_it_needs():
    assert image_problems(DOCKERFILE, 8000, "/health") == []
    assert copied_sources(DOCKERFILE) == [
        "projects/vocab_generator/backend/requirements.txt", "modules/", "projects/__init__.py",
        "projects/vocab_generator/__init__.py", "projects/vocab_generator/backend/"]


@pytest.mark.slow
def test_the_image_command_serves_health_and_refuses_without_authentication():
    command = image_command(DOCKERFILE)
    assert command[:4] == ["python", "-m", "modules.serve", "projects.vocab_generator.backend.main:app"]
    assert command[command.index("--host") + 1] == "0.0.0.0" and command[command.index("--port") + 1] == "8000"
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "LOCAL_MODE": "true"}
    process = subprocess.Popen(local_command(command, port), cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/health", process)
        assert health.status_code == 200 and health.json()["checks"] == {"japanese_readings": "ok"}
        refused = httpx.post(f"http://127.0.0.1:{port}/api/vocab", json={"topic": "", "word_count": 5}, timeout=5)
        assert refused.status_code == 422
    finally:
        output = stop_process(process, signal.SIGTERM, timeout=20)
    assert all(not line.strip() or line.startswith("{") for line in output.splitlines()), output[:2000]

    env.pop("LOCAL_MODE")
    result = subprocess.run(local_command(command, free_port()), cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr[-2000:]
    assert "vocab generator API cannot start: " in result.stderr and "COGNITO_ISSUER" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
