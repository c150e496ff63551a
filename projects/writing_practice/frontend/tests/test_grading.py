"""Grading through Bedrock (botocore's Stubber): the tool answer validated and retried, the guardrail, and the
local comparison that bounds the model's letter by its own transcription."""
from __future__ import annotations

import pytest
from botocore.stub import ANY, Stubber

from modules.aws import AwsClients, Bedrock, GuardrailBlocked
from modules.settings import AppSettings
from modules.tests.support import converse_response, fake_session, tool_use_response
from projects.writing_practice.frontend.grading import TOOL_NAME, Grader, GradingFailed, compare
from projects.writing_practice.frontend.images import prepare
from projects.writing_practice.frontend.practice import Word
from projects.writing_practice.frontend.tests.conftest import AWS, handwriting

FATHER = Word(7, "お父さん", "おとうさん", "otousan", "father")
BREAD = Word(8, "パン", "パン", "pan", "bread")


@pytest.fixture(scope="module")
def image():
    return prepare(handwriting("お父さん"))


@pytest.fixture
def grading():
    clients = AwsClients(AppSettings(**AWS), session=fake_session())
    with Stubber(clients.get("bedrock-runtime")) as bedrock, Stubber(clients.get("cloudwatch")) as cloudwatch:
        yield Grader(Bedrock(clients), attempts=2), bedrock, cloudwatch
        bedrock.assert_no_pending_responses()
        cloudwatch.assert_no_pending_responses()


def answer(transcription: str, grade: str, feedback: str = "Feedback.") -> dict:
    return tool_use_response(TOOL_NAME, {"transcription": transcription, "grade": grade, "feedback": feedback})


@pytest.mark.parametrize(("written", "word", "expected"), [
    ("お父さん", FATHER, "exact"), (" お父さん。", FATHER, "exact"), ("おとうさん", FATHER, "variant"),
    ("オトウサン", FATHER, "variant"), ("ぱん", BREAD, "variant"), ("ﾊﾟﾝ", BREAD, "exact"),  # half-width folded
    ("お父さ", FATHER, "near"), ("おとおさん", FATHER, "near"), ("いぬ", FATHER, "wrong"), ("", FATHER, "wrong"),
])
def test_the_local_comparison(written, word, expected):
    assert compare(written, word) == expected


def test_an_exact_match_keeps_the_models_letter_and_sends_the_image_with_the_word(grading, image):
    grader, bedrock, _ = grading
    bedrock.add_response("converse", answer("お父さん", "S", "Neat."), expected_params={
        "modelId": "anthropic.claude-3-haiku-20240307-v1:0", "system": ANY, "inferenceConfig": ANY,
        "messages": [{"role": "user", "content": [
            {"image": {"format": "png", "source": {"bytes": image.png}}},
            {"text": "Expected word: お父さん (reading おとうさん; meaning 'father'). Grade the handwriting in the image."}]}],
        "toolConfig": {"tools": [{"toolSpec": {"name": TOOL_NAME, "description": ANY, "inputSchema": ANY}}],
                       "toolChoice": {"tool": {"name": TOOL_NAME}}},
        "guardrailConfig": {"guardrailIdentifier": "gr-writing", "guardrailVersion": "3", "trace": "disabled"}})
    graded = grader.grade(image, FATHER)
    assert (graded.grade, graded.match, graded.correct, graded.feedback) == ("S", "exact", True, "Neat.")


def test_a_near_miss_is_at_best_c_and_not_correct(grading, image):
    grader, bedrock, _ = grading
    bedrock.add_response("converse", answer("お父さ", "A"))
    graded = grader.grade(image, FATHER)
    assert (graded.grade, graded.model_grade, graded.correct) == ("C", "A", False)
    assert graded.feedback.endswith("(Grade C, not the model's A: the writing reads as a character away from the "
                                    "expected word.)")


def test_the_models_letter_contradicting_its_exact_reading_is_raised(grading, image):
    grader, bedrock, _ = grading
    bedrock.add_response("converse", answer("お父さん", "D", "Wrong."))
    graded = grader.grade(image, FATHER)
    assert (graded.grade, graded.correct) == ("B", True)


def test_an_unreadable_image_is_a_d(grading, image):
    grader, bedrock, _ = grading
    bedrock.add_response("converse", answer("", "C", "I cannot read this."))
    graded = grader.grade(image, FATHER)
    assert (graded.grade, graded.match, graded.correct, graded.transcription) == ("D", "wrong", False, "")


def test_a_malformed_answer_is_asked_for_again_then_refused_naming_bedrock(grading, image):
    grader, bedrock, _ = grading
    bedrock.add_response("converse", tool_use_response(TOOL_NAME, {"transcription": "お父さん", "grade": "A+"}))
    bedrock.add_response("converse", answer("お父さん", "A"))
    assert grader.grade(image, FATHER).grade == "A"
    bedrock.add_response("converse", tool_use_response(TOOL_NAME, ["not", "an", "object"]))
    bedrock.add_response("converse", tool_use_response(TOOL_NAME, {"transcription": "x" * 201, "grade": "A",
                                                                   "feedback": "ok"}))
    with pytest.raises(GradingFailed) as failed:
        grader.grade(image, FATHER)
    assert str(failed.value) == ("Bedrock's model could not grade this attempt: its grade was malformed "
                                 "(transcription: String should have at most 200 characters), 2 times. Your writing "
                                 "is kept: try grading it again.")


def test_a_guardrail_intervention_is_refused_and_counted(grading, image):
    grader, bedrock, cloudwatch = grading
    bedrock.add_response("converse", converse_response("This request was blocked.", "guardrail_intervened"))
    cloudwatch.add_response("put_metric_data", {}, expected_params={"Namespace": "AppDw/Guardrails", "MetricData": [
        {"MetricName": "GuardrailViolations", "Value": 1.0, "Unit": "Count"}]})
    with pytest.raises(GuardrailBlocked, match="This request was blocked."):
        grader.grade(image, FATHER)
