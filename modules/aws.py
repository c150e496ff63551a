"""AWS access shared by the apps: Bedrock text and structured answers (always behind the platform guardrail;
one answer or a stream of it), Bedrock images, Polly speech and S3 media. Every client has connect/read
timeouts and bounded retries.

Failures become typed errors (modules.errors turns them into JSON answers):
AwsFeatureDisabled (local mode, 503), GuardrailBlocked (422, and one count in the guardrail
metric the monitoring workspace alarms on), AwsThrottled (429), AwsUnavailable (503).

The FastAPI dependencies over an app's clients (`app.state.aws_clients`) live here too, not beside the database
ones (modules.database): an app without a database (the Vocab Generator's backend) has no psycopg to import.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from fastapi import Depends, Request

from modules.settings import AppSettings
from modules.telemetry import record_guardrail_intervention

logger = logging.getLogger(__name__)

THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                              "ServiceQuotaExceededException", "SlowDown", "RequestLimitExceeded"})
POLLY_ENGINE = "neural"
POLLY_LANGUAGE = "ja-JP"


class AwsFeatureDisabled(Exception):
    def __init__(self, feature: str, settings: list[str]) -> None:
        self.feature = feature
        self.settings = settings
        super().__init__(f"{feature} is not available: set {', '.join(settings)} to enable it")


class GuardrailBlocked(Exception):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "the request was blocked by the content guardrail")


class AwsThrottled(Exception):
    def __init__(self, service: str) -> None:
        self.service = service
        super().__init__(f"{service} is rate limiting requests; try again in a few seconds")


class AwsUnavailable(Exception):
    def __init__(self, service: str, reason: str) -> None:
        self.service = service
        super().__init__(f"{service} failed: {reason}")


def client_config(settings: AppSettings) -> Config:
    return Config(region_name=settings.aws_region,
                  connect_timeout=settings.aws_connect_timeout_seconds,
                  read_timeout=settings.aws_read_timeout_seconds,
                  retries={"total_max_attempts": settings.aws_max_attempts, "mode": "standard"})


class AwsClients:
    """One boto3 client per service, created on first use with `client_config`."""

    def __init__(self, settings: AppSettings, session: boto3.Session | None = None) -> None:
        self.settings = settings
        self._session = session or boto3.Session()
        self._clients: dict[str, BaseClient] = {}
        self._lock = threading.Lock()

    def get(self, service: str) -> BaseClient:
        with self._lock:
            if service not in self._clients:
                config = client_config(self.settings)
                if service == "s3":  # presigned URLs signed with SigV4: buckets made since 2020 refuse SigV2
                    config = config.merge(Config(signature_version="s3v4"))
                self._clients[service] = self._session.client(service, config=config)
            return self._clients[service]


def unset_settings(**values: object) -> list[str]:
    """The environment variables among `values` (setting name: its value) that are unset."""
    return ["AWS_DEFAULT_REGION" if name == "aws_region" else name.upper() for name, value in values.items()
            if not value]


def require(settings: AppSettings, feature: str, **values: object) -> None:
    """Raise AwsFeatureDisabled naming the environment variables still unset for `feature`."""
    missing = unset_settings(**values)
    if missing:
        raise AwsFeatureDisabled(feature, missing)


class Features:
    """An app's optional AWS-backed features, each with its name in messages and the settings it needs (those of
    every helper it uses): {"word_audio": ("word audio", lambda clients: Speech(clients).needs() | ...)}."""

    def __init__(self, features: dict[str, tuple[str, Callable[["AwsClients"], dict[str, object]]]]) -> None:
        self.features = features

    def missing_settings(self, clients: AwsClients) -> dict[str, list[str]]:
        """Each feature with the environment variables it still needs (empty: available)."""
        return {feature: unset_settings(**needs(clients)) for feature, (_, needs) in self.features.items()}

    def require(self, clients: AwsClients, feature: str) -> None:
        """AwsFeatureDisabled (503 naming the settings) for a feature this deployment is not configured for."""
        missing = self.missing_settings(clients)[feature]
        if missing:
            raise AwsFeatureDisabled(self.features[feature][0], missing)

    def available(self, clients: AwsClients) -> dict[str, bool]:
        """For users: which features can be used here, naming no settings."""
        return {feature: not missing for feature, missing in self.missing_settings(clients).items()}

    def report(self, clients: AwsClients) -> dict[str, str]:
        """For operators (health answer, startup log): "available", or which settings turn a feature on."""
        return {feature: f"off: set {', '.join(missing)}" if missing else "available"
                for feature, missing in self.missing_settings(clients).items()}

    def log_unavailable(self, clients: AwsClients) -> None:
        """One WARNING per feature that is off, naming what turns it on (users are told only that it is off)."""
        for feature, state in self.report(clients).items():
            if state != "available":
                logger.warning("feature unavailable", extra={"feature": feature, "state": state})


@contextmanager
def calling(service: str) -> Iterator[None]:
    """Translate botocore failures (after its own bounded retries) into the typed errors above."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code in THROTTLING_CODES:
            raise AwsThrottled(service) from error
        raise AwsUnavailable(service, code) from error
    except BotoCoreError as error:
        raise AwsUnavailable(service, type(error).__name__) from error


