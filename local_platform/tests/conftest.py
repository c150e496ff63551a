"""The journey's fixtures: `make run-apps AWS=1` started once for the session (free ports, its own data directory)
with every AWS service it calls replaced at the HTTP level - boto3's per-service endpoint settings point Bedrock and
Polly at a local fake and S3 at moto - so the apps run their production code and configuration unchanged; one
Chromium; a screenshot of every page a failing step had open, under test-artifacts/journey/."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from local_platform.site import REPO
from local_platform.tests.fake_aws import JourneyAws
from local_platform.tests.processes import Launcher, launcher_environment
from modules.tests.browser import chromium
from toolkit.emulator import Emulator

ARTIFACTS = REPO / "test-artifacts" / "journey"
BUCKET = "app-dw-media"


@dataclass
class Stack:
    """The running stack as stack.json describes it, and the fake that stands in for Bedrock and Polly."""
    sites: dict[str, str]
    services: dict[str, str]
    passwords: dict[str, str]
    aws: JourneyAws

    @property
    def identity(self) -> str:
        return self.services["hosted UI and user pool"]


@pytest.fixture(scope="session")
def journey_aws() -> Iterator[JourneyAws]:
    with JourneyAws() as fake:
        yield fake


@pytest.fixture(scope="session")
def stack(tmp_path_factory, journey_aws: JourneyAws, s3_emulator: Emulator) -> Iterator[Stack]:
    boto3.client("s3", endpoint_url=s3_emulator.url, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
    environment = launcher_environment(
        AWS_DEFAULT_REGION="us-east-1", GUARDRAIL_ID="gr-journey", GUARDRAIL_VERSION="1", MEDIA_BUCKET=BUCKET,
        AWS_ENDPOINT_URL_S3=s3_emulator.url, MEDIA_POLL_SECONDS="1", **journey_aws.environment())
    launcher = Launcher(tmp_path_factory.mktemp("run-apps"), environment, "--aws")
    try:
        described = launcher.wait_ready()
        yield Stack({site["app"]: site["url"] for site in described["sites"]},
                    {service["part"]: service["url"] for service in described["services"]},
                    {user["user"]: user["password"] for user in described["users"]}, journey_aws)
    except BaseException:
        launcher.kill()
        raise
    code, left = launcher.interrupt()
    assert (code, left) == (0, set()), f"run-apps exited {code}, left {left}:\n" + "\n".join(launcher.output[-40:])


@pytest.fixture(scope="module")  # see modules.tests.browser.chromium: only test_journey.py uses it
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def artifacts() -> object:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    return ARTIFACTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.step_failed = report.failed
    return report


@pytest.fixture
def contexts(request, browser, artifacts) -> Iterator[list]:
    """The browser profiles a step opens (one per person); when the step fails, each open page is kept as a
    screenshot named after the step."""
    opened: list = []
    yield opened
    if getattr(request.node, "step_failed", False):
        artifacts.mkdir(parents=True, exist_ok=True)
        step = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)
        for number, page in enumerate(page for context in opened for page in context.pages):
            try:
                page.screenshot(path=str(artifacts / f"{step}-{number}.png"), full_page=True)
            except Exception:  # noqa: BLE001 - a page that cannot be shot must not hide the step's own failure
                pass
    for context in opened:
        context.close()
