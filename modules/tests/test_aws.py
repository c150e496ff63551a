"""Bedrock, Polly and S3 through botocore's Stubber (and a local HTTP server for real retries)."""
from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler

import pytest
from botocore.stub import ANY, Stubber

from modules.app_metrics import GUARDRAIL_INTERVENTIONS
from modules.aws import (AwsClients, AwsFeatureDisabled, AwsThrottled, Bedrock, GuardrailBlocked, MediaStore,
                         Speech, content_key)
from modules.settings import AppSettings
from modules.tests.support import (GUARDRAIL_USAGE, LocalServer, converse_response, fake_session, send_json, stream,
                                   tool_use_response)
from modules.tests.telemetry import recorded  # noqa: F401

CONFIGURED = dict(aws_region="us-east-1", guardrail_id="gr-123", guardrail_version="2", media_bucket="media-bucket",
                  media_prefix="app/")


@pytest.fixture
def clients() -> AwsClients:
    return AwsClients(AppSettings(**CONFIGURED), session=fake_session())


def test_converse_sends_the_guardrail_and_returns_text(clients):
    with Stubber(clients.get("bedrock-runtime")) as bedrock:
        bedrock.add_response("converse", converse_response("こんにちは"), expected_params={
            "modelId": "anthropic.claude-3-haiku-20240307-v1:0", "system": [{"text": "be brief"}],
            "messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": ANY,
            "guardrailConfig": {"guardrailIdentifier": "gr-123", "guardrailVersion": "2", "trace": "disabled"}})
        assert Bedrock(clients).converse(system="be brief", prompt="hi") == "こんにちは"
        bedrock.assert_no_pending_responses()


def test_guardrail_intervention_raises_and_counts_a_violation(clients, recorded):
    """Counted twice: the platform-wide datum the guardrail alarm watches, and the app metric by service."""
    interventions = sum(recorded.points(GUARDRAIL_INTERVENTIONS.name).values())
    with Stubber(clients.get("bedrock-runtime")) as bedrock, Stubber(clients.get("cloudwatch")) as cloudwatch:
        bedrock.add_response("converse", converse_response("Sorry, I can't help with that.", "guardrail_intervened"))
        cloudwatch.add_response("put_metric_data", {}, expected_params={
            "Namespace": "AppDw/Guardrails",
            "MetricData": [{"MetricName": "GuardrailViolations", "Value": 1.0, "Unit": "Count"}]})
        with pytest.raises(GuardrailBlocked, match="Sorry, I can't help"):
            Bedrock(clients).converse(system="s", prompt="something harmful")
        cloudwatch.assert_no_pending_responses()
    assert sum(recorded.points(GUARDRAIL_INTERVENTIONS.name).values()) == interventions + 1


def test_a_failed_metric_put_still_blocks(clients):
    with Stubber(clients.get("bedrock-runtime")) as bedrock, Stubber(clients.get("cloudwatch")) as cloudwatch:
        bedrock.add_response("converse", converse_response("", "guardrail_intervened"))
        cloudwatch.add_client_error("put_metric_data", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(GuardrailBlocked, match="blocked by the content guardrail"):
            Bedrock(clients).converse(system="s", prompt="p")


def test_throttling_becomes_aws_throttled(clients):
    with Stubber(clients.get("bedrock-runtime")) as bedrock:
        bedrock.add_client_error("converse", service_error_code="ThrottlingException", http_status_code=429)
        with pytest.raises(AwsThrottled, match="Bedrock is rate limiting"):
            Bedrock(clients).converse(system="s", prompt="p")


class ThrottlingServer(LocalServer):
    """Answers every request with Bedrock's throttling error and counts the attempts."""

    def __init__(self) -> None:
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                send_json(self, 429, {"message": "Too many requests"}, **{"x-amzn-ErrorType": "ThrottlingException"})

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)


def test_retries_are_bounded_by_max_attempts(monkeypatch):
    with ThrottlingServer() as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.origin)
        clients = AwsClients(AppSettings(**CONFIGURED, aws_max_attempts=2), session=fake_session())
        with pytest.raises(AwsThrottled):
            Bedrock(clients).converse(system="s", prompt="p")
        assert server.requests == 2


def test_client_config_has_timeouts_and_bounded_retries(clients):
    config = clients.get("polly").meta.config
    assert (config.connect_timeout, config.read_timeout) == (3.0, 30.0)
    assert config.retries == {"total_max_attempts": 3, "mode": "standard"}


def test_polly_uses_a_japanese_neural_voice(clients):
    with Stubber(clients.get("polly")) as polly:
        polly.add_response("synthesize_speech", {"AudioStream": stream(b"mp3"), "ContentType": "audio/mpeg"},
                           expected_params={"Text": "水", "TextType": "text", "OutputFormat": "mp3",
                                            "VoiceId": "Kazuha", "Engine": "neural", "LanguageCode": "ja-JP"})
        assert Speech(clients).synthesize("水") == b"mp3"


def test_image_generation_checks_the_prompt_then_decodes_the_png(clients):
    png = b"\x89PNG fake"
    with Stubber(clients.get("bedrock-runtime")) as bedrock:
        bedrock.add_response("apply_guardrail", {"usage": GUARDRAIL_USAGE, "action": "NONE", "outputs": [],
                                                 "assessments": []},
                             expected_params={"guardrailIdentifier": "gr-123", "guardrailVersion": "2",
                                              "source": "INPUT", "content": [{"text": {"text": "a cat"}}]})
        bedrock.add_response("invoke_model", {"body": stream(json.dumps({"images": [base64.b64encode(png).decode()]})
                                                             .encode()), "contentType": "application/json"},
                             expected_params={"modelId": "amazon.titan-image-generator-v2:0", "body": ANY,
                                              "contentType": "application/json", "accept": "application/json"})
        assert Bedrock(clients).generate_image("a cat") == png


