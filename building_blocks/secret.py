"""A Secrets Manager secret encrypted with a customer-managed key, holding either a value
generated at apply time (never in state, plan or outputs) or a non-secret stored value."""
from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion
from constructs import Construct

# The provider's ephemeral resource: Secrets Manager GetRandomPassword, called during each
# plan/apply and never written to state (Terraform >= 1.10). The 0.21 bindings have no class
# for ephemeral resources, so the block is added to the stack as raw JSON.
RANDOM_PASSWORD = "aws_secretsmanager_random_password"


@dataclass(frozen=True)
class GeneratedValue:
    length: int = 64
    # Letters and digits only: the values travel in HTTP headers and environment variables.
    exclude_punctuation: bool = True
    # The value is write-only: Terraform writes it when this number changes. Bump it to rotate.
    version: int = 1
    # Database credentials: the secret holds {"username": ..., "password": <the value>}, the form
    # RDS Proxy signs in to a database with.
    username: str | None = None


@dataclass(frozen=True)
class SecretProps:
    name: str
    description: str
    kms_key_arn: str
    generate: GeneratedValue | None = None  # a fresh random value, written write-only
    value: str | None = None                # for values that are no credential (they land in state)
    recovery_window_days: int = 30

    def __post_init__(self) -> None:
        if (self.generate is None) == (self.value is None):
            raise ValueError(f"secret {self.name!r}: give exactly one of generate and value")


class Secret(Construct):
    def __init__(self, scope: Construct, id: str, props: SecretProps):
        super().__init__(scope, id)
        self.secret = SecretsmanagerSecret(
            self, "secret", name=props.name, description=props.description, kms_key_id=props.kms_key_arn,
            recovery_window_in_days=props.recovery_window_days)
        self.arn = self.secret.arn
        if props.generate:
            stack = TerraformStack.of(self)
            random_name = stack.get_logical_id(self.secret)
            stack.add_override(f"ephemeral.{RANDOM_PASSWORD}.{random_name}", {
                "password_length": props.generate.length,
                "exclude_punctuation": props.generate.exclude_punctuation,
                "require_each_included_type": True,
            })
            generated = f"ephemeral.{RANDOM_PASSWORD}.{random_name}.random_password"
            if props.generate.username:
                value = f'${{jsonencode({{username = "{props.generate.username}", password = {generated}}})}}'
            else:
                value = f"${{{generated}}}"
            self.version = SecretsmanagerSecretVersion(
                self, "value", secret_id=self.secret.id, secret_string_wo=value,
                secret_string_wo_version=props.generate.version)
        else:
            self.version = SecretsmanagerSecretVersion(
                self, "value", secret_id=self.secret.id, secret_string=props.value)
