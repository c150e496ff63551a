"""An S3 bucket with every guard on: versioned, encrypted, private, ACLs off, TLS only; its
reference (name, ARN, key) grants access to objects under a prefix, also for a bucket made in
another workspace."""
from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from constructs import Construct

from building_blocks.iam import Statement, deny_insecure_transport, policy_document


@dataclass(frozen=True)
class BucketReference:
    name: str
    arn: str
    kms_key_arn: str | None = None     # the key its objects are encrypted with (None: SSE-S3)
    region: str | None = None          # needed with a key: the key is granted only through S3 there

    def grant_read_write(self, prefix: str = "", sid: str | None = None) -> list[Statement]:
        """Read, write and delete objects under `prefix`, list only that prefix (so a HeadObject
        of a missing key answers 404, not 403), and use the key only through S3. `sid` names the
        statements: <sid>Objects, <sid>List, <sid>Key."""
        def named(part: str) -> str | None:
            return f"{sid}{part}" if sid else None

        statements = [
            Statement(sid=named("Objects"), actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                      resources=[f"{self.arn}/{prefix}*"]),
            Statement(sid=named("List"), actions=["s3:ListBucket"], resources=[self.arn],
                      conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}}),
        ]
        if self.kms_key_arn:
            if not self.region:
                raise ValueError(f"bucket {self.name}: a grant on its key needs the bucket's region")
            statements.append(Statement(
                sid=named("Key"), actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.kms_key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{self.region}.amazonaws.com"}}))
        return statements


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
        # Nested blocks are passed as the bindings' struct classes: plain dicts would reach
        # jsii with snake_case keys and be dropped silently.
        S3BucketVersioningA(self, "versioning", bucket=bucket_id,
                            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"))
        by_default = S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
            sse_algorithm="aws:kms" if props.kms_key_arn else "AES256", kms_master_key_id=props.kms_key_arn)
        S3BucketServerSideEncryptionConfigurationA(
            self, "encryption", bucket=bucket_id,
            rule=[S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=by_default, bucket_key_enabled=bool(props.kms_key_arn))])
        self.public_access_block = S3BucketPublicAccessBlock(
            self, "public-access", bucket=bucket_id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True)
        S3BucketOwnershipControls(self, "ownership", bucket=bucket_id,
                                  rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"))
        every_object = [S3BucketLifecycleConfigurationRuleFilter(prefix="")]
        rules = [S3BucketLifecycleConfigurationRule(
            id="tidy-versions", status="Enabled", filter=every_object,
            noncurrent_version_expiration=[S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                noncurrent_days=props.noncurrent_version_expiration_days)],
            abort_incomplete_multipart_upload=[S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                days_after_initiation=7)])]
        if props.expiration_days:
            rules.append(S3BucketLifecycleConfigurationRule(
                id="expire-objects", status="Enabled", filter=every_object,
                expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=props.expiration_days)]))
        S3BucketLifecycleConfiguration(self, "lifecycle", bucket=bucket_id, rule=rules)
        if props.access_log_bucket:
            S3BucketLoggingA(self, "logging", bucket=bucket_id, target_bucket=props.access_log_bucket,
                             target_prefix=props.access_log_prefix or f"s3/{props.name}/")
        self.policy = S3BucketPolicy(
            self, "policy", bucket=bucket_id,
            policy=policy_document(deny_insecure_transport(self.arn, f"{self.arn}/*"), *props.policy_statements),
            depends_on=[self.public_access_block])
        self.reference = BucketReference(self.name, self.arn, props.kms_key_arn)
