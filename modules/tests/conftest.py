"""Tests see none of the developer's or CI's app configuration (AWS region, Cognito, ...)."""
from __future__ import annotations

import pytest

from modules.settings import AppSettings

ALIASES = ("AWS_REGION", "AWS_DEFAULT_REGION", "ECS_CONTAINER_METADATA_URI_V4")


def clear_app_environment(monkeypatch: pytest.MonkeyPatch, settings_class: type[AppSettings]) -> None:
    for name in [*settings_class.model_fields, *ALIASES]:
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture(autouse=True)
def _no_app_environment(monkeypatch):
    clear_app_environment(monkeypatch, AppSettings)
