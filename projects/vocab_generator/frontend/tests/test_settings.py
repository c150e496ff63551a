"""The UI's own settings: outside local mode its backend and the service key must be given; a bad value is named."""
from __future__ import annotations

import pytest

from modules.tests.alb import ALB_ARN
from modules.tests.conftest import clear_app_environment, settings_error
from projects.vocab_generator.frontend.settings import VocabUiSettings

BEHIND_THE_ALB = {"ALB_ARN": ALB_ARN, "COGNITO_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool",
                  "COGNITO_CLIENT_IDS": "vocab-alb-client", "LANG_PORTAL_API_URL": "http://lang-portal-api.internal:8000"}


@pytest.fixture(autouse=True)
def _no_ui_environment(monkeypatch):
    clear_app_environment(monkeypatch, VocabUiSettings)


def test_outside_local_mode_the_backend_and_the_key_are_required(monkeypatch):
    assert settings_error(monkeypatch, VocabUiSettings, BEHIND_THE_ALB) == (
        "invalid VocabUiSettings configuration: VOCAB_GENERATOR_BACKEND_URL, LANG_PORTAL_API_KEY are required "
        "outside local mode")


@pytest.mark.parametrize(("variable", "value", "problem"), [
    ("LANG_PORTAL_API_KEY", "too-short", "LANG_PORTAL_API_KEY: Value error, must be at least 16 characters"),
    ("VOCAB_GENERATOR_BACKEND_URL", "ftp://backend", "must be an http:// or https:// URL"),
    ("VOCAB_GENERATOR_BACKEND_URL", "http://user:pw@backend", "must not contain a user name or password"),
])
def test_a_bad_value_is_named(monkeypatch, variable, value, problem):
    assert problem in settings_error(monkeypatch, VocabUiSettings, {"LOCAL_MODE": "true", variable: value})


def test_the_ui_starts_telemetry_with_its_own_settings(monkeypatch):
    from projects.vocab_generator.frontend import services as services_module

    started = []
    monkeypatch.setattr(services_module, "start_telemetry", lambda settings, version: started.append(settings))
    for name, value in {"LOCAL_MODE": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}.items():
        monkeypatch.setenv(name, value)
    services_module.services.cache_clear()
    try:
        services_module.services()
    finally:
        services_module.services.cache_clear()
    assert [s.otel_exporter_otlp_endpoint for s in started] == ["http://127.0.0.1:4318"]
