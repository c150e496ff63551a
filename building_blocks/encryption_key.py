"""A customer-managed KMS key with rotation and a key policy that names its users."""
from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from building_blocks.iam import Statement, policy_document

USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


@dataclass(frozen=True)
class ServiceUse:
    """An AWS service allowed to use the key, optionally only for one encryption context."""

    principal: str                      # e.g. "logs.us-east-1.amazonaws.com"
    conditions: dict | None = None
    actions: tuple[str, ...] = tuple(USE_ACTIONS)


@dataclass(frozen=True)
class EncryptionKeyProps:
    alias: str                          # without the "alias/" prefix
    description: str
    services: list[ServiceUse] = field(default_factory=list)
    # Services (e.g. "rds.us-east-1.amazonaws.com") through which this account's IAM principals
    # use the key (those services then create grants, as RDS and Secrets Manager do). The root
    # statement already delegates to IAM; this one names the intended paths in the policy.
    via_services: list[str] = field(default_factory=list)
    deletion_window_days: int = 30
    account_id: str | None = None       # share one caller-identity lookup between keys


class EncryptionKey(Construct):
    """The account root administers the key (IAM policies then grant use); the listed
    services may use it. Rotation is on: no key material lives longer than a year."""

    def __init__(self, scope: Construct, id: str, props: EncryptionKeyProps):
        super().__init__(scope, id)
        account = props.account_id or DataAwsCallerIdentity(self, "account").account_id
        statements = [
            Statement(sid="AccountAdministers", actions=["kms:*"], resources=["*"],
                      principals={"AWS": f"arn:aws:iam::{account}:root"}),
        ]
        for index, use in enumerate(props.services):
            statements.append(Statement(
                sid=f"ServiceUse{index}", actions=list(use.actions), resources=["*"],
                principals={"Service": use.principal}, conditions=use.conditions))
        if props.via_services:
            statements.append(Statement(
                sid="AccountUseThroughServices", actions=USE_ACTIONS + GRANT_ACTIONS, resources=["*"],
                principals={"AWS": f"arn:aws:iam::{account}:root"},
                conditions={"StringEquals": {"kms:ViaService": list(props.via_services)}}))
        self.key = KmsKey(
            self, "key", description=props.description, enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_days, policy=policy_document(*statements))
        KmsAlias(self, "alias", name=f"alias/{props.alias}", target_key_id=self.key.key_id)
        self.arn = self.key.arn
        self.key_id = self.key.key_id
