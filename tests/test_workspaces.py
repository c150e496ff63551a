"""Every workspace stands on its own: its own state, tagged provider, declared reads only."""
from __future__ import annotations

import json
import re
import tomllib

import pytest
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter

from tests.tf import remote_reads, resources
from toolkit.definition import DEFAULT_DEFINITION, DefinitionError, parse_definition
from workspaces.base import Workspace
from workspaces.registry import WorkspaceSpec, deploy_order, workspace_specs


def test_every_workspace_of_the_registry_is_synthesized(stacks, platform):
    names = [spec.name for spec in workspace_specs(platform)]
    assert sorted(stacks) == sorted(names)
    for project in platform.projects:
        for component in ("backend", "frontend", "pipeline"):
            assert f"{project.name}-{component}" in stacks


def test_each_workspace_keeps_encrypted_locked_state_under_its_own_key(stacks):
    for name, stack in stacks.items():
        backend = stack["terraform"]["backend"]
        if name == "bootstrap":
            assert backend == {"local": {"path": "terraform.tfstate"}}
            continue
        s3 = backend["s3"]
        assert s3["bucket"] == "app-dw-terraform-state-dev-111122223333", name
        assert s3["key"] == f"dev/{name}/terraform.tfstate"
        assert s3["encrypt"] is True and s3["use_lockfile"] is True, name
        assert s3["region"] == "us-east-1"


def test_state_keys_follow_the_environment(synth_env):
    prod = synth_env("prod").stacks
    assert prod["network"]["terraform"]["backend"]["s3"]["key"] == "prod/network/terraform.tfstate"


def test_each_environment_has_its_own_state_bucket_in_its_own_account(synth_env):
    """S3 names are global and each environment is its own account: one fixed name could be created
    only once (and taken by anyone first). Dev and prod side by side: bootstrap creates the bucket
    every backend block and every remote-state read of that environment names."""
    buckets = {}
    for environment, account in (("dev", "111122223333"), ("prod", "444455556666")):
        stacks = synth_env(environment).stacks
        expected = f"app-dw-terraform-state-{environment}-{account}"
        (state,) = [b for b in resources(stacks["bootstrap"], "aws_s3_bucket").values() if b["bucket"] == expected]
        for name, stack in stacks.items():
            if name != "bootstrap":
                assert stack["terraform"]["backend"]["s3"]["bucket"] == expected, name
            for read in stack.get("data", {}).get("terraform_remote_state", {}).values():
                assert read["config"]["bucket"] == expected, name
            (provider,) = stack["provider"]["aws"]
            assert provider["allowed_account_ids"] == [account], name
        buckets[environment] = state["bucket"]
    assert buckets["dev"] != buckets["prod"]


def test_the_state_bucket_logs_every_access_to_a_bucket_only_its_logging_may_write(stacks):
    bootstrap = stacks["bootstrap"]
    buckets = {b["bucket"]: name for name, b in resources(bootstrap, "aws_s3_bucket").items()}
    state, logs = "app-dw-terraform-state-dev-111122223333", "app-dw-terraform-state-dev-111122223333-access-logs"
    assert set(buckets) == {state, logs}
    (logging,) = resources(bootstrap, "aws_s3_bucket_logging").values()
    assert logging["bucket"] == f"${{aws_s3_bucket.{buckets[state]}.id}}"
    assert logging["target_bucket"] == f"${{aws_s3_bucket.{buckets[logs]}.bucket}}"
    assert logging["target_prefix"] == "state/"
    (policy_body,) = [p for p in resources(bootstrap, "aws_s3_bucket_policy").values()
                      if p["bucket"] == f"${{aws_s3_bucket.{buckets[logs]}.id}}"]
    (writer,) = [s for s in json.loads(policy_body["policy"])["Statement"] if s.get("Sid") == "StateBucketAccessLogs"]
    assert writer["Principal"] == {"Service": "logging.s3.amazonaws.com"} and writer["Action"] == ["s3:PutObject"]
    assert writer["Resource"] == [f"arn:aws:s3:::{logs}/state/*"]
    assert writer["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:s3:::{state}"}
    (encryption,) = [e for e in resources(bootstrap, "aws_s3_bucket_server_side_encryption_configuration").values()
                     if e["bucket"] == f"${{aws_s3_bucket.{buckets[logs]}.id}}"]
    # S3 server access logs are delivered only to SSE-S3 buckets.
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "AES256"


def test_environments_must_be_accounts_of_their_own():
    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    data["environments"]["prod"]["account_id"] = data["environments"]["dev"]["account_id"]
    with pytest.raises(DefinitionError, match="environments share an AWS account"):
        parse_definition(data)


def test_every_provider_carries_the_default_tags(stacks):
    for name, stack in stacks.items():
        (provider,) = stack["provider"]["aws"]
        assert provider["region"] == "us-east-1"
        assert provider["default_tags"] == [{"tags": {
            "project": "app-dw", "environment": "dev", "workspace": name, "managed-by": "cdktf"}}], name