def content_key(prefix: str, extension: str, *parts: str) -> str:
    """An S3 key derived from the content that produces the object, so equal inputs share one object."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{prefix}/{digest}.{extension}"


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "user" or "assistant"
    text: str


class TextStream:
    """The text of a streamed answer, piece by piece as the model writes it. Iterating it raises
    GuardrailBlocked (after counting it) when the guardrail intervened, and the typed errors for a failure
    the stream reports midway. `stop_reason` is known once it is exhausted."""

    def __init__(self, events: Iterator[dict], blocked: Callable[[str], None]) -> None:
        self._events = events
        self._blocked = blocked
        self.stop_reason: str | None = None

    def __iter__(self) -> Iterator[str]:
        written = []
        with calling("Bedrock"):
            for event in self._events:
                text = event.get("contentBlockDelta", {}).get("delta", {}).get("text")
                if text:
                    written.append(text)
                    yield text
                if "messageStop" in event:
                    self.stop_reason = event["messageStop"].get("stopReason")
        if self.stop_reason == "guardrail_intervened":
            self._blocked("".join(written))


def tool_spec(name: str, description: str, input_schema: dict) -> dict:
    """A Converse tool whose arguments follow `input_schema` (JSON schema)."""
    return {"toolSpec": {"name": name, "description": description, "inputSchema": {"json": input_schema}}}


@dataclass(frozen=True)
class ToolAnswer:
    """The model's turn in a conversation with a tool: `message` (role, content blocks) goes back into the
    conversation as it is; `stop_reason` is Converse's (`tool_use`, `max_tokens`: cut off, ...)."""

    message: dict
    stop_reason: str

    def tool_input(self, name: str) -> tuple[str, object] | None:
        """(toolUseId, input) of the model's call of tool `name`, or None when it made none."""
        for block in self.message.get("content", ()):
            use = block.get("toolUse")
            if use and use.get("name") == name:
                return use.get("toolUseId", ""), use.get("input")
        return None


