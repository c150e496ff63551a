"""Every workspace stands on its own: its own state, tagged provider, declared reads only."""
from __future__ import annotations

from tests.tf import remote_reads
from workspaces.registry import deploy_order, workspace_specs


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
        assert s3["bucket"] == "app-dw-terraform-state", name
        assert s3["key"] == f"dev/{name}/terraform.tfstate"
        assert s3["encrypt"] is True and s3["use_lockfile"] is True, name
        assert s3["region"] == "us-east-1"


def test_state_keys_follow_the_environment(synth_env):
    prod = synth_env("prod").stacks
    assert prod["network"]["terraform"]["backend"]["s3"]["key"] == "prod/network/terraform.tfstate"


def test_every_provider_carries_the_default_tags(stacks):
    for name, stack in stacks.items():
        (provider,) = stack["provider"]["aws"]
        assert provider["region"] == "us-east-1"
        assert provider["default_tags"] == [{"tags": {
            "project": "app-dw", "environment": "dev", "workspace": name, "managed-by": "cdktf"}}], name


def test_provider_version_is_pinned_to_the_mirrored_release(stacks):
    for stack in stacks.values():
        assert stack["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"


def test_cross_workspace_reads_name_real_workspaces_and_declared_outputs(stacks, platform):
    specs = {spec.name: spec for spec in workspace_specs(platform)}
    for name, stack in stacks.items():
        for workspace, outputs in remote_reads(stack).items():
            assert workspace in specs[name].reads, f"{name} reads {workspace} without declaring it"
            declared = set(stacks[workspace].get("output", {}))
            missing = set(outputs) - declared
            assert not missing, f"{name} reads {sorted(missing)} that {workspace} does not publish"


def test_remote_state_points_at_the_same_bucket_and_environment(stacks):
    for name, stack in stacks.items():
        for body in stack.get("data", {}).get("terraform_remote_state", {}).values():
            assert body["backend"] == "s3"
            assert body["config"]["bucket"] == "app-dw-terraform-state"
            assert body["config"]["key"].startswith("dev/"), name


def test_declared_reads_are_all_used(stacks, platform):
    """A declared read that is never used would order deploys for nothing."""
    for spec in workspace_specs(platform):
        used = set(remote_reads(stacks[spec.name]))
        assert used == set(spec.reads), f"{spec.name}: declared {sorted(spec.reads)}, uses {sorted(used)}"


def test_deploy_order_puts_every_workspace_after_what_it_reads(platform):
    order = [spec.name for spec in deploy_order(workspace_specs(platform))]
    assert order[0] == "bootstrap"
    for spec in workspace_specs(platform):
        for dependency in spec.reads:
            assert order.index(dependency) < order.index(spec.name)


def test_cdktf_dependencies_match_the_registry(synth, platform):
    """`cdktf deploy --all` orders by the stack dependencies main.py adds from the registry."""
    import json

    manifest = json.loads((synth.outdir / "manifest.json").read_text())["stacks"]
    for spec in workspace_specs(platform):
        assert sorted(manifest[spec.name]["dependencies"]) == sorted(spec.reads), spec.name


def test_a_cycle_or_unknown_read_is_refused(platform):
    import pytest

    from workspaces.registry import WorkspaceSpec

    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        deploy_order([WorkspaceSpec("a", "x:y", ("b",)), WorkspaceSpec("b", "x:y", ("a",))])
    with pytest.raises(ValueError, match="'a' reads 'ghost', which is not a workspace"):
        deploy_order([WorkspaceSpec("a", "x:y", ("ghost",))])
