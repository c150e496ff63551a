from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from modules.settings import AppSettings, SettingsError, load_settings
from modules.tests.conftest import settings_error

PLATFORM = tomllib.loads((Path(__file__).parents[2] / "platform.toml").read_text())


def test_defaults_are_not_local_mode():
    """Unauthenticated running must be asked for (LOCAL_MODE=true); without it and without an issuer the
    web app refuses to start (test_auth.py). Tools that need no callers (the seed) still load the settings."""
    settings = load_settings(AppSettings)
    assert not settings.local_mode and settings.jwks_url is None


def test_local_mode_is_asked_for_with_local_mode_true(monkeypatch):
    monkeypatch.setenv("LOCAL_MODE", "true")
    assert load_settings(AppSettings).local_mode


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
    ({"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/x", "LOCAL_MODE": "true"},
     "LOCAL_MODE=true is refused on ECS"),
    ({"LOCAL_MODE": "true", "COGNITO_ISSUER": "https://issuer.example", "COGNITO_CLIENT_IDS": "a"},
     "LOCAL_MODE=true and COGNITO_ISSUER contradict each other"),
    ({"LOCAL_USER": "service:api-key"}, "LOCAL_USER: String should match pattern"),
])
def test_startup_errors_name_the_variable(monkeypatch, env, message):
    error = settings_error(monkeypatch, AppSettings, env)
    assert message in error
    assert error.startswith("invalid AppSettings configuration: ")


def test_region_comes_from_aws_default_region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert load_settings(AppSettings).aws_region == "us-east-1"


def test_defaults_agree_with_the_platform_definition():
    settings = AppSettings()
    assert settings.guardrail_metric_namespace == PLATFORM["monitoring"]["guardrail_metric_namespace"]
    assert settings.guardrail_metric_name == PLATFORM["monitoring"]["guardrail_metric_name"]
    assert settings.bedrock_text_model_id in PLATFORM["ai"]["text_model_ids"]
    assert settings.bedrock_image_model_id in PLATFORM["ai"]["image_model_ids"]


@pytest.mark.parametrize("url,problem", [
    ("http://127.0.0.1@evil.example/jwks.json", "must not contain a user name or password"),
    ("http://127.0.0.1.evil.example/jwks.json", "must be an https:// URL (http:// is accepted only for a loopback"),
    ("http://localhost/jwks.json", "must be an https:// URL (http:// is accepted only for a loopback"),
    ("http://10.0.0.1/jwks.json", "must be an https:// URL (http:// is accepted only for a loopback"),
    ("https://user:secret@cognito-idp.example/jwks.json", "must not contain a user name or password"),
    ("https:///jwks.json", "must name a host"),
    ("http://127.0.0.1:99999/jwks.json", "must be a valid URL"),
    ("ftp://127.0.0.1/jwks.json", "must be an https:// URL"),
    ("https://cognito idp.example/", "must not contain spaces or control characters"),
    ("127.0.0.1/jwks.json", "must name a host"),
])
def test_urls_are_parsed_not_prefix_matched(monkeypatch, url, problem):
    monkeypatch.setenv("COGNITO_JWKS_URL", url)
    with pytest.raises(SettingsError) as raised:
        load_settings(AppSettings)
    assert f"COGNITO_JWKS_URL: Value error, {problem}" in str(raised.value)


@pytest.mark.parametrize("url", ["https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool/.well-known/jwks.json",
                                 "http://127.0.0.1:8080/jwks.json", "http://127.9.9.9/jwks.json",
                                 "http://[::1]:8080/jwks.json"])
def test_https_and_loopback_http_urls_are_accepted(monkeypatch, url):
    monkeypatch.setenv("COGNITO_JWKS_URL", url)
    assert load_settings(AppSettings).cognito_jwks_url == url
