"""A CloudWatch log group with the platform's retention and a customer-managed key, and the
reference (name and ARN) that grants writing to it, also for a group made in another workspace."""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct

from building_blocks.iam import Statement

WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


@dataclass(frozen=True)
class LogGroupReference:
    name: str
    arn: str

    def grant_write(self, sid: str | None = None, *also: str) -> Statement:
        """Create streams in the group and write events to them (`also`: more actions on its streams)."""
        return Statement(sid=sid, actions=[*WRITE_ACTIONS, *also], resources=[f"{self.arn}:*"])


@dataclass(frozen=True)
class LogGroupProps:
    name: str
    retention_days: int            # the spec: 7 days (platform.monitoring.log_retention_days)
    kms_key_arn: str | None = None  # the storage workspace's logs key; None only where AWS forbids it


class LogGroup(Construct):
    def __init__(self, scope: Construct, id: str, props: LogGroupProps):
        super().__init__(scope, id)
        self.resource = CloudwatchLogGroup(
            self, "group", name=props.name, retention_in_days=props.retention_days, kms_key_id=props.kms_key_arn)
        self.name = self.resource.name
        self.arn = self.resource.arn
        self.reference = LogGroupReference(self.name, self.arn)
