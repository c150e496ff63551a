"""Writing Practice served for real, driven through Gradio's own client as the learner's page drives it, behind the
load balancer's sign-in (claims signed with an ES256 key, the pool's access token), calling a real Lang Portal API
process in Cognito mode: every graded attempt lands as a review in the learner's session, as the learner; Bedrock,
Polly and CloudWatch through botocore's Stubber."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from botocore.stub import ANY
from gradio_client import Client, handle_file

from modules.alb_identity import SignedInUser
from modules.auth import Principal
from modules.service_client import LANG_PORTAL, ServiceClient
from modules.settings import UiAppSettings
from modules.tests.postgres import free_port
from modules.tests.support import converse_response, stream, tool_use_response
from projects.writing_practice.frontend.app import create_app
from projects.writing_practice.frontend.grading import TOOL_NAME
from projects.writing_practice.frontend.images import prepare
from projects.writing_practice.frontend.settings import WritingPracticeSettings
from projects.writing_practice.frontend.tests.conftest import handwriting, serving

pytestmark = [pytest.mark.slow,  # server processes
              pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]  # Gradio's own use of pandas
GREETINGS = 1  # the seed's "Basic Greetings"
# What loading the page, starting and the next word update, as the API sees them (state and layout are not data).
PAGE_OUTPUTS = ("banner", "group", "word", "canvas", "upload", "result", "audio")


def as_learner(served, username: str) -> ServiceClient:
    """The Lang Portal API as the learner's SPA calls it (with a token of the portal's own client)."""
    user = SignedInUser(Principal.user(served.pool.sub_of(username)), None, served.pool.access_token(username),
                        is_staff=False)
    return ServiceClient(LANG_PORTAL, served.api_origin).as_user(user)


def open_app(origin: str, headers: dict[str, str] | None = None, **query: int) -> Client:
    """The page opened at `origin/?query` (Gradio's client sends the page's query with each event, as the browser's
    does)."""
    return Client(origin, headers=headers, httpx_kwargs={"params": query}, download_files=False, verbose=False,
                  analytics_enabled=False)


class Page:
    """A learner's open page: its Gradio client and what it shows."""

    def __init__(self, served, username: str, **query: int) -> None:
        self.served = served
        self.client = open_app(served.origin, served.headers(username), **query)
        self.words = {word["english"]: word for word in
                      as_learner(served, username).get(f"/api/groups/{GREETINGS}/words/raw")["items"]}
        self.outputs = dict(zip(PAGE_OUTPUTS, self.client.predict(api_name="/load")))

    def shown(self, api_name: str, *inputs: object) -> dict:
        names = {"/grade": ("banner", "result"), "/listen": ("banner", "audio"),
                 "/try_again": ("banner", "canvas", "upload", "result")}.get(api_name)
        answer = self.client.predict(*inputs, api_name=api_name)
        self.outputs.update(dict(zip(names or self.outputs, answer if isinstance(answer, tuple) else (answer,))))
        return self.outputs

    @property
    def banner(self) -> str:
        banner = self.outputs["banner"]
        return banner.get("value", "") if isinstance(banner, dict) else banner

    @property
    def word(self) -> dict:
        english = re.match(r"### (.+)\n", self.outputs["word"]).group(1)
        return self.words[english]


def launched(served, username: str) -> tuple[Page, int]:
    """`username`'s page as the Lang Portal launches it, with a study session they started there; its id."""
    session = as_learner(served, username).post("/api/study_activities",
                                                json={"group_id": GREETINGS, "study_activity_id": 1})
    return Page(served, username, group_id=GREETINGS, session_id=session["id"]), session["id"]


def canvas(path: Path) -> dict:
    """The Sketchpad's value as the page sends it: the drawing as one composite image."""
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


def expect_grading(served, image: bytes, word: dict, answer: dict) -> None:
    """Bedrock is asked, through the guardrail, to grade exactly the prepared image, and answers `answer`."""
    prepared = prepare(image)
    served.aws.bedrock.add_response("converse", tool_use_response(TOOL_NAME, answer), expected_params={
        "modelId": ANY, "system": ANY, "inferenceConfig": ANY, "toolConfig": ANY,
        "messages": [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": prepared.png}}},
                                                   {"text": ANY}]}],
        "guardrailConfig": {"guardrailIdentifier": "gr-writing", "guardrailVersion": "3", "trace": "disabled"}})


