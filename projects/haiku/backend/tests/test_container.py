"""The Dockerfile (checked as text: Docker cannot run here), the image's own command line run on 127.0.0.1 and
stopped with SIGTERM as ECS stops it, and the `make run-haiku` local run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from modules.tests.container import (base_image_problem, dockerfile_instructions, image_command, local_command,
                                    make_run_target, unlocked_pins, wait_for_health)
from modules.tests.postgres import free_port
from modules.tests.support import stop_process
from projects.haiku.backend.settings import HaikuSettings

BACKEND = Path(__file__).parents[1]
REPO = BACKEND.parents[2]
DOCKERFILE = BACKEND / "Dockerfile"


def test_the_image_is_built_like_every_apps():
    assert base_image_problem(DOCKERFILE) is None
    [user] = dockerfile_instructions(DOCKERFILE, "USER")
    assert user not in ("root", "0")
    assert dockerfile_instructions(DOCKERFILE, "HEALTHCHECK") == [
        "--interval=30s --timeout=5s --start-period=60s --retries=3 CMD curl -f http://localhost:8000/health || exit 1"]
    assert [line.split()[0] for line in dockerfile_instructions(DOCKERFILE, "COPY")] == [
        "projects/haiku/backend/requirements.txt", "modules/", "projects/__init__.py", "projects/haiku/__init__.py",
        "projects/haiku/backend/"]
    assert unlocked_pins(BACKEND / "requirements.txt", REPO / "Pipfile.lock") == {}


def test_the_stop_fits_fargate_spots_two_minutes():
    """uvicorn's graceful wait for open requests, then each worker's media grace, within the 120 s ECS gives."""
    command = image_command(DOCKERFILE)
    graceful = float(command[command.index("--timeout-graceful-shutdown") + 1])
    assert graceful + HaikuSettings.model_fields["media_shutdown_grace_seconds"].default < 120


@pytest.mark.slow
def test_the_image_command_serves_and_stops_on_sigterm(tmp_path):
    command = image_command(DOCKERFILE)
    assert command[:4] == ["python", "-m", "modules.serve", "projects.haiku.backend.main:app"]
    assert int(command[command.index("--workers") + 1]) >= 2
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/image.sqlite3", "PYTHONPATH": str(REPO),
           "LOCAL_MODE": "true"}
    process = subprocess.Popen(local_command(command, port), cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert wait_for_health(f"http://127.0.0.1:{port}/health", process).status_code == 200
        created = httpx.post(f"http://127.0.0.1:{port}/api/haiku", timeout=5)
        assert created.status_code == 201
        assert httpx.get(f"http://127.0.0.1:{port}/api/haiku", timeout=5).json()["total"] == 1
    finally:
        output = stop_process(process, signal.SIGTERM, timeout=30)
    assert process.returncode == 0, output[-2000:]
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert all(not line.strip() or line.startswith("{") for line in output.splitlines()), output[:2000]
    assert sum(line["message"] == "haiku API ready" for line in lines) == 2  # each worker, with its media worker
    assert "Traceback" not in output


@pytest.mark.slow
def test_make_run_haiku_serves_a_migrated_sqlite_in_local_mode(tmp_path):
    with make_run_target("projects.haiku.backend.run", tmp_path) as run:
        health = wait_for_health(f"{run.origin}/api/health", run.process)
        assert health.status_code == 200 and health.json()["features"]["chat"].startswith("off: set ")
        haiku_id = httpx.post(f"{run.origin}/api/haiku", timeout=5).json()["haiku_id"]
        chat = httpx.post(f"{run.origin}/api/chat/{haiku_id}/stream", json={"message": "hi"}, timeout=5)
        assert chat.status_code == 503 and chat.json()["settings"] == ["AWS_DEFAULT_REGION", "GUARDRAIL_ID",
                                                                       "GUARDRAIL_VERSION"]
    assert (tmp_path / "haiku.sqlite3").exists()
    assert "LOCAL MODE" in run.output and "Traceback" not in run.output


def test_without_authentication_settings_the_app_stops_at_once_naming_both_ways_out(tmp_path):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    result = subprocess.run([sys.executable, "-c", "import projects.haiku.backend.main"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3  # uvicorn's startup failure: its supervisor stops
    assert "haiku API cannot start: no authentication is configured: set COGNITO_ISSUER" in result.stderr
    assert "Traceback" not in result.stderr
