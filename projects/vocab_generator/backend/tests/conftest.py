"""The backend through its real routes, Bedrock, Polly and CloudWatch stubbed with botocore's Stubber, and the
model's answers as Converse returns a tool call."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber
from fastapi.testclient import TestClient

from modules.aws import AwsClients
from modules.tests.conftest import clear_app_environment
from modules.tests.support import USAGE, fake_session
from projects.vocab_generator.backend.app import create_app
from projects.vocab_generator.backend.generation import TOOL_NAME
from projects.vocab_generator.backend.settings import VocabBackendSettings

AWS = dict(aws_region="us-east-1", guardrail_id="gr-vocab", guardrail_version="3")
GUARDRAIL = {"guardrailIdentifier": "gr-vocab", "guardrailVersion": "3", "trace": "disabled"}


def word(japanese: str, romaji: str, english: str, type_: str = "noun", formality: str = "neutral") -> dict:
    return {"japanese": japanese, "romaji": romaji, "english": english, "parts": {"type": type_, "formality": formality}}


FOOD = [word("寿司", "sushi", "sushi"), word("お茶", "ocha", "green tea"), word("ご飯", "gohan", "cooked rice"),
        word("食べる", "taberu", "to eat", "verb"), word("美味しい", "oishii", "delicious", "i-adjective")]


def tool_answer(words: list[dict] | object, group_name: str = "Food", tool_use_id: str = "tooluse-1",
                stop_reason: str = "tool_use") -> dict:
    """Converse's answer when the model calls the vocabulary tool with this input."""
    data = {"group_name": group_name, "words": words} if isinstance(words, list) else words
    return {"output": {"message": {"role": "assistant", "content": [
        {"toolUse": {"toolUseId": tool_use_id, "name": TOOL_NAME, "input": data}}]}},
        "stopReason": stop_reason, "usage": USAGE, "metrics": {"latencyMs": 40}}


def settings_for(**values: object) -> VocabBackendSettings:
    return VocabBackendSettings(**{"local_mode": True, "log_level": "WARNING", **AWS, **values})


class Backend:
    """A TestClient of the app with `stub(service)` giving a Stubber on the app's own boto3 client."""

    def __init__(self, settings: VocabBackendSettings) -> None:
        self.app = create_app(settings, aws_clients=AwsClients(settings, session=fake_session()))
        self.client = TestClient(self.app)

    def stub(self, service: str) -> Stubber:
        return Stubber(self.app.state.aws_clients.get(service))


@pytest.fixture(autouse=True)
def _no_backend_environment(monkeypatch):
    clear_app_environment(monkeypatch, VocabBackendSettings)


@pytest.fixture
def backend() -> Iterator[Backend]:
    """A fresh app per test: its AI guard (limits, kept answers) starts empty."""
    made = Backend(settings_for())
    with made.client:
        yield made