def session_counts(served, username: str, session_id: int) -> tuple[int, int]:
    session = as_learner(served, username).get(f"/api/study_sessions/{session_id}")
    return session["review_items_count"], session["correct_count"]


def test_a_launched_practice_records_every_graded_attempt_in_the_learners_session(served, tmp_path):
    page, session_id = launched(served, "alice")
    assert page.banner == "" and "Basic Greetings: word 1 of" in page.outputs["word"]
    word = page.word

    drawing = tmp_path / "canvas.png"
    drawing.write_bytes(handwriting(word["japanese"]))
    expect_grading(served, drawing.read_bytes(), word,
                   {"transcription": word["japanese"], "grade": "A", "feedback": "Well balanced strokes."})
    shown = page.shown("/grade", canvas(drawing), None)
    assert shown["banner"]["visible"] is False
    assert shown["result"].startswith("## Grade A\n") and "Well balanced strokes." in shown["result"]
    assert session_counts(served, "alice", session_id) == (1, 1)

    # The same writing graded again (uploaded this time): answered from memory, no new model call; recorded again.
    page.client.predict(api_name="/try_again")
    shown = page.shown("/grade", None, handle_file(str(drawing)))
    assert shown["result"].startswith("## Grade A\n")
    assert session_counts(served, "alice", session_id) == (2, 2)

    # The model's letter contradicts its own reading (a character off): the grade is bounded, recorded wrong.
    drawing.write_bytes(handwriting(word["japanese"], font_size=120))
    near_miss = word["japanese"][:-1] + ("あ" if word["japanese"][-1] != "あ" else "い")
    expect_grading(served, drawing.read_bytes(), word, {"transcription": near_miss, "grade": "S", "feedback": "Perfect."})
    shown = page.shown("/grade", canvas(drawing), None)
    assert shown["result"].startswith("## Grade C\n")
    assert "Grade C, not the model's S: the writing reads as a character away from the expected word" in shown["result"]
    assert session_counts(served, "alice", session_id) == (3, 2)
    served.aws.assert_used()


def test_another_learners_session_is_refused_plainly(served):
    session = as_learner(served, "alice").post("/api/study_activities",
                                               json={"group_id": GREETINGS, "study_activity_id": 1})
    page = Page(served, "bob", group_id=GREETINGS, session_id=session["id"])
    assert f"study session {session['id']} is not one of yours" in page.banner
    assert page.outputs["word"] == {"__type__": "update"}  # no word shown: nothing to practise in
    other_group = Page(served, "alice", group_id=GREETINGS + 1, session_id=session["id"])
    assert f"study session {session['id']} is for another group than group {GREETINGS + 1}" in other_group.banner
    haiku = as_learner(served, "alice").post("/api/study_activities",
                                             json={"group_id": GREETINGS, "study_activity_id": 2})
    assert Page(served, "alice", group_id=GREETINGS, session_id=haiku["id"]).banner.startswith(
        f"study session {haiku['id']} is one of Haiku Generator, not of Writing Practice")


def test_without_a_session_the_learner_picks_a_group_and_a_writing_practice_session_is_started(served, tmp_path):
    page = Page(served, "carol")
    assert ["Basic Greetings", GREETINGS] in page.outputs["group"]["choices"]
    start = page.client.predict(GREETINGS, api_name="/start")
    page.outputs.update(dict(zip(PAGE_OUTPUTS, start)))
    [session] = as_learner(served, "carol").get("/api/study_sessions")["items"]
    assert session["activity_name"] == "Writing Practice" and session["group_name"] == "Basic Greetings"

    photo = tmp_path / "photo.jpg"  # a PNG named .jpg: its content decides
    photo.write_bytes(handwriting("いぬ", (1200, 900), page=(255, 255, 255, 255), mode="RGB"))
    expect_grading(served, photo.read_bytes(), page.word, {"transcription": "いぬ", "grade": "B", "feedback": "Not it."})
    shown = page.shown("/grade", None, handle_file(str(photo)))
    assert shown["result"].startswith("## Grade D\n")  # another word entirely: D, whatever the letter
    assert session_counts(served, "carol", session["id"]) == (1, 0)
    served.aws.assert_used()


