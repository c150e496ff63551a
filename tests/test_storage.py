"""storage: KMS keys with rotation and named users; buckets with every guard; the log bucket
admits ALB, CloudFront (vended logs) and S3 server access logs."""
from __future__ import annotations

import pytest

from tests.tf import logical_id, policy, reference, resources, where

ACCOUNT = "${data.aws_caller_identity.account.account_id}"
BUCKETS = {"access-logs": "app-dw-dev-access-logs", "artifacts": "app-dw-dev-pipeline-artifacts"}


@pytest.fixture(scope="module")
def storage(stacks) -> dict:
    return stacks["storage"]


def key(stack: dict, alias: str) -> tuple[str, dict]:
    (alias_body,) = where(stack, "aws_kms_alias", name=f"alias/app-dw-dev-{alias}")
    name = alias_body["target_key_id"].split(".")[1]
    return name, resources(stack, "aws_kms_key")[name]


def statements(body: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy(body)["Statement"]}


def bucket(stack: dict, construct: str) -> str:
    (body,) = where(stack, "aws_s3_bucket", bucket=BUCKETS[construct])
    return logical_id(stack, "aws_s3_bucket", body)


def of_bucket(stack: dict, resource_type: str, construct: str) -> dict:
    (body,) = where(stack, resource_type, bucket=reference("aws_s3_bucket", bucket(stack, construct), "id"))
    return body


