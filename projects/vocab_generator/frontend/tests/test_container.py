"""The Dockerfile (checked as text: Docker cannot run here) and the image's own command line run on 127.0.0.1: in
local mode it serves the page and a /healthz that is Streamlit's readiness, not its catch-all; behind the load
balancer's sign-in it refuses a learner with the "Staff only" page and lets staff in; without its settings it stops
at once naming them."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from modules.tests.alb import ALB_ARN, AlbKey, AlbKeyServer, AlbSigner
from modules.tests.container import image_command, local_command, wait_for_health
from modules.tests.fake_cognito import FakeCognito
from modules.tests.postgres import free_port
from modules.tests.support import stop_process
from projects.vocab_generator.tests.images import copied_sources, image_problems

FRONTEND = Path(__file__).parents[1]
REPO = FRONTEND.parents[2]
DOCKERFILE = FRONTEND / "Dockerfile"
ALB_CLIENT = "vocab-generator-alb-client"
BROWSER = {"Accept": "text/html,application/xhtml+xml"}


def test_the_image_is_built_like_every_apps_and_copies_only_what_it_needs():
    assert image_problems(DOCKERFILE, 8501, "/healthz") == []
    assert copied_sources(DOCKERFILE) == [
        "projects/vocab_generator/frontend/requirements.txt", "modules/", "projects/__init__.py",
        "projects/vocab_generator/__init__.py", "projects/vocab_generator/frontend/"]


@contextmanager
def image_running(env: dict[str, str]) -> Iterator[str]:
    command = image_command(DOCKERFILE)
    assert command[:4] == ["python", "-m", "uvicorn", "projects.vocab_generator.frontend.server:app"]
    assert command[command.index("--port") + 1] == "8501"
    port = free_port()
    process = subprocess.Popen(local_command(command, port), cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True,
                               env={**os.environ, "PYTHONPATH": str(REPO), "HOME": "/tmp", **env})
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(f"{origin}/healthz", process)
        yield origin
    finally:
        stop_process(process, signal.SIGTERM, timeout=20)


@pytest.mark.slow
def test_the_image_command_serves_the_page_and_a_real_healthz():
    with image_running({"LOCAL_MODE": "true"}) as origin:
        health = httpx.get(f"{origin}/healthz", timeout=5)
        assert (health.status_code, health.text) == (200, "ok")
        page = httpx.get(f"{origin}/", timeout=5)
        assert page.status_code == 200 and "<title>Streamlit</title>" in page.text
        # Streamlit's catch-all answers 200 for any path (why /healthz is its own route).
        assert httpx.get(f"{origin}/no-such-page", timeout=5).status_code == 200


@pytest.mark.slow
def test_behind_the_sign_in_a_learner_gets_the_staff_only_page_and_staff_the_app():
    with FakeCognito(client_id=ALB_CLIENT, groups={"sam": ["staff"]}) as pool, AlbKeyServer([AlbKey()]) as keys:
        env = {"ALB_ARN": ALB_ARN, "ALB_PUBLIC_KEY_URL": keys.origin, "COGNITO_ISSUER": pool.issuer,
               "COGNITO_CLIENT_IDS": ALB_CLIENT, "LANG_PORTAL_API_URL": "http://lang-portal-api.app-dw.internal:8000",
               "VOCAB_GENERATOR_BACKEND_URL": "http://vocab-generator-backend.app-dw.internal:8000",
               "LANG_PORTAL_API_KEY": "vocab-generator-service-key-0123"}
        [key] = keys.keys.values()
        signer = AlbSigner(key, client_id=ALB_CLIENT, issuer=pool.issuer)

        def signed_in(username: str) -> dict[str, str]:
            return signer.forwarded_headers(pool.sub_of(username), pool.access_token(username, client_id=ALB_CLIENT),
                                            email=f"{username}@example.com")

        with image_running(env) as origin:
            learner = httpx.get(f"{origin}/", headers={**BROWSER, **signed_in("lee")}, timeout=10)
            assert learner.status_code == 403
            assert "<h1>Staff only</h1>" in learner.text
            assert "you are signed in as lee@example.com, who is not in the staff group" in learner.text
            anonymous = httpx.get(f"{origin}/", headers=BROWSER, timeout=10)
            assert anonymous.status_code == 401 and "Sign-in required" in anonymous.text
            staff = httpx.get(f"{origin}/", headers={**BROWSER, **signed_in("sam")}, timeout=10)
            assert staff.status_code == 200 and "<title>Streamlit</title>" in staff.text
            assert httpx.get(f"{origin}/healthz", timeout=5).status_code == 200  # the target group's: no identity


@pytest.mark.slow
def test_the_image_command_without_its_settings_stops_at_once_naming_them():
    command = local_command(image_command(DOCKERFILE), free_port())
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO), "HOME": "/tmp"})
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr[-2000:]
    assert ("vocab generator UI cannot start: invalid VocabUiSettings configuration: ALB_ARN, COGNITO_ISSUER, "
            "LANG_PORTAL_API_URL are required behind the load balancer's sign-in") in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_healthz_is_503_until_streamlits_runtime_runs(ui_environment, monkeypatch):
    from streamlit.runtime import Runtime

    from projects.vocab_generator.frontend.server import healthz

    monkeypatch.setattr(Runtime, "_instance", None)
    answer = asyncio.run(healthz(None))
    assert (answer.status_code, answer.body) == (503, b"the Streamlit runtime has not started")