def test_bad_images_are_refused_saying_which_and_nothing_is_graded_or_recorded(served, tmp_path):
    page, session_id = launched(served, "dave")
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    page.shown("/grade", None, handle_file(str(text)))
    assert "the file is not a PNG or JPEG image" in page.banner
    blank = tmp_path / "blank.png"
    blank.write_bytes(handwriting(""))
    page.shown("/grade", canvas(blank), None)
    assert page.banner == "the image is blank: no writing was found on it"
    page.shown("/grade", None, None)
    assert "there is nothing to grade yet" in page.banner
    assert session_counts(served, "dave", session_id) == (0, 0)
    served.aws.assert_used()  # Bedrock was never asked


def test_model_failures_name_bedrock_and_keep_the_writing(served, tmp_path):
    page, session_id = launched(served, "erin")
    drawing = tmp_path / "canvas.png"
    drawing.write_bytes(handwriting(page.word["japanese"], font_size=140))  # graded by no other test
    served.aws.bedrock.add_response("converse", tool_use_response(TOOL_NAME, {"grade": "A+", "feedback": ""}))
    served.aws.bedrock.add_response("converse", converse_response("It looks nice!"))
    shown = page.shown("/grade", canvas(drawing), None)
    assert "Bedrock's model could not grade this attempt: it answered without a grade, 2 times" in page.banner
    assert shown["result"] == {"__type__": "update"}  # left as it was, as is the canvas (not among the outputs)

    served.aws.bedrock.add_response("converse", converse_response("Blocked by policy.", "guardrail_intervened"))
    served.aws.cloudwatch.add_response("put_metric_data", {}, expected_params={
        "Namespace": "AppDw/Guardrails", "MetricData": [{"MetricName": "GuardrailViolations", "Value": 1.0,
                                                         "Unit": "Count"}]})
    page.shown("/grade", canvas(drawing), None)
    assert page.banner == "Bedrock's content guardrail refused this: Blocked by policy.."
    assert session_counts(served, "erin", session_id) == (0, 0)
    served.aws.assert_used()


def test_audio_is_made_once_per_word_and_voice(served):
    page, _ = launched(served, "fay")
    served.aws.polly.add_response("synthesize_speech", {"AudioStream": stream(b"ID3-mp3-bytes"),
                                                        "ContentType": "audio/mpeg"}, expected_params={
        "Text": page.word["japanese"], "TextType": "text", "OutputFormat": "mp3", "VoiceId": "Kazuha",
        "Engine": "neural", "LanguageCode": "ja-JP"})
    first = page.shown("/listen")["audio"]
    second = page.shown("/listen")["audio"]
    assert first and second and page.banner == ""
    served.aws.assert_used()  # one synthesis for both


def test_healthz_checks_the_lang_portal(served):
    answer = httpx.get(f"{served.origin}/healthz", timeout=5)
    assert answer.status_code == 200 and answer.json()["checks"] == {"lang_portal": "ok"}
    assert answer.json()["features"] == {"grading": "available", "audio": "available"}
    assert httpx.get(f"{served.origin}/", timeout=5).status_code == 401  # the page itself needs the sign-in


def test_the_lang_portal_down_is_a_banner_and_a_failed_health_check():
    settings = WritingPracticeSettings(local_mode=True, lang_portal_api_url=f"http://127.0.0.1:{free_port()}",
                                       log_level="WARNING")
    with serving(create_app(settings)) as origin:
        health = httpx.get(f"{origin}/healthz", timeout=5)
        assert health.status_code == 503 and health.json()["checks"]["lang_portal"].startswith("failed")
        assert health.json()["features"] == {
            "grading": "set AWS_DEFAULT_REGION, GUARDRAIL_ID, GUARDRAIL_VERSION to enable it",
            "audio": "set AWS_DEFAULT_REGION to enable it"}
        banner = open_app(origin).predict(api_name="/load")[0]
    assert banner["visible"] is True
    assert banner["value"].startswith("the Lang Portal API cannot be reached right now.")


def test_each_learner_has_a_budget_of_new_gradings(served, tmp_path):
    page, session_id = launched(served, "hana")
    drawing = tmp_path / "canvas.png"
    for attempt, size in enumerate((100, 104, 108, 112), 1):  # four different drawings: four new gradings
        drawing.write_bytes(handwriting(page.word["japanese"], font_size=size))
        if attempt <= 3:
            expect_grading(served, drawing.read_bytes(), page.word,
                           {"transcription": page.word["japanese"], "grade": "B", "feedback": "Fine."})
        page.shown("/grade", canvas(drawing), None)
    assert page.banner == "too many AI requests: you can make another in 3600 seconds."
    assert session_counts(served, "hana", session_id) == (3, 3)
    served.aws.assert_used()
