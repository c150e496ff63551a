"""An S3 bucket with every guard on: versioned, encrypted, private, ACLs off, TLS only."""
from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import S3BucketLifecycleConfiguration
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA
from constructs import Construct

from building_blocks.iam import Statement, deny_insecure_transport, policy_document


@dataclass(frozen=True)
class SecureBucketProps:
    name: str
    kms_key_arn: str | None = None              # None: SSE-S3 (AES256)
    noncurrent_version_expiration_days: int = 30
    expiration_days: int | None = None          # expire current objects (logs)
    access_log_bucket: str | None = None        # server access logging target
    access_log_prefix: str = ""
    policy_statements: list[Statement] = field(default_factory=list)
    force_destroy: bool = False
    # Log delivery by ALB/CloudFront needs ACLs off too, but the awslogsdelivery account writes
    # with bucket-owner-full-control; BucketOwnerEnforced accepts that.


class SecureBucket(Construct):
    def __init__(self, scope: Construct, id: str, props: SecureBucketProps):
        super().__init__(scope, id)
        self.bucket = S3Bucket(self, "bucket", bucket=props.name, force_destroy=props.force_destroy)
        bucket_id = self.bucket.id
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.regional_domain_name = self.bucket.bucket_regional_domain_name
        self.domain_name = self.bucket.bucket_domain_name
        S3BucketVersioningA(self, "versioning", bucket=bucket_id,
                            versioning_configuration={"status": "Enabled"})
        by_default = ({"sse_algorithm": "aws:kms", "kms_master_key_id": props.kms_key_arn}
                      if props.kms_key_arn else {"sse_algorithm": "AES256"})
        S3BucketServerSideEncryptionConfigurationA(
            self, "encryption", bucket=bucket_id,
            rule=[{"apply_server_side_encryption_by_default": by_default,
                   "bucket_key_enabled": bool(props.kms_key_arn)}])
        self.public_access_block = S3BucketPublicAccessBlock(
            self, "public-access", bucket=bucket_id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True)
        S3BucketOwnershipControls(self, "ownership", bucket=bucket_id,
                                  rule={"object_ownership": "BucketOwnerEnforced"})
        rules = [{
            "id": "tidy-versions",
            "status": "Enabled",
            "filter": [{"prefix": ""}],
            "noncurrent_version_expiration": [{"noncurrent_days": props.noncurrent_version_expiration_days}],
            "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
        }]
        if props.expiration_days:
            rules.append({"id": "expire-objects", "status": "Enabled", "filter": [{"prefix": ""}],
                          "expiration": [{"days": props.expiration_days}]})
        S3BucketLifecycleConfiguration(self, "lifecycle", bucket=bucket_id, rule=rules)
        if props.access_log_bucket:
            S3BucketLoggingA(self, "logging", bucket=bucket_id, target_bucket=props.access_log_bucket,
                             target_prefix=props.access_log_prefix or f"s3/{props.name}/")
        self.policy = S3BucketPolicy(
            self, "policy", bucket=bucket_id,
            policy=policy_document(deny_insecure_transport(self.arn, f"{self.arn}/*"), *props.policy_statements),
            depends_on=[self.public_access_block])

    def grant_read(self, prefix: str = "") -> Statement:
        """A statement for a role's policy: read objects under prefix."""
        return Statement(actions=["s3:GetObject"], resources=[f"{self.arn}/{prefix}*"])

    def grant_read_write(self, prefix: str = "") -> list[Statement]:
        return [
            Statement(actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources=[f"{self.arn}/{prefix}*"]),
            Statement(actions=["s3:ListBucket"], resources=[self.arn],
                      conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}}),
        ]
