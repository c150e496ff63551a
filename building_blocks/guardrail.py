"""A Bedrock guardrail with a published version, and the IAM statements that make callers use it
(`GuardrailReference.grant_invoke`, also for a guardrail made elsewhere).

The version is immutable: its description carries a digest of the guardrail's configuration,
so a configuration change publishes a new version (older ones stay, `skip_destroy`, until no
running task names them).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from cdktf_cdktf_provider_aws.bedrock_guardrail import (
    BedrockGuardrail,
    BedrockGuardrailContentPolicyConfig,
    BedrockGuardrailContentPolicyConfigFiltersConfig,
    BedrockGuardrailSensitiveInformationPolicyConfig,
    BedrockGuardrailSensitiveInformationPolicyConfigPiiEntitiesConfig,
    BedrockGuardrailTopicPolicyConfig,
    BedrockGuardrailTopicPolicyConfigTopicsConfig,
    BedrockGuardrailWordPolicyConfig,
    BedrockGuardrailWordPolicyConfigManagedWordListsConfig,
    BedrockGuardrailWordPolicyConfigWordsConfig,
)
from cdktf_cdktf_provider_aws.bedrock_guardrail_version import BedrockGuardrailVersion
from constructs import Construct

from building_blocks.iam import Statement

HARMFUL_CONTENT = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT")
INVOKE_ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]


@dataclass(frozen=True)
class DeniedTopic:
    name: str
    definition: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuardrailProps:
    name: str
    blocked_input_message: str
    blocked_output_message: str
    description: str = "content filters, prompt-attack filter, denied topics, PII and word filters"
    filter_strength: str = "HIGH"                   # for every harmful-content filter, input and output
    prompt_attack_strength: str = "HIGH"            # input only: prompt attacks are a property of the prompt
    denied_topics: tuple[DeniedTopic, ...] = ()
    pii_anonymize: tuple[str, ...] = ()
    pii_block: tuple[str, ...] = ()
    blocked_words: tuple[str, ...] = ()
    profanity_filter: bool = True

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class GuardrailReference:
    """What callers of a guardrail need: a Guardrail's own, or one made elsewhere."""
    id: str
    arn: str
    version_number: str                 # the published version callers must name

    def grant_invoke(self, model_arns: list[str]) -> list[Statement]:
        """Invoke (and Converse, which IAM authorizes as InvokeModel*) the models only with this
        guardrail's published version, and apply the guardrail itself."""
        return [
            Statement(sid="InvokeModelsThroughTheGuardrail", actions=INVOKE_ACTIONS, resources=model_arns,
                      conditions={"StringEquals": {"bedrock:GuardrailIdentifier": f"{self.arn}:{self.version_number}"}}),
            Statement(sid="ApplyTheGuardrail", actions=["bedrock:ApplyGuardrail"], resources=[self.arn]),
        ]


class Guardrail(Construct):
    def __init__(self, scope: Construct, id: str, props: GuardrailProps):
        super().__init__(scope, id)
        filters = [BedrockGuardrailContentPolicyConfigFiltersConfig(
            type=kind, input_strength=props.filter_strength, output_strength=props.filter_strength)
            for kind in HARMFUL_CONTENT]
        # Bedrock accepts the prompt-attack filter on input only (output strength must be NONE).
        filters.append(BedrockGuardrailContentPolicyConfigFiltersConfig(
            type="PROMPT_ATTACK", input_strength=props.prompt_attack_strength, output_strength="NONE"))
        topics = [BedrockGuardrailTopicPolicyConfig(topics_config=[
            BedrockGuardrailTopicPolicyConfigTopicsConfig(
                name=topic.name, definition=topic.definition, examples=list(topic.examples), type="DENY")
            for topic in props.denied_topics])] if props.denied_topics else None
        pii = [BedrockGuardrailSensitiveInformationPolicyConfigPiiEntitiesConfig(type=kind, action="ANONYMIZE")
               for kind in props.pii_anonymize]
        pii += [BedrockGuardrailSensitiveInformationPolicyConfigPiiEntitiesConfig(type=kind, action="BLOCK")
                for kind in props.pii_block]
        words = BedrockGuardrailWordPolicyConfig(
            managed_word_lists_config=[BedrockGuardrailWordPolicyConfigManagedWordListsConfig(type="PROFANITY")]
            if props.profanity_filter else None,
            words_config=[BedrockGuardrailWordPolicyConfigWordsConfig(text=word) for word in props.blocked_words] or None)
        self.guardrail = BedrockGuardrail(
            self, "guardrail", name=props.name, description=props.description,
            blocked_input_messaging=props.blocked_input_message,
            blocked_outputs_messaging=props.blocked_output_message,
            content_policy_config=[BedrockGuardrailContentPolicyConfig(filters_config=filters)],
            topic_policy_config=topics,
            sensitive_information_policy_config=[BedrockGuardrailSensitiveInformationPolicyConfig(
                pii_entities_config=pii)] if pii else None,
            word_policy_config=[words] if (props.profanity_filter or props.blocked_words) else None)
        self.version = BedrockGuardrailVersion(
            self, "version", guardrail_arn=self.guardrail.guardrail_arn, skip_destroy=True,
            description=f"configuration {props.digest()}")
        self.reference = GuardrailReference(
            id=self.guardrail.guardrail_id, arn=self.guardrail.guardrail_arn, version_number=self.version.version)
