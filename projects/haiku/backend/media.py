"""The media of one haiku: each line translated to Japanese and spoken (Polly), an image description per line
and an image for each (Bedrock), stored under `haiku/<haiku_id>/` in the media bucket.

`make_media` runs the steps that do not depend on each other at the same time, at most `concurrency` AWS calls
at once: per line, translate -> speak; for the pictures, describe (one call for the three lines) -> three images.
The critical path is describe + image. After a step fails no step starts, the running ones are waited for (a
blocking call cannot be stopped), and the failure is raised as `StepFailed` with a message a learner can read.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from modules.aws import AwsThrottled, AwsUnavailable, Bedrock, GuardrailBlocked, MediaStore, Speech
from projects.haiku.backend.models import LINES

logger = logging.getLogger(__name__)
Result = TypeVar("Result")

TRANSLATION_PROMPT = (
    "Translate the given line of an English haiku into natural Japanese, keeping its image and mood. "
    "Answer with the Japanese line only: no romaji, no quotes, no explanation.")
DESCRIPTION_PROMPT = (
    "For each of the three lines of the haiku below, write one short description (at most 40 words) of an image "
    "that illustrates it: a calm, painterly scene, no text or letters in the image. Answer with JSON only: a list "
    "of exactly three strings, in the order of the lines.")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
MAX_JAPANESE_CHARS = 100
MAX_DESCRIPTION_CHARS = 400


class StepFailed(Exception):
    """A step of the workflow failed; the message says which and why, for the learner."""


@dataclass(frozen=True)
class Media:
    japanese_lines: list[str]
    image_descriptions: list[str]
    image_keys: list[str]
    audio_keys: list[str]


def folder(haiku_id: str) -> str:
    """The haiku's folder under MEDIA_PREFIX ("haiku/" in AWS): haiku/<haiku_id>/..."""
    return f"{haiku_id}/"


class MediaSteps:
    """The AWS calls, one method per step; each blocks (boto3) and raises StepFailed."""

    def __init__(self, bedrock: Bedrock, speech: Speech, media: MediaStore) -> None:
        self.bedrock, self.speech, self.media = bedrock, speech, media

    def translate(self, number: int, line: str) -> str:
        with _step(f"translating line {number}"):
            answer = self.bedrock.converse(system=TRANSLATION_PROMPT, prompt=line, max_tokens=200, temperature=0.2)
        japanese = answer.strip().strip("「」\"'").strip()
        if not japanese or len(japanese) > MAX_JAPANESE_CHARS or not JAPANESE.search(japanese):
            raise StepFailed(f"The translation of line {number} was not a usable Japanese line.")
        return japanese

    def describe(self, lines: list[str]) -> list[str]:
        with _step("describing the images"):
            answer = self.bedrock.converse(system=DESCRIPTION_PROMPT, prompt="\n".join(lines), max_tokens=600)
        found = re.search(r"\[.*\]", answer, re.DOTALL)
        try:
            descriptions = json.loads(found.group(0) if found else answer)
        except ValueError:
            descriptions = None
        if (not isinstance(descriptions, list) or len(descriptions) != LINES
                or not all(isinstance(text, str) and 0 < len(text.strip()) <= MAX_DESCRIPTION_CHARS
                           for text in descriptions)):
            raise StepFailed("The image descriptions the model wrote were not usable.")
        return [text.strip() for text in descriptions]

    def speak(self, haiku_id: str, number: int, japanese: str) -> str:
        return self._stored(f"speaking line {number}", lambda: self.speech.synthesize(japanese),
                            f"{folder(haiku_id)}audio-{number}.mp3", "audio/mpeg")

    def picture(self, haiku_id: str, number: int, description: str) -> str:
        return self._stored(f"making the image for line {number}", lambda: self.bedrock.generate_image(description),
                            f"{folder(haiku_id)}image-{number}.png", "image/png")

    def _stored(self, what: str, produce: Callable[[], bytes], key: str, content_type: str) -> str:
        """The bytes `produce` makes, stored in the media bucket at `key`; its AWS errors fail the step `what`."""
        with _step(what):
            self.media.put(key, produce(), content_type)
        return key


class _step:
    """Turns the typed AWS errors of one step into StepFailed naming the step."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> None:
        if error is None or isinstance(error, StepFailed):
            return
        if isinstance(error, GuardrailBlocked):
            raise StepFailed(f"The content guardrail stopped {self.what}.") from error
        if isinstance(error, AwsThrottled):
            raise StepFailed(f"{error.service} was busy while {self.what}; try again in a few minutes.") from error
        if isinstance(error, AwsUnavailable):
            raise StepFailed(f"{error.service} failed while {self.what}.") from error


async def make_media(haiku_id: str, lines: list[str], steps: MediaSteps, concurrency: int,
                     run: Callable[..., Awaitable[Result]]) -> Media:
    """The haiku's media (module docstring). `run(function, *args)` runs a blocking step off the event loop."""
    slots = asyncio.Semaphore(concurrency)
    failures: list[StepFailed] = []

    async def step(function: Callable[..., Result], *args: object) -> Result:
        async with slots:
            if failures:
                raise _Skipped()
            try:
                return await run(function, *args)
            except StepFailed as failure:
                failures.append(failure)
                raise

    async def spoken_line(number: int, line: str) -> tuple[str, str]:
        japanese = await step(steps.translate, number, line)
        return japanese, await step(steps.speak, haiku_id, number, japanese)

    async def pictures() -> tuple[list[str], list[str]]:
        descriptions = await step(steps.describe, lines)
        keys = await asyncio.gather(*(step(steps.picture, haiku_id, number, description)
                                      for number, description in enumerate(descriptions, 1)),
                                    return_exceptions=True)
        _raise_first(keys)
        return descriptions, list(keys)

    results = await asyncio.gather(*(spoken_line(number, line) for number, line in enumerate(lines, 1)),
                                   pictures(), return_exceptions=True)
    if failures:
        raise failures[0]
    _raise_first(results)  # anything else (a bug) is not hidden
    *spoken, (descriptions, image_keys) = results
    return Media(japanese_lines=[japanese for japanese, _ in spoken], image_descriptions=descriptions,
                 image_keys=image_keys, audio_keys=[key for _, key in spoken])


class _Skipped(Exception):
    """A step not started because another one had failed."""


def _raise_first(results: list[object]) -> None:
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, (_Skipped, StepFailed)):
            raise result