class Bedrock:
    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients
        self.settings = clients.settings

    def converse(self, *, system: str, prompt: str, max_tokens: int = 400, temperature: float = 0.7) -> str:
        """One user turn through the guardrail; the model's text answer."""
        self._require("text generation")
        with calling("Bedrock"):
            response = self.clients.get("bedrock-runtime").converse(
                modelId=self.settings.bedrock_text_model_id,
                system=[{"text": system}],
                messages=[{"role": "user", "content": [{"text": prompt}]}],
                inferenceConfig={"maxTokens": max_tokens, "temperature": temperature},
                guardrailConfig=self._guardrail_config())
        text = "".join(block.get("text", "") for block in response["output"]["message"]["content"])
        if response.get("stopReason") == "guardrail_intervened":
            self._blocked(text)
        return text

    def converse_stream(self, *, system: str, messages: Sequence[ChatMessage], max_tokens: int = 400,
                        temperature: float = 0.7) -> TextStream:
        """A conversation (alternating turns, the user's first and last) through the guardrail, answered as a
        stream. The call is made here, so a refusal (throttling, access) raises before any text is read. The
        guardrail checks the answer before each piece is sent (sync mode): no unchecked text reaches anyone."""
        self._require("chat")
        config = {**self._guardrail_config(), "streamProcessingMode": "sync"}
        with calling("Bedrock"):
            response = self.clients.get("bedrock-runtime").converse_stream(
                modelId=self.settings.bedrock_text_model_id,
                system=[{"text": system}],
                messages=[{"role": message.role, "content": [{"text": message.text}]} for message in messages],
                inferenceConfig={"maxTokens": max_tokens, "temperature": temperature},
                guardrailConfig=config)
        return TextStream(iter(response["stream"]), self._blocked)

    def converse_with_tool(self, *, system: str, content: list[dict], tool_name: str, tool_description: str,
                           input_schema: dict, max_tokens: int = 500, temperature: float = 0.0) -> object:
        """One user turn (`content`: Converse blocks, text and images) through the guardrail, the model made to
        answer by calling `tool_name` with arguments following `input_schema` (JSON schema): those arguments,
        unchecked (the caller validates them), or None when the model answered without the call."""
        answer = self.tool_turn(system=system, messages=[{"role": "user", "content": content}],
                                tool=tool_spec(tool_name, tool_description, input_schema), max_tokens=max_tokens,
                                temperature=temperature)
        called = answer.tool_input(tool_name)
        return called[1] if called else None

    def tool_turn(self, *, system: str, messages: Sequence[dict], tool: dict, max_tokens: int = 500,
                  temperature: float = 0.0) -> ToolAnswer:
        """The model's next turn in a conversation (Converse `messages`, the user's last) through the guardrail, in
        which it must answer by calling `tool` (`tool_spec`): structured output rather than prose to parse. The
        answer's message goes back into `messages` as it is when the conversation continues (a retry told what
        was wrong, as the tool's error result)."""
        self._require("text generation")
        with calling("Bedrock"):
            response = self.clients.get("bedrock-runtime").converse(
                modelId=self.settings.bedrock_text_model_id,
                system=[{"text": system}],
                messages=list(messages),
                inferenceConfig={"maxTokens": max_tokens, "temperature": temperature},
                toolConfig={"tools": [tool], "toolChoice": {"tool": {"name": tool["toolSpec"]["name"]}}},
                guardrailConfig=self._guardrail_config())
        message = response["output"]["message"]
        if response.get("stopReason") == "guardrail_intervened":
            self._blocked("".join(block.get("text", "") for block in message["content"]))
        return ToolAnswer(message, response.get("stopReason", ""))

    def generate_image(self, prompt: str, *, width: int = 512, height: int = 512) -> bytes:
        """A PNG from the image model; the prompt passes the guardrail first (image models take no guardrailConfig)."""
        self._require("image generation")
        with calling("Bedrock guardrail"):
            verdict = self.clients.get("bedrock-runtime").apply_guardrail(
                guardrailIdentifier=self.settings.guardrail_id, guardrailVersion=self.settings.guardrail_version,
                source="INPUT", content=[{"text": {"text": prompt}}])
        if verdict.get("action") == "GUARDRAIL_INTERVENED":
            self._blocked(" ".join(output.get("text", "") for output in verdict.get("outputs", [])))
        request = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": prompt},
                   "imageGenerationConfig": {"numberOfImages": 1, "width": width, "height": height,
                                             "quality": "standard", "cfgScale": 8.0}}
        with calling("Bedrock image model"):
            response = self.clients.get("bedrock-runtime").invoke_model(
                modelId=self.settings.bedrock_image_model_id, body=json.dumps(request),
                contentType="application/json", accept="application/json")
            result = json.loads(response["body"].read())
        if result.get("error") or not result.get("images"):
            raise AwsUnavailable("Bedrock image model", str(result.get("error") or "no image returned"))
        return base64.b64decode(result["images"][0])

    def needs(self) -> dict[str, object]:
        """The settings every Bedrock call needs (text and images: both pass the guardrail)."""
        return {"aws_region": self.settings.aws_region, "guardrail_id": self.settings.guardrail_id,
                "guardrail_version": self.settings.guardrail_version}

    def _require(self, feature: str) -> None:
        require(self.settings, feature, **self.needs())

    def _guardrail_config(self) -> dict[str, str]:
        return {"guardrailIdentifier": self.settings.guardrail_id, "guardrailVersion": self.settings.guardrail_version,
                "trace": "disabled"}

    def _blocked(self, guardrail_message: str) -> None:
        logger.warning("guardrail intervened", extra={"guardrail_id": self.settings.guardrail_id})
        record_guardrail_intervention()  # by service, beside the platform-wide count the alarm watches
        try:
            self.clients.get("cloudwatch").put_metric_data(
                Namespace=self.settings.guardrail_metric_namespace,
                MetricData=[{"MetricName": self.settings.guardrail_metric_name, "Value": 1.0, "Unit": "Count"}])
        except (ClientError, BotoCoreError) as error:  # the learner still gets the 422; the miss is logged
            logger.error("guardrail metric not recorded", extra={"error": repr(error)})
        raise GuardrailBlocked(guardrail_message.strip() or None)


