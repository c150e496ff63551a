"""Tests see none of the developer's or CI's app configuration (AWS region, Cognito, ...)."""
from __future__ import annotations

import pytest

from modules.settings import AppSettings, SettingsError, load_settings

ALIASES = ("AWS_REGION", "AWS_DEFAULT_REGION", "ECS_CONTAINER_METADATA_URI_V4")


def clear_app_environment(monkeypatch: pytest.MonkeyPatch, settings_class: type[AppSettings]) -> None:
    for name in [*settings_class.model_fields, *ALIASES]:
        monkeypatch.delenv(name.upper(), raising=False)


def settings_error(monkeypatch: pytest.MonkeyPatch, settings_class: type[AppSettings], env: dict[str, str]) -> str:
    """The startup error of `settings_class` in the environment `env` (which must refuse to start)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(settings_class)
    return str(raised.value)


@pytest.fixture(autouse=True)
def _no_app_environment(monkeypatch):
    clear_app_environment(monkeypatch, AppSettings)
