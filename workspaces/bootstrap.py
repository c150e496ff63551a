"""bootstrap: the S3 bucket every other workspace keeps its state in.

It is the one workspace on local state (it cannot store state in the bucket it creates);
its state file is small and re-creatable by import.
"""
from __future__ import annotations

from building_blocks.encryption_key import EncryptionKey, EncryptionKeyProps
from building_blocks.secure_bucket import SecureBucket, SecureBucketProps
from workspaces.base import Workspace


class BootstrapWorkspace(Workspace):
    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        key = EncryptionKey(self, "state-key", EncryptionKeyProps(
            alias=self.name("terraform-state"), description="Encrypts the Terraform state of every workspace"))
        bucket = SecureBucket(self, "state", SecureBucketProps(
            name=platform.state.bucket, kms_key_arn=key.arn, noncurrent_version_expiration_days=90))
        self.publish("state_bucket_name", bucket.name, "Bucket holding every workspace's Terraform state")
        self.publish("state_kms_key_arn", key.arn, "KMS key encrypting the state bucket")
