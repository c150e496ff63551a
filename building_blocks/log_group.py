"""A CloudWatch log group with the platform's retention and a customer-managed key."""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct


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
