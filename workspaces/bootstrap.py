"""bootstrap: the S3 bucket every other workspace keeps its state in, and the bucket its access
logs go to.

It is the one workspace on local state (it cannot store state in the bucket it creates);
its state file is small and re-creatable by import. The state bucket's name carries the
environment and its account (`Platform.state_bucket`): S3 names are global, so each
environment's account creates its own, and nobody else can take the name first. Every read and
write of a state object is in the server access log (which identity, which object, when).
"""
from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity

from building_blocks.encryption_key import EncryptionKey, EncryptionKeyProps
from building_blocks.iam import Statement
from building_blocks.secure_bucket import SecureBucket, SecureBucketProps
from workspaces.base import Workspace

ACCESS_LOG_PREFIX = "state/"


def state_log_bucket_name(state_bucket: str) -> str:
    return f"{state_bucket}-access-logs"


class BootstrapWorkspace(Workspace):
    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        account = DataAwsCallerIdentity(self, "account").account_id
        key = EncryptionKey(self, "state-key", EncryptionKeyProps(
            alias=self.name("terraform-state"), account_id=account,
            description="Encrypts the Terraform state of every workspace"))
        state_arn = f"arn:aws:s3:::{platform.state_bucket}"
        log_name = state_log_bucket_name(platform.state_bucket)
        retention = platform.monitoring.log_retention_days
        # SSE-S3: S3 server access logs cannot be delivered to a bucket encrypted with SSE-KMS.
        logs = SecureBucket(self, "state-access-logs", SecureBucketProps(
            name=log_name, expiration_days=retention, noncurrent_version_expiration_days=retention,
            policy_statements=[Statement(
                sid="StateBucketAccessLogs", actions=["s3:PutObject"],
                principals={"Service": "logging.s3.amazonaws.com"},
                resources=[f"arn:aws:s3:::{log_name}/{ACCESS_LOG_PREFIX}*"],
                conditions={"StringEquals": {"aws:SourceAccount": account},
                            "ArnLike": {"aws:SourceArn": state_arn}})]))
        bucket = SecureBucket(self, "state", SecureBucketProps(
            name=platform.state_bucket, kms_key_arn=key.arn, noncurrent_version_expiration_days=90,
            access_log_bucket=logs.name, access_log_prefix=ACCESS_LOG_PREFIX))
        self.publish("state_bucket_name", bucket.name, "Bucket holding every workspace's Terraform state")
        self.publish("state_kms_key_arn", key.arn, "KMS key encrypting the state bucket")
        self.publish("state_access_log_bucket_name", logs.name,
                     f"Server access logs of the state bucket (under {ACCESS_LOG_PREFIX}, kept {retention} days)")
