from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from modules.settings import AppSettings, SettingsError, load_settings

PLATFORM = tomllib.loads((Path(__file__).parents[2] / "platform.toml").read_text())


def test_defaults_are_local_mode():
    settings = load_settings(AppSettings)
    assert settings.local_mode and settings.jwks_url is None


def test_client_ids_are_comma_separated(monkeypatch):
    monkeypatch.setenv("COGNITO_ISSUER", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool/")
    monkeypatch.setenv("COGNITO_CLIENT_IDS", "a, b,,c")
    settings = load_settings(AppSettings)
    assert settings.cognito_client_ids == ("a", "b", "c")
    assert settings.jwks_url == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool/.well-known/jwks.json"


@pytest.mark.parametrize("env,message", [
    ({"JWKS_CACHE_SECONDS": "ten"}, "JWKS_CACHE_SECONDS: Input should be a valid integer"),
    ({"POLLY_VOICE_ID": "Joanna"}, "POLLY_VOICE_ID: Input should be 'Kazuha' or 'Takumi'"),
    ({"COGNITO_ISSUER": "http://evil.example"}, "COGNITO_ISSUER: Value error, must be an https:// URL"),
    ({"COGNITO_ISSUER": "https://issuer.example"}, "COGNITO_CLIENT_IDS is required when COGNITO_ISSUER is set"),
    ({"GUARDRAIL_ID": "gr-1"}, "GUARDRAIL_ID and GUARDRAIL_VERSION must be set together"),
    ({"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/x"}, "COGNITO_ISSUER is required when running on ECS"),
])
def test_startup_errors_name_the_variable(monkeypatch, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(AppSettings)
    assert message in str(raised.value)
    assert str(raised.value).startswith("invalid AppSettings configuration: ")


def test_region_comes_from_aws_default_region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert load_settings(AppSettings).aws_region == "us-east-1"


def test_defaults_agree_with_the_platform_definition():
    settings = AppSettings()
    assert settings.guardrail_metric_namespace == PLATFORM["monitoring"]["guardrail_metric_namespace"]
    assert settings.guardrail_metric_name == PLATFORM["monitoring"]["guardrail_metric_name"]
    assert settings.bedrock_text_model_id in PLATFORM["ai"]["text_model_ids"]
    assert settings.bedrock_image_model_id in PLATFORM["ai"]["image_model_ids"]
