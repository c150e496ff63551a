"""The ai workspace, as synthesized: the Bedrock guardrail, its published version, and the
managed policies the project task roles attach."""
from __future__ import annotations

import json
import tomllib
from dataclasses import replace

import pytest

from building_blocks.guardrail import GuardrailProps
from tests.contract import is_documented
from tests.tf import logical_id, only, reference, resources
from toolkit.definition import DEFAULT_DEFINITION, DefinitionError, parse_definition


@pytest.fixture(scope="module")
def ai(stacks):
    return stacks["ai"]


@pytest.fixture(scope="module")
def guardrail(ai):
    return only(ai, "aws_bedrock_guardrail")


@pytest.fixture(scope="module")
def guardrail_arn(ai, guardrail):
    return reference("aws_bedrock_guardrail", logical_id(ai, "aws_bedrock_guardrail", guardrail), "guardrail_arn")


@pytest.fixture(scope="module")
def version_ref(ai):
    version = only(ai, "aws_bedrock_guardrail_version")
    return reference("aws_bedrock_guardrail_version", logical_id(ai, "aws_bedrock_guardrail_version", version), "version")


def policy_named(ai, suffix: str) -> dict:
    (body,) = [b for b in resources(ai, "aws_iam_policy").values() if b["name"] == f"app-dw-dev-{suffix}"]
    return json.loads(body["policy"])


def test_content_filters_cover_harm_and_prompt_attacks(guardrail):
    (content,) = guardrail["content_policy_config"]
    filters = {f["type"]: (f["input_strength"], f["output_strength"]) for f in content["filters_config"]}
    assert filters == {
        "HATE": ("HIGH", "HIGH"), "INSULTS": ("HIGH", "HIGH"), "SEXUAL": ("HIGH", "HIGH"),
        "VIOLENCE": ("HIGH", "HIGH"), "MISCONDUCT": ("HIGH", "HIGH"),
        "PROMPT_ATTACK": ("HIGH", "NONE"),  # Bedrock filters prompt attacks on input only
    }


def test_denied_topics_suit_a_language_school(guardrail, platform):
    (topics,) = guardrail["topic_policy_config"]
    found = {t["name"]: t for t in topics["topics_config"]}
    assert set(found) == {"Medical advice", "Legal advice", "Financial advice", "Self-harm"}
    for topic in platform.ai.denied_topics:
        assert found[topic.name]["type"] == "DENY"
        assert found[topic.name]["definition"] == topic.definition
        assert found[topic.name]["examples"] == topic.examples


def test_pii_is_masked_or_blocked(guardrail):
    (sensitive,) = guardrail["sensitive_information_policy_config"]
    actions = {e["type"]: e["action"] for e in sensitive["pii_entities_config"]}
    assert actions["EMAIL"] == actions["PHONE"] == "ANONYMIZE"
    assert actions["CREDIT_DEBIT_CARD_NUMBER"] == actions["CREDIT_DEBIT_CARD_CVV"] == "BLOCK"
    assert actions["PASSWORD"] == actions["AWS_SECRET_KEY"] == "BLOCK"
    assert "NAME" not in actions  # names are lesson material


def test_word_filters_profanity_and_configured_words(guardrail, platform):
    (words,) = guardrail["word_policy_config"]
    assert words["managed_word_lists_config"] == [{"type": "PROFANITY"}]
    assert [w["text"] for w in words["words_config"]] == platform.ai.blocked_words
    assert "ignore previous instructions" in platform.ai.blocked_words


def test_blocked_messages_are_set(guardrail, platform):
    assert guardrail["name"] == "app-dw-dev-guardrail"
    assert guardrail["blocked_input_messaging"] == platform.ai.blocked_input_message
    assert guardrail["blocked_outputs_messaging"] == platform.ai.blocked_output_message


def test_a_version_is_published_and_kept(ai, guardrail_arn):
    version = only(ai, "aws_bedrock_guardrail_version")
    assert version["guardrail_arn"] == guardrail_arn
    assert version["skip_destroy"] is True
    assert version["description"].startswith("configuration ")


def test_a_configuration_change_publishes_a_new_version():
    # The version's description carries the digest; a changed description replaces the version.
    props = GuardrailProps(name="g", blocked_input_message="in", blocked_output_message="out")
    assert props.digest() == replace(props).digest()
    assert props.digest() != replace(props, blocked_words=("x",)).digest()
    assert props.digest() != replace(props, filter_strength="MEDIUM").digest()


def test_guardrail_outputs(ai, guardrail, guardrail_arn, version_ref):
    guardrail_id = logical_id(ai, "aws_bedrock_guardrail", guardrail)
    assert ai["output"]["guardrail_id"]["value"] == reference("aws_bedrock_guardrail", guardrail_id, "guardrail_id")
    assert ai["output"]["guardrail_arn"]["value"] == guardrail_arn
    assert ai["output"]["guardrail_version"]["value"] == version_ref


def test_bedrock_policy_allows_the_text_models_only_through_the_published_guardrail(ai, platform, guardrail_arn, version_ref):
    invoke, apply = policy_named(ai, "bedrock")["Statement"]
    assert invoke["Effect"] == "Allow"
    assert invoke["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert invoke["Resource"] == [f"arn:aws:bedrock:us-east-1::foundation-model/{m}" for m in platform.ai.text_model_ids]
    assert invoke["Condition"] == {"StringEquals": {"bedrock:GuardrailIdentifier": f"{guardrail_arn}:{version_ref}"}}
    assert apply == {"Effect": "Allow", "Action": ["bedrock:ApplyGuardrail"], "Sid": "ApplyTheGuardrail",
                     "Resource": [guardrail_arn]}


def test_image_policy_allows_only_the_image_models(ai, platform):
    (statement,) = policy_named(ai, "bedrock-image")["Statement"]
    assert statement["Action"] == ["bedrock:InvokeModel"]
    assert statement["Resource"] == ["arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-image-generator-v2:0"]
    assert "Condition" not in statement


def test_polly_policy_allows_only_speech_synthesis(ai):
    (statement,) = policy_named(ai, "polly")["Statement"]
    assert statement["Action"] == ["polly:SynthesizeSpeech"]


def test_nothing_wider_than_named(ai):
    assert len(resources(ai, "aws_iam_policy")) == 3
    for body in resources(ai, "aws_iam_policy").values():
        for statement in json.loads(body["policy"])["Statement"]:
            assert statement["Effect"] == "Allow"
            assert all("*" not in action for action in statement["Action"])


def test_outputs_are_the_contract_and_nothing_is_read(ai):
    assert set(ai["output"]) == {"guardrail_id", "guardrail_arn", "guardrail_version", "bedrock_policy_arn",
                                 "bedrock_image_policy_arn", "polly_policy_arn"}
    assert all(is_documented("ai", name) for name in ai["output"])
    assert "terraform_remote_state" not in ai.get("data", {})


def test_guardrail_settings_are_validated():
    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    data["ai"]["pii_block"].append("EMAIL")
    with pytest.raises(DefinitionError, match="both anonymized and blocked"):
        parse_definition(data)
    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    data["ai"]["content_filter_strength"] = "MAX"
    with pytest.raises(DefinitionError, match="content_filter_strength"):
        parse_definition(data)
