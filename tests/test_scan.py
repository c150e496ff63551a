"""checkov, the IAM lint and the platform rules pass on every workspace but for reviewed skips,
each with its reason."""
from __future__ import annotations

import re

import pytest

from toolkit import scan


@pytest.mark.slow
def test_the_scan_finds_no_unskipped_failure_and_no_stale_skip(synth, platform):
    report = scan.scan_everything(synth.outdir / "stacks", synth.stacks, platform.definition, platform.region)
    assert set(report.checkov) == set(synth.stacks)
    assert sum(r.passed for r in report.checkov.values()) > 0 and report.documents > 0
    assert [(f.workspace, f.check, f.resource, f.title) for f in report.failed] == []
    assert not [(s.check, s.workspaces) for s in report.unused]


def test_every_skip_has_a_reason():
    for path, check_ids in ((scan.SKIPS_FILE, r"CKV2?_[A-Z]+_\d+"), (scan.IAM_SKIPS_FILE, r"[EWI]\d{4}|ADW-[A-Z]+-\d+")):
        skips = scan.load_skips(path)
        assert skips
        for skip in skips:
            assert re.fullmatch(check_ids, skip.check) and len(skip.reason) >= 20, (path.name, skip.check)


def test_classify_counts_and_matches_skips_by_workspace_and_resource():
    skip = scan.Skip("CKV_AWS_1", "a reason long enough to read", ("storage",), ("aws_s3_bucket.logs*",))
    report = [{"results": {
        "passed_checks": [{"check_id": "CKV_AWS_2", "file_path": "/storage/cdk.tf.json", "resource": "aws_s3_bucket.logs_1"}],
        "failed_checks": [
            {"check_id": "CKV_AWS_1", "file_path": "/storage/cdk.tf.json", "resource": "aws_s3_bucket.logs_1"},
            {"check_id": "CKV_AWS_1", "file_path": "/storage/cdk.tf.json", "resource": "aws_s3_bucket.media_1"},
            {"check_id": "CKV_AWS_1", "file_path": "/network/cdk.tf.json", "resource": "aws_s3_bucket.logs_2"},
        ]}}]
    results, unused = scan.classify(report, [skip], ["storage", "network"])
    assert results["storage"].passed == 1
    assert [f.resource for f in results["storage"].skipped] == ["aws_s3_bucket.logs_1"]
    assert [f.resource for f in results["storage"].failed] == ["aws_s3_bucket.media_1"]
    assert [f.resource for f in results["network"].failed] == ["aws_s3_bucket.logs_2"]
    assert unused == []


def test_a_skip_without_reason_is_refused(tmp_path):
    bad = tmp_path / "skips.toml"
    bad.write_text('[[skip]]\ncheck = "CKV_AWS_1"\nreason = "because"\n')
    with pytest.raises(ValueError, match="needs a check id and a reason"):
        scan.load_skips(bad)


def test_a_skip_without_a_resource_filter_must_say_why_it_covers_everything(tmp_path):
    reason = 'reason = "a reason long enough to be read"\n'
    wide = tmp_path / "wide.toml"
    wide.write_text('[[skip]]\ncheck = "CKV_AWS_1"\n' + reason)
    with pytest.raises(ValueError, match=r"skip #1 \(CKV_AWS_1\) has no resource filter"):
        scan.load_skips(wide)
    wide.write_text('[[skip]]\ncheck = "CKV_AWS_1"\n' + reason + 'applies_to_all = "every bucket of any workspace is meant"\n')
    (skip,) = scan.load_skips(wide)
    assert skip.resources == ("*",)


def test_every_reviewed_skip_names_its_resources():
    for skip in scan.load_skips():
        assert skip.resources != ("*",), skip.check