class Speech:
    """Japanese speech from Polly's neural voices (Kazuha or Takumi)."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients
        self.settings = clients.settings

    @property
    def voice_id(self) -> str:
        return self.settings.polly_voice_id

    def needs(self) -> dict[str, object]:
        return {"aws_region": self.settings.aws_region}

    def synthesize(self, text: str) -> bytes:
        require(self.settings, "speech", **self.needs())
        with calling("Polly"):
            response = self.clients.get("polly").synthesize_speech(
                Text=text, TextType="text", OutputFormat="mp3", VoiceId=self.voice_id,
                Engine=POLLY_ENGINE, LanguageCode=POLLY_LANGUAGE)
            return response["AudioStream"].read()


class MediaStore:
    """Objects in the media bucket under MEDIA_PREFIX, handed out through the CDN (MEDIA_BASE_URL, where the
    site's CloudFront serves the bucket's prefix) or as short-lived presigned GET URLs."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients
        self.settings = clients.settings

    def needs(self) -> dict[str, object]:
        return {"aws_region": self.settings.aws_region, "media_bucket": self.settings.media_bucket}

    def require(self, feature: str) -> None:
        require(self.settings, feature, **self.needs())

    def missing_settings(self) -> list[str]:
        return unset_settings(**self.needs())

    def cached_url(self, key: str, content_type: str, produce: Callable[[], bytes]) -> str:
        """The link to `key` (under MEDIA_PREFIX), producing and storing the object first when it is not there yet."""
        self.require("media storage")
        full_key = self.settings.media_prefix + key
        s3 = self.clients.get("s3")
        with calling("S3"):
            try:
                s3.head_object(Bucket=self.settings.media_bucket, Key=full_key)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                    raise
                body = produce()
                s3.put_object(Bucket=self.settings.media_bucket, Key=full_key, Body=body, ContentType=content_type)
        return self.link(key)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        """Store `key` (under MEDIA_PREFIX)."""
        self.require("media storage")
        with calling("S3"):
            self.clients.get("s3").put_object(Bucket=self.settings.media_bucket, Key=self.settings.media_prefix + key,
                                              Body=body, ContentType=content_type)

    def delete_folder(self, folder: str) -> int:
        """Delete every object under `folder` (under MEDIA_PREFIX; "haiku-id/" say); how many there were."""
        self.require("media storage")
        s3 = self.clients.get("s3")
        deleted = 0
        with calling("S3"):
            for page in s3.get_paginator("list_objects_v2").paginate(
                    Bucket=self.settings.media_bucket, Prefix=self.settings.media_prefix + folder):
                keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
                if keys:
                    result = s3.delete_objects(Bucket=self.settings.media_bucket,
                                               Delete={"Objects": keys, "Quiet": True})
                    if result.get("Errors"):
                        raise AwsUnavailable("S3", f"{len(result['Errors'])} objects were not deleted")
                    deleted += len(keys)
        return deleted

    def link(self, key: str) -> str:
        """Where a browser fetches `key`: through MEDIA_BASE_URL when set (no signature, cacheable), else a
        presigned URL valid MEDIA_URL_SECONDS."""
        full_key = self.settings.media_prefix + key
        if self.settings.media_base_url:
            return f"{self.settings.media_base_url}/{quote(full_key)}"
        return self.clients.get("s3").generate_presigned_url(
            "get_object", Params={"Bucket": self.settings.media_bucket, "Key": full_key},
            ExpiresIn=self.settings.media_url_seconds)


# Coroutines although they do no I/O: FastAPI runs a plain function dependency on a worker thread, and the hop
# there and back costs a request more than making the helper.
async def get_bedrock(request: Request) -> Bedrock:
    return Bedrock(request.app.state.aws_clients)


async def get_speech(request: Request) -> Speech:
    return Speech(request.app.state.aws_clients)


async def get_media(request: Request) -> MediaStore:
    return MediaStore(request.app.state.aws_clients)


BedrockDep = Annotated[Bedrock, Depends(get_bedrock)]
SpeechDep = Annotated[Speech, Depends(get_speech)]
MediaDep = Annotated[MediaStore, Depends(get_media)]
