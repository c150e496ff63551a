"""storage: the KMS keys and S3 buckets the platform shares.

Keys: `logs` (CloudWatch Logs, alarms), `data` (Aurora, Secrets Manager, Performance Insights),
`artifacts` (CodePipeline/CodeBuild). Buckets: access logs (ALB, CloudFront, S3 server access
logs) and pipeline artifacts. A project with `media = true` has its media bucket beside its
site (its frontend workspace), so that bucket's policy and key can name the one distribution
that reads them.
"""
from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity

from building_blocks.encryption_key import EncryptionKey, EncryptionKeyProps, ServiceUse
from building_blocks.iam import Statement
from building_blocks.secure_bucket import SecureBucket, SecureBucketProps
from toolkit.definition import Project
from workspaces.base import Workspace

# The account Elastic Load Balancing writes access logs from, per region (regions opened
# before August 2022 use an account, later ones a service principal).
ELB_LOG_ACCOUNTS = {"us-east-1": "127311923021"}
CLOUDFRONT_LOG_PREFIX = "cloudfront/"
S3_ACCESS_LOG_PREFIX = "s3/"


def media_prefix(project: Project) -> str:
    """Where a project keeps its objects in its media bucket (its site serves them under this
    path): haiku -> "haiku/"."""
    return f"{project.name}/"


class StorageWorkspace(Workspace):
    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        region = platform.region
        account = DataAwsCallerIdentity(self, "account").account_id
        same_account = {"StringEquals": {"aws:SourceAccount": account}}

        logs_key = EncryptionKey(self, "logs-key", EncryptionKeyProps(
            alias=self.name("logs"), account_id=account,
            description="Encrypts CloudWatch log groups and the alarm topic",
            services=[
                ServiceUse(f"logs.{region}.amazonaws.com", conditions={"ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:*"}}),
                # CloudWatch alarms publish to the KMS-encrypted SNS alarm topic.
                ServiceUse("cloudwatch.amazonaws.com", conditions=same_account,
                           actions=("kms:Decrypt", "kms:GenerateDataKey*")),
            ],
            via_services=[f"sns.{region}.amazonaws.com"]))

        data_key = EncryptionKey(self, "data-key", EncryptionKeyProps(
            alias=self.name("data"), account_id=account,
            description="Encrypts Aurora storage, Performance Insights and secrets",
            via_services=[f"rds.{region}.amazonaws.com", f"secretsmanager.{region}.amazonaws.com"]))

        artifacts_key = EncryptionKey(self, "artifacts-key", EncryptionKeyProps(
            alias=self.name("artifacts"), account_id=account,
            description="Encrypts pipeline artifacts of CodePipeline and CodeBuild",
            via_services=[f"s3.{region}.amazonaws.com", f"codebuild.{region}.amazonaws.com"]))

        log_bucket = self._log_bucket(account)

        artifacts_name = self.name("pipeline-artifacts")
        artifacts = SecureBucket(self, "artifacts", SecureBucketProps(
            name=artifacts_name, kms_key_arn=artifacts_key.arn, access_log_bucket=log_bucket.name,
            access_log_prefix=f"{S3_ACCESS_LOG_PREFIX}{artifacts_name}/"))

        self.publish("kms_key_arn_logs", logs_key.arn, "KMS key for CloudWatch log groups and the alarm topic")
        self.publish("kms_key_arn_data", data_key.arn, "KMS key for Aurora, Performance Insights, secrets")
        self.publish("kms_key_arn_artifacts", artifacts_key.arn, "KMS key for pipeline artifacts")
        self.publish("log_bucket_name", log_bucket.name,
                     f"Access-log bucket: ALB under {platform.load_balancer.access_log_prefix}/, "
                     f"CloudFront under {CLOUDFRONT_LOG_PREFIX}")
        self.publish("log_bucket_arn", log_bucket.arn, "Access-log bucket ARN")
        self.publish("log_bucket_domain_name", log_bucket.domain_name,
                     "Access-log bucket domain name (CloudFront logging)")
        self.publish("artifacts_bucket_name", artifacts.name, "Pipeline artifact bucket (KMS artifacts key)")
        self.publish("artifacts_bucket_arn", artifacts.arn, "Pipeline artifact bucket ARN")

    def _log_bucket(self, account: str) -> SecureBucket:
        """SSE-S3, not KMS: ALB access logs can only be delivered to SSE-S3 buckets. Objects
        expire after the platform's log retention."""
        region = self.platform.region
        if region not in ELB_LOG_ACCOUNTS:
            raise ValueError(f"no Elastic Load Balancing log account known for {region}; add it to ELB_LOG_ACCOUNTS")
        name = self.name("access-logs")
        arn = f"arn:aws:s3:::{name}"
        from_this_account = {"StringEquals": {"aws:SourceAccount": account}}
        retention = self.platform.monitoring.log_retention_days
        return SecureBucket(self, "access-logs", SecureBucketProps(
            name=name, expiration_days=retention, noncurrent_version_expiration_days=retention,
            policy_statements=[
                Statement(sid="AlbAccessLogs", actions=["s3:PutObject"],
                          principals={"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNTS[region]}:root"},
                          resources=[f"{arn}/{self.platform.load_balancer.access_log_prefix}/AWSLogs/{account}/*"]),
                # Vended logs (CloudFront standard logging v2) are delivered by this service.
                Statement(sid="LogDeliveryWrite", actions=["s3:PutObject"],
                          principals={"Service": "delivery.logs.amazonaws.com"},
                          resources=[f"{arn}/{CLOUDFRONT_LOG_PREFIX}*"],
                          conditions={"StringEquals": {"aws:SourceAccount": account,
                                                       "s3:x-amz-acl": "bucket-owner-full-control"},
                                      "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{region}:{account}:*"}}),
                Statement(sid="LogDeliveryAclCheck", actions=["s3:GetBucketAcl"],
                          principals={"Service": "delivery.logs.amazonaws.com"}, resources=[arn],
                          conditions=from_this_account),
                # With ACLs off, S3 server access logs are authorised by the bucket policy.
                Statement(sid="S3ServerAccessLogs", actions=["s3:PutObject"],
                          principals={"Service": "logging.s3.amazonaws.com"},
                          resources=[f"{arn}/{S3_ACCESS_LOG_PREFIX}*"], conditions=from_this_account),
            ]))