def test_provider_version_is_pinned_to_the_mirrored_release(stacks):
    for stack in stacks.values():
        assert stack["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"


# What each workspace read before the reads were derived from the builds (the registry's
# declarations at main 40f8077, but for the media buckets beside the sites and Writing
# Practice's secret): the derivation must keep the platform's order exactly.
READS_BEFORE = {
    "bootstrap": (),
    "storage": (),
    "network": ("storage",),
    "edge": ("storage", "network"),
    "auth": ("storage", "edge"),
    "database": ("storage", "network"),
    "cluster": ("storage", "network"),
    "ai": (),
    "monitoring": ("storage", "edge", "auth", "database", "cluster"),
    # A media project's API writes to the media bucket beside its site: its frontend first.
    "lang-portal-frontend": ("storage", "edge"),
    "lang-portal-backend": ("storage", "network", "edge", "auth", "database", "cluster", "ai", "monitoring",
                            "lang-portal-frontend"),
    "lang-portal-pipeline": ("storage", "auth", "cluster", "lang-portal-backend", "lang-portal-frontend"),
    "haiku-frontend": ("storage", "edge"),
    "haiku-backend": ("storage", "network", "edge", "auth", "database", "cluster", "ai", "monitoring",
                      "haiku-frontend"),
    "haiku-pipeline": ("storage", "auth", "cluster", "haiku-backend", "haiku-frontend"),
    "vocab-generator-backend": ("storage", "network", "auth", "cluster", "ai", "monitoring"),
    "vocab-generator-frontend": ("storage", "network", "edge", "auth", "cluster", "monitoring",
                                 "vocab-generator-backend"),
    "vocab-generator-pipeline": ("storage", "cluster", "vocab-generator-backend", "vocab-generator-frontend"),
    "writing-practice-backend": ("storage",),
    # No secret any more (it acts as the learner, issue 16), so no data key from storage.
    "writing-practice-frontend": ("network", "edge", "auth", "cluster", "ai", "monitoring",
                                  "writing-practice-backend"),
    "writing-practice-pipeline": ("storage", "cluster", "writing-practice-backend", "writing-practice-frontend"),
}


def test_reads_come_from_the_builds_and_keep_the_platforms_order(synth, platform):
    workspaces = synth.workspaces(platform)
    assert {spec.name: spec.reads for spec in workspaces} == READS_BEFORE
    assert [spec.name for spec in workspaces] == list(READS_BEFORE)


def test_reads_are_the_remote_states_each_stack_holds_and_name_published_outputs(stacks, synth):
    for name, stack in stacks.items():
        used = remote_reads(stack)
        assert set(used) == set(synth.reads[name]), name
        for workspace, outputs in used.items():
            missing = set(outputs) - set(stacks[workspace].get("output", {}))
            assert not missing, f"{name} reads {sorted(missing)} that {workspace} does not publish"


def test_remote_state_points_at_the_same_bucket_and_environment(stacks):
    for name, stack in stacks.items():
        for body in stack.get("data", {}).get("terraform_remote_state", {}).values():
            assert body["backend"] == "s3"
            assert body["config"]["bucket"] == "app-dw-terraform-state-dev-111122223333"
            assert body["config"]["key"].startswith("dev/"), name


def test_deploy_order_puts_every_workspace_after_what_it_reads(synth, platform):
    workspaces = synth.workspaces(platform)
    order = [spec.name for spec in workspaces]
    assert order[0] == "bootstrap"
    for spec in workspaces:
        for dependency in spec.reads:
            assert order.index(dependency) < order.index(spec.name)


def test_cdktf_dependencies_are_the_reads(synth, platform):
    """`cdktf deploy --all` orders by the stack dependencies main.py adds from the reads."""
    manifest = json.loads((synth.outdir / "manifest.json").read_text())["stacks"]
    for spec in synth.workspaces(platform):
        assert tuple(manifest[spec.name]["dependencies"]) == spec.reads, spec.name


def test_a_cycle_or_unknown_read_is_refused(platform):
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        deploy_order([WorkspaceSpec("a", "x:y", ("b",)), WorkspaceSpec("b", "x:y", ("a",))])
    with pytest.raises(ValueError, match="'a' reads 'ghost', which is not a workspace"):
        deploy_order([WorkspaceSpec("a", "x:y", ("ghost",))])


class Reader(Workspace):
    """Reads whatever the test names, through the same `read` every workspace uses."""

    wanted: tuple[str, str] = ("storage", "kms_key_arn_logs")

    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        SsmParameter(self, "echo", name="echo", type="String", value=self.read(*self.wanted))


@pytest.mark.parametrize("wanted, message", [
    (("ghost", "anything"), "workspace 'reader' reads 'ghost', which is not a workspace"),
    (("storage", "no_such_output"), "workspace 'reader' reads output 'no_such_output' of 'storage', which "
                                    "'storage' does not publish"),
])
def test_a_read_of_an_unknown_workspace_or_output_stops_the_build(monkeypatch, platform, tmp_path, wanted, message):
    import main
    from workspaces import registry

    monkeypatch.setattr(Reader, "wanted", wanted)
    specs = registry.workspace_specs(platform)
    monkeypatch.setattr(main, "workspace_specs", lambda _: [
        s for s in specs if s.name in ("bootstrap", "storage")] + [WorkspaceSpec("reader", "tests.test_workspaces:Reader")])
    with pytest.raises(ValueError, match=re.escape(message)):
        main.build_app(platform, tmp_path)
