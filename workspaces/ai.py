"""ai workspace: the Bedrock guardrail every app calls through, and the managed IAM policies
the project workspaces attach to their task roles (text models only through the guardrail,
image models, Polly speech). It reads no other workspace.
"""
from __future__ import annotations

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy

from building_blocks.guardrail import DeniedTopic, Guardrail, GuardrailProps, GuardrailReference
from building_blocks.iam import Statement, policy_document
from toolkit.definition import Platform
from toolkit.emulator import emulator_stand_in_arn
from workspaces.base import Workspace


def foundation_model_arn(region: str, model_id: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model_id}"


class AiWorkspace(Workspace):
    def __init__(self, scope, spec, platform: Platform):
        super().__init__(scope, spec, platform)
        ai = platform.ai
        if platform.emulator_skips("bedrock_guardrail"):
            guardrail = GuardrailReference(id="emulator-stand-in", version_number="1", arn=emulator_stand_in_arn(
                "bedrock", platform.region, "guardrail/emulator-stand-in"))
        else:
            guardrail = Guardrail(self, "guardrail", GuardrailProps(
                name=self.name("guardrail"),
                description=f"{platform.name} {platform.environment}: every Bedrock call of the apps goes through it",
                blocked_input_message=ai.blocked_input_message,
                blocked_output_message=ai.blocked_output_message,
                filter_strength=ai.content_filter_strength,
                prompt_attack_strength=ai.content_filter_strength,
                denied_topics=tuple(DeniedTopic(t.name, t.definition, tuple(t.examples)) for t in ai.denied_topics),
                pii_anonymize=tuple(ai.pii_anonymize),
                pii_block=tuple(ai.pii_block),
                blocked_words=tuple(ai.blocked_words))).reference

        text_models = [foundation_model_arn(platform.region, m) for m in ai.text_model_ids]
        image_models = [foundation_model_arn(platform.region, m) for m in ai.image_model_ids]
        bedrock = self._policy("bedrock", "Bedrock text models, only through the platform guardrail",
                               guardrail.grant_invoke(text_models))
        # Image models take no guardrail at inference; the apps screen image prompts with
        # ApplyGuardrail (granted by the bedrock policy) before they call these.
        image = self._policy("bedrock-image", "Bedrock image generation models", [
            Statement(sid="InvokeImageModels", actions=["bedrock:InvokeModel"], resources=image_models)])
        # SynthesizeSpeech has no resource of its own unless a lexicon is named: "*" is its scope.
        polly = self._policy("polly", "Polly speech synthesis", [
            Statement(sid="SynthesizeSpeech", actions=["polly:SynthesizeSpeech"], resources=["*"])])

        self.publish("guardrail_id", guardrail.id, "Bedrock guardrail id (guardrailIdentifier)")
        self.publish("guardrail_arn", guardrail.arn, "Bedrock guardrail ARN")
        self.publish("guardrail_version", guardrail.version_number,
                     "published guardrail version the apps must name (the IAM condition requires it)")
        self.publish("bedrock_policy_arn", bedrock.arn, "managed policy: text models through the guardrail")
        self.publish("bedrock_image_policy_arn", image.arn, "managed policy: image generation models")
        self.publish("polly_policy_arn", polly.arn, "managed policy: Polly SynthesizeSpeech")

    def _policy(self, id: str, description: str, statements: list[Statement]) -> IamPolicy:
        return IamPolicy(self, f"policy-{id}", name=self.name(id), description=description,
                         policy=policy_document(*statements))
