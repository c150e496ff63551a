"""The Gradio page: pick a group (or arrive launched from the Lang Portal), see the English, hear the word,
write it on the 900x300 canvas or upload a photo, get the grade, try again or go on.

Every handler acts for the signed-in learner (`SignIn.identify` on the event's own request) and shows what went
wrong in the banner, naming the service that failed, never a traceback; an error changes nothing the learner
drew or uploaded.
"""
from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from modules.ai_guard import AiGuard, RateLimited
from modules.alb_identity import SignedInUser, SignIn, SignInRefused
from modules.aws import AwsFeatureDisabled, AwsThrottled, AwsUnavailable, GuardrailBlocked, Speech
from modules.service_client import ServiceCallFailed
from projects.writing_practice.frontend.grading import Grade, Grader, GradingFailed
from projects.writing_practice.frontend.images import MAX_UPLOAD_BYTES, ImageRefused, prepare
from projects.writing_practice.frontend.practice import LangPortal, Practice, PracticeRefused

logger = logging.getLogger(__name__)

CANVAS_SIZE = (900, 300)  # apps.md, D
# Gradio's orange fails WCAG AA contrast (3.55:1 under white text, 2.8:1 as the selected tab's text): a dark blue.
THEME = gr.themes.Default(primary_hue="blue").set(
    color_accent="*primary_700", button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800", button_primary_background_fill_dark="*primary_700",
    button_primary_background_fill_hover_dark="*primary_800")
CSS = ("#banner { border-left: 4px solid #b42318; padding: 0.5em 1em; background: #fef3f2; }\n"
       "#banner, #banner * { color: #1f2328; }\n"  # dark text on the light banner in either scheme
       # the theme has one accent for both schemes; on the dark page the selected tab needs a lighter blue
       ".dark button.selected { color: #93c5fd; }")


@dataclass(frozen=True)
class Services:
    sign_in: SignIn
    portal: LangPortal
    grader: Grader
    speech: Speech
    ai_guard: AiGuard  # grading: the learner's AI budget; the same drawing graded again is answered from memory
    speech_guard: AiGuard  # the same budget; audio kept per word and voice


class Shown(Exception):
    """A message for the banner (already worded for the learner)."""


def learner_message(error: Exception) -> str:
    """What the banner says for a failure of the outside world or of the learner's input."""
    if isinstance(error, SignInRefused):
        return f"{error} {error.advice}"
    if isinstance(error, ServiceCallFailed):
        return f"{error}. Nothing you wrote is lost: try again in a moment."
    if isinstance(error, GuardrailBlocked):
        return f"Bedrock's content guardrail refused this: {error}."
    if isinstance(error, AwsThrottled | AwsUnavailable | AwsFeatureDisabled | RateLimited):
        return f"{error}."
    return str(error)  # ImageRefused, PracticeRefused, GradingFailed, Shown: worded for the learner already


EXPECTED = (SignInRefused, ServiceCallFailed, GuardrailBlocked, AwsThrottled, AwsUnavailable, AwsFeatureDisabled,
            RateLimited, ImageRefused, PracticeRefused, GradingFailed, Shown)


