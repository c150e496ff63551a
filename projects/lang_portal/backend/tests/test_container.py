"""The Dockerfile (checked as text: Docker cannot run here), the image's own command line run on
127.0.0.1, and the `make run-lang-portal` local run."""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from modules.tests.container import (base_image_problem, dockerfile_instructions, image_command, local_command,
                                    make_run_target, unlocked_pins, wait_for_health)
from modules.tests.postgres import free_port
from modules.tests.support import stop_process

BACKEND = Path(__file__).parents[1]
REPO = BACKEND.parents[2]
DOCKERFILE = BACKEND / "Dockerfile"


def instruction(name: str) -> list[str]:
    return dockerfile_instructions(DOCKERFILE, name)


def test_base_image_is_a_pinned_slim_python_311():
    assert base_image_problem(DOCKERFILE) is None


def test_runs_as_a_non_root_user_with_curl_for_the_health_check():
    [user] = instruction("USER")
    assert user not in ("root", "0")
    assert "apt-get install -y --no-install-recommends curl" in DOCKERFILE.read_text()
    assert instruction("HEALTHCHECK") == [
        "--interval=30s --timeout=5s --start-period=60s --retries=3 CMD curl -f http://localhost:8000/health || exit 1"]
    assert instruction("EXPOSE") == ["8000"]


def test_copies_only_what_the_app_needs():
    sources = [line.split()[0] for line in instruction("COPY")]
    assert sources == ["projects/lang_portal/backend/requirements.txt", "modules/", "projects/__init__.py",
                       "projects/lang_portal/__init__.py", "projects/lang_portal/backend/"]


def test_requirements_match_the_lock_file():
    assert unlocked_pins(BACKEND / "requirements.txt", REPO / "Pipfile.lock") == {}


@pytest.mark.slow
def test_the_image_command_serves_health(tmp_path):
    command = image_command(DOCKERFILE)
    assert command[:4] == ["python", "-m", "modules.serve", "projects.lang_portal.backend.main:app"]
    assert command[command.index("--host") + 1] == "0.0.0.0" and command[command.index("--port") + 1] == "8000"
    assert int(command[command.index("--workers") + 1]) >= 2
    port = free_port()
    local = local_command(command, port)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/image.sqlite3", "PYTHONPATH": str(REPO),
           "LOCAL_MODE": "true"}
    process = subprocess.Popen(local, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        response = wait_for_health(f"http://127.0.0.1:{port}/health", process)
        assert response.status_code == 200, response.text
        assert httpx.get(f"http://127.0.0.1:{port}/api/groups", timeout=5).json()["pagination"]["total_items"] == 6
    finally:
        output = stop_process(process, signal.SIGINT, timeout=20)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines, f"no JSON log lines in: {shlex.quote(output[:500])}"
    assert all(not line.strip() or line.startswith("{") for line in output.splitlines()), output[:2000]


@pytest.mark.slow
def test_the_image_command_without_authentication_settings_stops_at_once_naming_both_ways_out(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/image.sqlite3", "PYTHONPATH": str(REPO)}
    result = subprocess.run(local_command(image_command(DOCKERFILE), free_port()), cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr[-2000:]  # not restarting its workers
    assert "no authentication is configured: set COGNITO_ISSUER" in result.stderr
    assert "or LOCAL_MODE=true to run without authentication" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.slow
def test_make_run_lang_portal_serves_a_migrated_seeded_sqlite_in_local_mode(tmp_path):
    with make_run_target("projects.lang_portal.backend.run", tmp_path) as run:
        assert wait_for_health(f"{run.origin}/api/health", run.process).status_code == 200
        words = httpx.get(f"{run.origin}/api/words?page=1&sort_by=english", timeout=5).json()
        assert words["pagination"]["total_items"] == 54
    assert (tmp_path / "lang_portal.sqlite3").exists()
    lines = [json.loads(line) for line in run.output.splitlines() if line.startswith("{")]
    warnings = [line for line in lines if line["level"] == "WARNING" and "LOCAL MODE" in line["message"]]
    assert warnings and "local-user" in warnings[0]["message"]
    # One access line per request, the app's own: uvicorn's duplicate is off.
    words_lines = [line for line in lines if "/api/words" in json.dumps(line)]
    assert [(line["logger"], line["path"], line["query"], line["status"]) for line in words_lines] == [
        ("access", "/api/words", "page=1&sort_by=english", 200)]
