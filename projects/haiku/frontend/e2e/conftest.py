"""Browser fixtures for the Haiku SPA: the built SPA and the real Haiku API (local mode, SQLite) behind one
static + proxy origin, with S3 in the session's moto emulator and Bedrock and Polly on a local fake
(fake_aws.py) reached through boto3's own endpoint settings; Debian's Chromium through Playwright."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from modules.tests.accessibility import VIEWPORTS, AccessibilityAudit
from modules.tests.browser import ConsoleErrors, built_spa, chromium, serving_site, settled
from modules.tests.support import REPO, running_api
from projects.haiku.backend.tests.fake_aws import FakeAws, Latencies

FRONTEND = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "haiku"
BUCKET = "app-dw-media"


@pytest.fixture(scope="session")
def fake_aws() -> Iterator[FakeAws]:
    # The chat's answer arrives in pieces over a second, so the page shows it being written.
    with FakeAws(Latencies(first_chunk_seconds=0.3, chat_seconds=1.0, image_seconds=0.3)) as fake:
        yield fake


@pytest.fixture(scope="session")
def api_origin(tmp_path_factory, fake_aws: FakeAws, s3_emulator) -> Iterator[str]:
    """The API as `make run-haiku` runs it (local mode), configured for AWS: every call goes to a local stand-in."""
    s3 = boto3.client("s3", endpoint_url=s3_emulator.url, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket=BUCKET)
    database = tmp_path_factory.mktemp("haiku-api") / "haiku.sqlite3"
    settings = {"LOCAL_MODE": "true", "DATABASE_URL": f"sqlite:///{database}", "AWS_DEFAULT_REGION": "us-east-1",
                "GUARDRAIL_ID": "gr-haiku", "GUARDRAIL_VERSION": "1", "MEDIA_BUCKET": BUCKET, "MEDIA_PREFIX": "haiku/",
                "AWS_ENDPOINT_URL_S3": s3_emulator.url, "MEDIA_POLL_SECONDS": "1", **fake_aws.environment()}
    with running_api("projects.haiku.backend.main:app", tmp_path_factory.getbasetemp() / "haiku-api.log",
                     settings) as origin:
        yield origin


@pytest.fixture(scope="session")
def site_url(api_origin: str) -> Iterator[str]:
    with serving_site(built_spa(FRONTEND), api_origin) as url:
        yield url


@pytest.fixture(scope="module")  # see modules.tests.browser.chromium
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def accessibility() -> AccessibilityAudit:
    return AccessibilityAudit(settle=settled)


@pytest.fixture
def console_errors() -> ConsoleErrors:
    """What the test's pages log as errors; a test names those it causes on purpose (`expect`)."""
    return ConsoleErrors()


@pytest.fixture
def page(browser, site_url: str, accessibility: AccessibilityAudit, console_errors: ConsoleErrors):
    """A fresh profile on the site; its pages must log no console error, and every address they showed is
    audited for accessibility afterwards (both colour schemes, desktop and phone)."""
    context = browser.new_context(base_url=site_url, viewport=VIEWPORTS["desktop"])
    context.on("page", console_errors.watch)
    context.on("page", lambda opened: accessibility.watch(opened, site_url))
    yield context.new_page()
    context.close()
    assert console_errors.unexpected() == [], "the browser console logged errors"
    accessibility.check_visited(browser)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