def build_blocks(services: Services) -> gr.Blocks:
    # delete_cache: uploads and canvases Gradio keeps on disk are removed an hour after they came (checked every
    # 10 minutes), so a task's disk does not fill with handwriting.
    with gr.Blocks(title="Writing Practice", analytics_enabled=False, delete_cache=(600, 3600)) as blocks:
        practice_state = gr.State(None)
        gr.Markdown("# Writing Practice\nWrite the Japanese for the English word by hand.")
        banner = gr.Markdown("", visible=False, elem_id="banner")
        with gr.Group(visible=False) as picker:
            group = gr.Dropdown(label="Group", choices=[], interactive=True, elem_id="group")
            start = gr.Button("Start practice", variant="primary", elem_id="start")
        with gr.Column():
            word = gr.Markdown("", elem_id="word")
            with gr.Row():
                listen = gr.Button("Play the word", elem_id="listen")
                # Shown once there is audio: the empty player's placeholder fails axe (aria-label on a plain div).
                audio = gr.Audio(label="Pronunciation", autoplay=True, interactive=False, visible=False,
                                 elem_id="audio")
            with gr.Tabs():
                with gr.Tab("Draw"):
                    canvas = gr.Sketchpad(canvas_size=CANVAS_SIZE, fixed_canvas=True, type="filepath",
                                          format="png", image_mode="RGBA", layers=False, transforms=(),
                                          brush=gr.Brush(default_size=8, colors=["#000000"], color_mode="fixed"),
                                          label="Write here", elem_id="canvas",
                                          interactive=True)  # else Gradio renders an event's output read-only
                with gr.Tab("Upload"):
                    upload = gr.File(label=f"A JPG or PNG of your writing (at most {MAX_UPLOAD_BYTES >> 20} MB)",
                                     file_types=[".png", ".jpg", ".jpeg"], type="filepath", elem_id="upload",
                                     interactive=True)
            grade_button = gr.Button("Grade my writing", variant="primary", elem_id="grade")
            result = gr.Markdown("", elem_id="result")
            with gr.Row():
                try_again = gr.Button("Try again", elem_id="try-again")
                next_word = gr.Button("Next word", elem_id="next-word")

        def guarded(handler: Callable[..., dict]) -> Callable[..., dict]:
            """`handler`'s updates with the banner hidden, or only the banner when it fails (all else kept)."""

            @functools.wraps(handler)  # Gradio reads the signature: which inputs, where the gr.Request goes
            def run(*args: object) -> dict:
                try:
                    updates = handler(*args)
                except EXPECTED as error:
                    logger.info("shown to the learner", extra={"error": repr(error)})
                    return {banner: gr.update(value=learner_message(error), visible=True)}
                return {banner: gr.update(value="", visible=False), **updates}

            return run

        def user_of(request: gr.Request) -> SignedInUser:
            return services.sign_in.identify(request.headers)

        def practising(practice: Practice) -> dict:
            current = practice.next_word()
            return {practice_state: practice, picker: gr.update(visible=False), word: word_text(practice, current),
                    canvas: None, upload: None, result: "", audio: gr.update(value=None, visible=False)}

        @guarded
        def on_load(request: gr.Request) -> dict:
            user = user_of(request)
            query = request.query_params
            group_id, session_id = number(query, "group_id"), number(query, "session_id")
            if session_id is not None:
                if group_id is None:
                    raise Shown("the link has a session_id but no group_id: open Writing Practice from the "
                                "Lang Portal again")
                return practising(services.portal.launched(user, group_id, session_id))
            choices = services.portal.groups(user)
            if not choices:
                raise Shown("you have no word groups to practise yet: add one in the Lang Portal")
            chosen = group_id if group_id in {value for _, value in choices} else None
            return {picker: gr.update(visible=True), group: gr.update(choices=choices, value=chosen)}

        @guarded
        def on_start(group_id: int | None, request: gr.Request) -> dict:
            if group_id is None:
                raise Shown("pick a group first")
            return practising(services.portal.started(user_of(request), int(group_id)))

        @guarded
        def on_grade(practice: Practice | None, drawing: dict | None, uploaded: str | None,
                     request: gr.Request) -> dict:
            user = user_of(request)
            if practice is None or practice.current is None:
                raise Shown("start a practice first")
            data = read_attempt(drawing, uploaded)
            image = prepare(data)
            current = practice.current
            key = ("grade", current.japanese, current.kana, hashlib.sha256(image.png).hexdigest())
            graded = services.ai_guard.generate(user.principal, key, lambda: services.grader.grade(image, current))
            try:
                services.portal.record(user, practice, current, graded.correct)
            except ServiceCallFailed as error:
                raise Shown(f"{grade_text(graded, practice)}\n\n**Not recorded in the Lang Portal**: {error}. "
                            "Grade it again to record it.") from None
            logger.info("graded", extra={"grade": graded.grade, "match": graded.match, "model_grade":
                                         graded.model_grade, "sent_bytes": len(image.png),
                                         "sent_pixels": image.width * image.height,
                                         "source_bytes": image.source_bytes, "source_pixels": image.source_pixels})
            return {result: grade_text(graded, practice)}

        @guarded
        def on_try_again(practice: Practice | None, request: gr.Request) -> dict:
            user_of(request)
            return {canvas: None, upload: None, result: ""}

        @guarded
        def on_next_word(practice: Practice | None, request: gr.Request) -> dict:
            user_of(request)
            if practice is None:
                raise Shown("start a practice first")
            return practising(practice)

        @guarded
        def on_listen(practice: Practice | None, request: gr.Request) -> dict:
            user = user_of(request)
            if practice is None or practice.current is None:
                raise Shown("start a practice first")
            text = practice.current.japanese
            key = ("speech", services.speech.voice_id, text)
            speech = services.speech_guard.generate(user.principal, key, lambda: services.speech.synthesize(text))
            return {audio: gr.update(value=speech, visible=True)}

        everything = [banner, practice_state, picker, group, word, canvas, upload, result, audio]
        blocks.load(on_load, inputs=None, outputs=everything, api_name="load")
        start.click(on_start, inputs=[group], outputs=everything, api_name="start")
        grade_button.click(on_grade, inputs=[practice_state, canvas, upload], outputs=[banner, result],
                           api_name="grade")
        try_again.click(on_try_again, inputs=[practice_state], outputs=[banner, canvas, upload, result],
                        api_name="try_again")
        next_word.click(on_next_word, inputs=[practice_state], outputs=everything, api_name="next_word")
        listen.click(on_listen, inputs=[practice_state], outputs=[banner, audio], api_name="listen")
    return blocks


def number(query: object, name: str) -> int | None:
    value = query.get(name) if query is not None else None
    if value in (None, ""):
        return None
    if not str(value).isdigit() or not 0 < int(value) < 2**63:
        raise Shown(f"the link's {name} must be a positive whole number, not {str(value)[:40]!r}")
    return int(value)


def read_attempt(drawing: dict | None, uploaded: str | None) -> bytes:
    """The uploaded file when there is one, else the canvas (its composite image)."""
    path = uploaded or (drawing or {}).get("composite")
    if not path:
        raise ImageRefused("there is nothing to grade yet: write the word on the canvas or upload a photo")
    path = Path(path)
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise ImageRefused(f"the image is {path.stat().st_size / 1_048_576:.1f} MB; the limit is "
                           f"{MAX_UPLOAD_BYTES >> 20} MB")
    return path.read_bytes()


def word_text(practice: Practice, word: object) -> str:
    done = len(practice.words) - len(practice.remaining)
    return f"### {word.english}\n\n{practice.group_name}: word {done} of {len(practice.words)}"


def grade_text(graded: Grade, practice: Practice) -> str:
    current = practice.current
    return (f"## Grade {graded.grade}\n\nRead as 「{graded.transcription or '(nothing legible)'}」; expected "
            f"「{current.japanese}」 ({current.kana or current.romaji}).\n\n{graded.feedback}")