@pytest.mark.parametrize("alias", ["logs", "data", "artifacts"])
def test_keys_rotate_and_the_account_administers_them(storage, alias):
    _, body = key(storage, alias)
    assert body["enable_key_rotation"] is True
    assert body["deletion_window_in_days"] == 30
    admin = statements(body)["AccountAdministers"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"} and admin["Action"] == ["kms:*"]


def test_logs_key_is_usable_by_cloudwatch_logs_for_this_accounts_log_groups_and_by_alarms(storage):
    by_principal = {str(s.get("Principal")): s for s in policy(key(storage, "logs")[1])["Statement"]}
    logs = by_principal[str({"Service": "logs.us-east-1.amazonaws.com"})]
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{ACCOUNT}:*"}}
    alarms = by_principal[str({"Service": "cloudwatch.amazonaws.com"})]
    assert alarms["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    via = statements(key(storage, "logs")[1])["AccountUseThroughServices"]["Condition"]["StringEquals"]
    assert via["kms:ViaService"] == ["sns.us-east-1.amazonaws.com"]


def test_data_key_is_for_rds_and_secrets_manager_and_no_service_principal(storage):
    # The media buckets, and the CloudFront statement they needed, moved beside their sites, where
    # their key names the one distribution (tests/test_project_frontend.py).
    body = key(storage, "data")[1]
    via = statements(body)["AccountUseThroughServices"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert set(via) == {"rds.us-east-1.amazonaws.com", "secretsmanager.us-east-1.amazonaws.com"}
    assert not [s for s in policy(body)["Statement"] if "Service" in s["Principal"]]


def test_artifacts_key_is_for_codebuild_and_s3(storage):
    via = statements(key(storage, "artifacts")[1])["AccountUseThroughServices"]["Condition"]["StringEquals"]
    assert set(via["kms:ViaService"]) == {"s3.us-east-1.amazonaws.com", "codebuild.us-east-1.amazonaws.com"}


@pytest.mark.parametrize("construct", sorted(BUCKETS))
def test_every_bucket_is_versioned_private_owner_enforced_and_tls_only(storage, construct):
    assert of_bucket(storage, "aws_s3_bucket_versioning", construct)["versioning_configuration"] == {"status": "Enabled"}
    block = of_bucket(storage, "aws_s3_bucket_public_access_block", construct)
    assert all(block[flag] is True for flag in
               ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    ownership = of_bucket(storage, "aws_s3_bucket_ownership_controls", construct)
    assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}
    deny = statements(of_bucket(storage, "aws_s3_bucket_policy", construct))["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    arn = reference("aws_s3_bucket", bucket(storage, construct), "arn")
    assert deny["Resource"] == [arn, f"{arn}/*"]


@pytest.mark.parametrize("construct, algorithm, key_alias", [
    ("access-logs", "AES256", None),   # ALB access logs can only be written to SSE-S3 buckets
    ("artifacts", "aws:kms", "artifacts"),
])
def test_bucket_encryption(storage, construct, algorithm, key_alias):
    (rule,) = of_bucket(storage, "aws_s3_bucket_server_side_encryption_configuration", construct)["rule"]
    by_default = rule["apply_server_side_encryption_by_default"]
    assert by_default["sse_algorithm"] == algorithm
    if key_alias:
        assert by_default["kms_master_key_id"] == reference("aws_kms_key", key(storage, key_alias)[0], "arn")
        assert rule["bucket_key_enabled"] is True
    else:
        assert "kms_master_key_id" not in by_default


@pytest.mark.parametrize("construct, noncurrent_days, expire_days", [
    ("access-logs", 7, 7),   # spec: logging retention 7 days
    ("artifacts", 30, None),
])
def test_bucket_lifecycle(storage, construct, noncurrent_days, expire_days):
    rules = {r["id"]: r for r in of_bucket(storage, "aws_s3_bucket_lifecycle_configuration", construct)["rule"]}
    tidy = rules["tidy-versions"]
    assert tidy["status"] == "Enabled" and tidy["filter"] == [{"prefix": ""}]
    assert tidy["noncurrent_version_expiration"] == [{"noncurrent_days": noncurrent_days}]
    assert tidy["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    if expire_days:
        assert rules["expire-objects"]["expiration"] == [{"days": expire_days}]
    else:
        assert "expire-objects" not in rules


def test_log_bucket_admits_alb_logs_from_the_us_east_1_elb_account_under_alb(storage):
    alb = statements(of_bucket(storage, "aws_s3_bucket_policy", "access-logs"))["AlbAccessLogs"]
    assert alb["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert alb["Action"] == ["s3:PutObject"]
    assert alb["Resource"] == [f"arn:aws:s3:::app-dw-dev-access-logs/alb/AWSLogs/{ACCOUNT}/*"]


def test_log_bucket_admits_vended_logs_and_server_access_logs_of_this_account_only(storage):
    found = statements(of_bucket(storage, "aws_s3_bucket_policy", "access-logs"))
    write, acl_check, server = found["LogDeliveryWrite"], found["LogDeliveryAclCheck"], found["S3ServerAccessLogs"]
    assert write["Principal"] == acl_check["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert write["Resource"] == ["arn:aws:s3:::app-dw-dev-access-logs/cloudfront/*"]
    for statement in (write, acl_check, server):
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    assert server["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert server["Resource"] == ["arn:aws:s3:::app-dw-dev-access-logs/s3/*"]


def test_other_buckets_send_server_access_logs_to_the_log_bucket(storage):
    log_bucket = reference("aws_s3_bucket", bucket(storage, "access-logs"), "bucket")
    for construct in ("artifacts",):
        logging = of_bucket(storage, "aws_s3_bucket_logging", construct)
        assert logging["target_bucket"] == log_bucket
        assert logging["target_prefix"] == f"s3/{BUCKETS[construct]}/"
    assert not where(storage, "aws_s3_bucket_logging",
                     bucket=reference("aws_s3_bucket", bucket(storage, "access-logs"), "id"))


def test_storage_publishes_the_contract_outputs(storage):
    assert set(storage["output"]) == {
        "kms_key_arn_logs", "kms_key_arn_data", "kms_key_arn_artifacts", "log_bucket_name", "log_bucket_arn",
        "log_bucket_domain_name", "artifacts_bucket_name", "artifacts_bucket_arn"}
    assert storage["output"]["kms_key_arn_logs"]["value"] == reference("aws_kms_key", key(storage, "logs")[0], "arn")
