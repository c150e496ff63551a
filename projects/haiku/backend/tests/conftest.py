"""The Haiku API on a real PostgreSQL and on SQLite (every `db_url` test runs on both), with S3 in the session's
moto emulator and Bedrock, Polly and CloudWatch through botocore Stubbers."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from modules.aws import AwsClients
from modules.tests.conftest import clear_app_environment
from modules.tests.databases import AppDatabase, prepared_with
from modules.tests.support import ConcurrentStubber, fake_session
from modules.tests.users import as_user, with_test_users
from projects.haiku.backend.app import create_app
from projects.haiku.backend.migrate import MIGRATIONS
from projects.haiku.backend.settings import HaikuSettings

BUCKET = "app-dw-media"
CDN = "https://haiku.app-dw.test"
AWS = dict(aws_region="us-east-1", guardrail_id="gr-haiku", guardrail_version="1", media_bucket=BUCKET,
           media_prefix="haiku/")


@pytest.fixture(scope="session")
def app_database() -> AppDatabase:
    return AppDatabase("haiku", prepared_with(MIGRATIONS.prepare))


@pytest.fixture(autouse=True)
def _no_app_environment(monkeypatch):
    clear_app_environment(monkeypatch, HaikuSettings)


def settings_for(db_url: str, **overrides: object) -> HaikuSettings:
    """Local mode; fast polls so tests see the worker at once."""
    values = dict(database_url=db_url, migrate_on_startup=False, log_level="WARNING", local_mode=True,
                  media_poll_seconds=0.2, media_lease_seconds=6)
    return HaikuSettings(**(values | overrides))


@pytest.fixture(scope="session")
def build_app():
    """Local mode, no AWS (unless the settings give it): the chat and the media are off."""
    return lambda db_url, **overrides: with_test_users(create_app(settings_for(db_url, **overrides)))


@dataclass
class AwsTestClient:
    """A TestClient of the app with AWS configured: S3 in moto, the other services stubbed."""

    client: TestClient
    app: FastAPI
    s3: object

    def stub(self, service: str) -> ConcurrentStubber:
        return ConcurrentStubber(self.app.state.aws_clients.get(service))

    def media_keys(self, haiku_id: str = "") -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"haiku/{haiku_id}")
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def wait_while_in_progress(self, haiku_id: str, user: str = "alice", timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            haiku = self.client.get(f"/api/haiku/{haiku_id}", headers=as_user(user)).json()
            if haiku["status"] != "in progress":
                return haiku
            time.sleep(0.05)
        raise AssertionError(f"haiku {haiku_id} still in progress after {timeout}s")


@contextmanager
def running_with_aws(db_url: str, s3_emulator, monkeypatch, **settings: object) -> Iterator[AwsTestClient]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_emulator.url)  # boto3's own setting: S3 is the emulator
    configured = settings_for(db_url, **(AWS | settings))
    application = with_test_users(create_app(configured, aws_clients=AwsClients(configured, session=fake_session())))
    s3 = application.state.aws_clients.get("s3")
    s3.create_bucket(Bucket=BUCKET)
    try:
        with TestClient(application) as test_client:
            yield AwsTestClient(test_client, application, s3)
    finally:
        for key in AwsTestClient(None, application, s3).media_keys():
            s3.delete_object(Bucket=BUCKET, Key=key)
        application.state.engine.dispose()


@pytest.fixture
def aws(db_url, s3_emulator, monkeypatch) -> Iterator[AwsTestClient]:
    with running_with_aws(db_url, s3_emulator, monkeypatch) as configured:
        yield configured
