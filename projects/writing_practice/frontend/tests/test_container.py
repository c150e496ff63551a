"""The Dockerfile (checked as text: Docker cannot run here), the image's own command line run on 127.0.0.1 against
a real Lang Portal API process, and the `make run-writing` local run."""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from modules.tests.container import (base_image_problem, dockerfile_instructions, image_command, local_command,
                                    make_run_target, unlocked_pins, wait_for_health)
from modules.tests.postgres import free_port
from modules.tests.support import stop_process

FRONTEND = Path(__file__).parents[1]
REPO = FRONTEND.parents[2]
DOCKERFILE = FRONTEND / "Dockerfile"


def instruction(name: str) -> list[str]:
    return dockerfile_instructions(DOCKERFILE, name)


def test_a_pinned_slim_python_run_as_a_non_root_user_with_only_the_app_copied():
    assert base_image_problem(DOCKERFILE) is None
    [user] = instruction("USER")
    assert user not in ("root", "0")
    assert instruction("EXPOSE") == ["7860"]
    assert instruction("HEALTHCHECK") == [
        "--interval=30s --timeout=5s --start-period=60s --retries=3 CMD curl -f http://localhost:7860/healthz || exit 1"]
    assert [line.split()[0] for line in instruction("COPY")] == [
        "projects/writing_practice/frontend/requirements.txt", "modules/", "projects/__init__.py",
        "projects/writing_practice/__init__.py", "projects/writing_practice/frontend/"]
    assert "GRADIO_ANALYTICS_ENABLED=False" in DOCKERFILE.read_text()


def test_requirements_match_the_lock_file_and_hold_what_the_app_imports():
    assert unlocked_pins(FRONTEND / "requirements.txt", REPO / "Pipfile.lock") == {}
    pinned = {line.split("==")[0] for line in (FRONTEND / "requirements.txt").read_text().splitlines()
              if "==" in line}
    assert {"gradio", "pillow", "fastapi", "uvicorn", "boto3", "pyjwt", "jaconv", "sqlalchemy"} <= pinned


@pytest.mark.slow
def test_the_image_command_serves_healthz_against_the_lang_portal(api_origin, tmp_path):
    command = image_command(DOCKERFILE)
    assert command[:4] == ["python", "-m", "modules.serve", "projects.writing_practice.frontend.main:app"]
    assert command[command.index("--port") + 1] == "7860"
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "LOCAL_MODE": "true", "LANG_PORTAL_API_URL": api_origin,
           "GRADIO_ANALYTICS_ENABLED": "False", "HOME": str(tmp_path)}
    process = subprocess.Popen(local_command(command, port), cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        assert health.status_code == 200 and health.json()["checks"] == {"lang_portal": "ok"}, health.text
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and "Writing Practice" in page.text
        assert "script-src 'self' 'unsafe-inline' 'unsafe-eval'" in page.headers["content-security-policy"]
    finally:
        output = stop_process(process, signal.SIGINT, timeout=20)
    assert all(not line.strip() or line.startswith("{") for line in output.splitlines()), output[:2000]


@pytest.mark.slow
def test_the_image_command_without_the_sign_in_settings_stops_at_once_naming_them():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(local_command(image_command(DOCKERFILE), free_port()), cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr[-2000:]
    assert ("writing practice cannot start: invalid WritingPracticeSettings configuration: ALB_ARN, COGNITO_ISSUER, "
            "LANG_PORTAL_API_URL are required behind the load balancer's sign-in") in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.slow
def test_make_run_writing_serves_on_port_from_the_environment_in_local_mode(api_origin, tmp_path):
    with make_run_target("projects.writing_practice.frontend.run", REPO, LANG_PORTAL_URL=api_origin,
                         HOME=str(tmp_path)) as run:
        assert wait_for_health(f"{run.origin}/healthz", run.process).status_code == 200
    assert "LOCAL MODE" in run.output and "local-user" in run.output
