"""VPC flow logs into an encrypted CloudWatch log group, written by a role only the flow-logs
service of this account can assume."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from building_blocks.iam import Statement, assumed_by_service, policy_document
from building_blocks.log_group import LogGroup, LogGroupProps


@dataclass(frozen=True)
class VpcFlowLogProps:
    vpc_id: str
    log_group_name: str
    role_name: str
    retention_days: int
    kms_key_arn: str
    account_id: str
    region: str
    traffic_type: Literal["ACCEPT", "REJECT", "ALL"] = "ALL"


class VpcFlowLog(Construct):
    def __init__(self, scope: Construct, id: str, props: VpcFlowLogProps):
        super().__init__(scope, id)
        self.log_group = LogGroup(self, "log-group", LogGroupProps(
            name=props.log_group_name, retention_days=props.retention_days, kms_key_arn=props.kms_key_arn))
        # The conditions are the confused-deputy guard: only this account's flow logs use the role.
        flow_logs = f"arn:aws:ec2:{props.region}:{props.account_id}:vpc-flow-log/*"
        trust = assumed_by_service("vpc-flow-logs.amazonaws.com", {
            "StringEquals": {"aws:SourceAccount": props.account_id}, "ArnLike": {"aws:SourceArn": flow_logs}})
        self.role = IamRole(self, "role", name=props.role_name, assume_role_policy=trust,
                            description="Lets VPC flow logs write to their log group")
        IamRolePolicy(self, "write-logs", role=self.role.id, name="write-flow-logs", policy=policy_document(
            Statement(sid="WriteFlowLogs",
                      actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                      resources=[self.log_group.arn, f"{self.log_group.arn}:*"]),
            Statement(sid="FindLogGroup", actions=["logs:DescribeLogGroups"],
                      resources=[f"arn:aws:logs:{props.region}:{props.account_id}:log-group:*"]),
        ))
        self.flow_log = FlowLog(self, "flow-log", vpc_id=props.vpc_id, traffic_type=props.traffic_type,
                                log_destination_type="cloud-watch-logs", log_destination=self.log_group.arn,
                                iam_role_arn=self.role.arn, tags={"Name": props.log_group_name})
