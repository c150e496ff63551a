"""What the Streamlit page calls, made once per process: the sign-in check, the backend (as the signed-in user: the
access token the load balancer forwarded, which the backend verifies) and the Lang Portal API (its import, with
the service key). Each failure is turned into the message the page shows (`explain`)."""
from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import re
from dataclasses import dataclass

import httpx

from pydantic import ValidationError

from modules.alb_identity import SignedInUser, SignIn
from modules.service_client import (ServiceAnswerInvalid, ServiceCallFailed, ServiceClient, ServiceRateLimited,
                                    ServiceRefused, ServiceUnavailable, lang_portal_client)
from modules.json_logging import configure_logging
from modules.settings import load_settings
from modules.telemetry import start_telemetry
from projects.vocab_generator.frontend.settings import VocabUiSettings
from projects.vocab_generator.vocabulary import GenerationRequest, VocabularyGroup, problems, validated_group

logger = logging.getLogger(__name__)

VERSION = "1.0.0"
BACKEND = "the Vocab Generator backend"
IMPORT_PATH = "/api/groups/import"
MAX_FILE_BYTES = 1_048_576  # a group of 500 words is about 100 KB


class InvalidModelOutput(ServiceRefused):
    """The backend's 502 for a model answer that stayed invalid after its retry (`problems`: why), which is not
    the backend being unavailable (a proxy's 502)."""

    def __init__(self, detail: str, problems: list[str]) -> None:
        super().__init__(BACKEND, f"{BACKEND} answered 502 ({detail})", 502, detail)
        self.problems = problems


class BackendClient(ServiceClient):
    def _error_answer(self, response: httpx.Response) -> ServiceCallFailed:
        if response.status_code == 502:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("problems"), list):
                return InvalidModelOutput(str(body.get("detail", "")), [str(item) for item in body["problems"]])
        return super()._error_answer(response)


@dataclass(frozen=True)
class Message:
    """What the page shows after an action: `kind` is the Streamlit element (error, warning, success, info)."""
    kind: str
    text: str


class Services:
    def __init__(self, settings: VocabUiSettings) -> None:
        self.settings = settings
        self.sign_in = SignIn.from_settings(settings)
        self.backend = BackendClient(BACKEND, settings.vocab_generator_backend_url,
                                     timeout_seconds=settings.backend_timeout_seconds)
        self.portal = lang_portal_client(settings)
        if settings.api_key is None:
            logger.warning("LANG_PORTAL_API_KEY is not set: groups are sent to the Lang Portal as the signed-in "
                           "user's own, not as shared vocabulary (local mode only)")

    def generate(self, user: SignedInUser, request: GenerationRequest) -> dict:
        return self.backend.as_user(user).post("/api/vocab", json=request.model_dump())

    def check(self, user: SignedInUser, group: VocabularyGroup) -> dict:
        return self.backend.as_user(user).post("/api/vocab/check", json=group.export())

    def audio(self, user: SignedInUser, japanese: str) -> bytes:
        answer = self.backend.as_user(user).post("/api/audio", json={"japanese": japanese})
        try:
            return base64.b64decode(answer["audio_base64"], validate=True)
        except (TypeError, KeyError, binascii.Error):
            raise ServiceAnswerInvalid(BACKEND, f"{BACKEND} answered audio that is not base64 MP3") from None

    def send_to_portal(self, user: SignedInUser, group: VocabularyGroup) -> dict:
        """The Lang Portal's import of the group: shared vocabulary with the service key (the user's own without)."""
        portal = self.portal.with_api_key(self.settings.api_key) if self.settings.api_key else self.portal.as_user(user)
        logger.info("group sent to the Lang Portal", extra={"user": user.sub, "group_name": group.group_name,
                                                            "word_count": len(group.words)})
        return portal.post(IMPORT_PATH, json=group.export())


@functools.cache
def services() -> Services:
    """The process's services (settings from the environment; a bad setting stops the server's start)."""
    settings = load_settings(VocabUiSettings)
    configure_logging(settings.log_level, settings.service_name)
    # Streamlit's own server is not a create_web_app app: its outgoing calls (backend, Lang Portal) are
    # traced and its sign-in refusals counted once telemetry starts here.
    start_telemetry(settings, VERSION)
    return Services(settings)


def group_file(group: VocabularyGroup) -> tuple[str, bytes]:
    """The download of a group: its file name (from the group's name) and the JSON (the schema's fields only, so
    the file imports back here and into the Lang Portal as it is)."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", group.group_name).strip("-").lower() or "vocabulary"
    return f"{name}.json", json.dumps(group.export(), ensure_ascii=False, indent=2).encode()


def read_group_file(name: str, data: bytes) -> tuple[VocabularyGroup | None, list[str]]:
    """The group in an imported file, or every problem with its place in the file."""
    if len(data) > MAX_FILE_BYTES:
        return None, [f"{name} is larger than {MAX_FILE_BYTES // 1024} KB"]
    try:
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [f"{name} is not UTF-8 text"]
    except json.JSONDecodeError as error:
        return None, [f"{name} is not JSON: line {error.lineno}, column {error.colno}: {error.msg}"]
    try:
        return validated_group(parsed), []
    except (ValidationError, ValueError) as error:
        return None, problems(error)


def explain(error: ServiceCallFailed, action: str) -> Message:
    """The message for a failed call to the backend or the Lang Portal while doing `action` ("generate", ...)."""
    said = _sentence(str(error))
    if isinstance(error, ServiceRateLimited):
        wait = f"in {error.retry_after_seconds} seconds" if error.retry_after_seconds else "shortly"
        return Message("warning", f"Rate limited ({_sentence(error.detail) or said}). You can {action} again {wait}; "
                                  "nothing you typed is lost.")
    if isinstance(error, ServiceUnavailable):
        name = "The Vocab Generator backend" if error.service == BACKEND else "The Lang Portal"
        return Message("error", f"{name} is unavailable ({said}). Nothing you typed is lost: try again shortly.")
    if isinstance(error, InvalidModelOutput):
        return Message("error", "The model's answer was not valid vocabulary, even after a retry: "
                                f"{'; '.join(error.problems[:5])}. Try again, or word the topic differently.")
    if isinstance(error, ServiceRefused) and error.service == BACKEND:
        if error.status == 422 and action == "generate":
            return Message("error", f"The topic was refused: {_sentence(error.detail)}. Try another topic.")
        if error.status == 401:
            return Message("error", "Your sign-in has expired: reload the page to sign in again.")
    return Message("error", f"Could not {action}: {said}.")


def _sentence(text: str) -> str:
    return text.rstrip(".")
