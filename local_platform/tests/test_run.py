"""`make run-apps` as a person runs it (no --aws): every app up behind the stand-ins, the table printed, the
portal's study activities pointing at the local apps, AWS settings of the environment kept from the apps, and
Ctrl-C leaving no process behind and no traceback in any app's log."""
from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from local_platform.run import Ports, Stack, StartFailed
from local_platform.site import REPO
from local_platform.tests.flows import spa_tokens
from local_platform.tests.processes import Launcher, launcher_environment

pytestmark = pytest.mark.slow  # four apps and the stand-ins, about 20 s


def listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) == 0


def test_run_apps_prints_the_table_serves_every_app_and_ctrl_c_leaves_nothing(tmp_path):
    # AWS settings in the environment must not reach the apps without --aws.
    launcher = Launcher(tmp_path, launcher_environment(AWS_DEFAULT_REGION="us-east-1", GUARDRAIL_ID="gr-1",
                                                   GUARDRAIL_VERSION="1"))
    try:
        stack = launcher.wait_ready()
        sites = {site["app"]: site["url"] for site in stack["sites"]}
        assert set(sites) == {"Lang Portal", "Haiku Generator", "Writing Practice", "Vocab Generator"}
        printed = "\n".join(launcher.output)
        for app, url in sites.items():
            assert any(app in line and url in line for line in launcher.output), printed
        users = {user["user"]: user for user in stack["users"]}
        assert {name: user["groups"] for name, user in users.items()} == {"ana": "-", "ben": "-", "sam": "staff"}
        assert users["ana"]["password"] in printed

        services = {service["part"]: service["url"] for service in stack["services"]}
        identity, portal_api = services["hosted UI and user pool"], services["Lang Portal API"]
        with httpx.Client(timeout=10) as browser:
            tokens = spa_tokens(browser, identity, "local-lang-portal-spa", f"{sites['Lang Portal']}/auth/callback",
                                "ana", users["ana"]["password"])
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            activities = browser.get(f"{sites['Lang Portal']}/api/study_activities", headers=bearer).json()["items"]
            assert {a["name"]: a["url"] for a in activities} == {
                "Writing Practice": sites["Writing Practice"], "Haiku Generator": sites["Haiku Generator"]}
            features = browser.get(f"{portal_api}/api/capabilities", headers=bearer).json()["features"]
            assert features and not any(features.values()), features  # no AWS: every AI feature unavailable
            # The UI apps answer only through the load balancer's sign-in.
            assert browser.get(sites["Vocab Generator"]).status_code == 302
            assert browser.get(services["Writing Practice (behind the sign-in)"] + "/").status_code == 401
        assert "not configured" in printed
    except BaseException:
        launcher.kill()
        raise
    code, left = launcher.interrupt()
    assert code == 0, "\n".join(launcher.output[-40:])
    assert left == set(), f"processes left after Ctrl-C: {left}"
    stopped_badly = {log.name: log.read_text(errors="replace")[-3000:] for log in (tmp_path / "logs").glob("*.log")
                     if "Traceback" in log.read_text(errors="replace")}
    assert stopped_badly == {}, stopped_badly
    assert [url for url in [*sites.values(), *services.values()] if listening(url)] == []


def test_aws_without_its_settings_and_a_taken_port_are_refused_by_name(tmp_path):
    refused = subprocess.run([sys.executable, "-m", "local_platform.run", "--aws", "--free-ports", "--data-dir",
                              str(tmp_path)], cwd=REPO, env=launcher_environment(AWS_DEFAULT_REGION="us-east-1"),
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "--aws needs GUARDRAIL_ID, GUARDRAIL_VERSION in the environment" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = Stack(Ports(**{**Ports.free().__dict__, "identity": port}), tmp_path, progress=lambda _: None)
        taken_message = rf"the hosted UI cannot listen on 127.0.0.1:{port}: Address already in use"
        with pytest.raises(StartFailed, match=taken_message):
            stack.start()