def test_image_prompt_blocked_by_the_guardrail(clients):
    with Stubber(clients.get("bedrock-runtime")) as bedrock, Stubber(clients.get("cloudwatch")) as cloudwatch:
        bedrock.add_response("apply_guardrail", {"usage": GUARDRAIL_USAGE, "action": "GUARDRAIL_INTERVENED",
                                                 "outputs": [{"text": "Blocked."}], "assessments": []})
        cloudwatch.add_response("put_metric_data", {})
        with pytest.raises(GuardrailBlocked, match="Blocked."):
            Bedrock(clients).generate_image("something violent")


def test_media_is_produced_once_and_presigned(clients):
    produced = []
    with Stubber(clients.get("s3")) as s3:
        s3.add_client_error("head_object", service_error_code="404", http_status_code=404)
        s3.add_response("put_object", {}, expected_params={"Bucket": "media-bucket", "Key": "app/a/b.mp3",
                                                            "Body": b"audio", "ContentType": "audio/mpeg"})
        s3.add_response("head_object", {"ContentLength": 5})
        store = MediaStore(clients)
        for _ in range(2):
            url = store.cached_url("a/b.mp3", "audio/mpeg", lambda: produced.append(1) or b"audio")
            assert url.startswith("https://media-bucket.s3.amazonaws.com/app/a/b.mp3?")
            assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Expires=900" in url  # SigV4
        s3.assert_no_pending_responses()
    assert produced == [1]


def test_content_key_depends_on_every_part():
    assert content_key("p", "mp3", "Kazuha", "水") == content_key("p", "mp3", "Kazuha", "水")
    assert content_key("p", "mp3", "Kazuha", "水") != content_key("p", "mp3", "Takumi", "水")


@pytest.mark.parametrize("feature,call,settings", [
    ("text generation", lambda c: Bedrock(c).converse(system="s", prompt="p"),
     ["AWS_DEFAULT_REGION", "GUARDRAIL_ID", "GUARDRAIL_VERSION"]),
    ("speech", lambda c: Speech(c).synthesize("水"), ["AWS_DEFAULT_REGION"]),
    ("media storage", lambda c: MediaStore(c).cached_url("k", "t", bytes), ["AWS_DEFAULT_REGION", "MEDIA_BUCKET"]),
])
def test_local_mode_names_the_settings_that_enable_a_feature(feature, call, settings):
    with pytest.raises(AwsFeatureDisabled) as raised:
        call(AwsClients(AppSettings(), session=fake_session()))
    assert raised.value.settings == settings
    assert str(raised.value) == f"{feature} is not available: set {', '.join(settings)} to enable it"


def test_media_links_go_through_the_cdn_when_one_is_configured():
    clients = AwsClients(AppSettings(**CONFIGURED, media_base_url="https://haiku.app-dw.net/"), session=fake_session())
    assert MediaStore(clients).link("abc/image 1.png") == "https://haiku.app-dw.net/app/abc/image%201.png"


def test_a_media_base_url_must_be_https():
    with pytest.raises(ValueError, match="must be an https:// URL"):
        AppSettings(media_base_url="http://haiku.app-dw.net")


GRADE_SCHEMA = {"type": "object", "properties": {"grade": {"type": "string"}}, "required": ["grade"]}


def test_converse_with_tool_sends_images_and_the_forced_tool_through_the_guardrail(clients):
    content = [{"image": {"format": "png", "source": {"bytes": b"\x89PNG..."}}}, {"text": "grade it"}]
    with Stubber(clients.get("bedrock-runtime")) as bedrock:
        bedrock.add_response("converse", tool_use_response("record_grade", {"grade": "A"}), expected_params={
            "modelId": "anthropic.claude-3-haiku-20240307-v1:0", "system": [{"text": "grader"}],
            "messages": [{"role": "user", "content": content}],
            "inferenceConfig": {"maxTokens": 500, "temperature": 0.0},
            "toolConfig": {"tools": [{"toolSpec": {"name": "record_grade", "description": "the grade",
                                                   "inputSchema": {"json": GRADE_SCHEMA}}}],
                           "toolChoice": {"tool": {"name": "record_grade"}}},
            "guardrailConfig": {"guardrailIdentifier": "gr-123", "guardrailVersion": "2", "trace": "disabled"}})
        bedrock.add_response("converse", converse_response("I would rather chat."))
        ask = dict(system="grader", content=content, tool_name="record_grade", tool_description="the grade",
                   input_schema=GRADE_SCHEMA)
        assert Bedrock(clients).converse_with_tool(**ask) == {"grade": "A"}
        assert Bedrock(clients).converse_with_tool(**ask) is None  # answered in prose: no call to the tool
        bedrock.assert_no_pending_responses()


def test_converse_with_tool_blocked_by_the_guardrail_counts_a_violation(clients):
    with Stubber(clients.get("bedrock-runtime")) as bedrock, Stubber(clients.get("cloudwatch")) as cloudwatch:
        bedrock.add_response("converse", converse_response("Blocked.", "guardrail_intervened"))
        cloudwatch.add_response("put_metric_data", {}, expected_params={"Namespace": "AppDw/Guardrails", "MetricData": ANY})
        with pytest.raises(GuardrailBlocked, match="Blocked."):
            Bedrock(clients).converse_with_tool(system="s", content=[{"text": "t"}], tool_name="t",
                                                tool_description="d", input_schema=GRADE_SCHEMA)
        cloudwatch.assert_no_pending_responses()
