"""`terraform validate` passes on every workspace, with the real provider schema."""
from __future__ import annotations

import shutil

import pytest

from toolkit import terraform


@pytest.mark.slow
def test_every_workspace_validates(synth):
    if not shutil.which("terraform"):
        pytest.fail("terraform is not on PATH: the suite needs Terraform 1.11 to validate the workspaces")
    if terraform.cli_config() is None:
        pytest.fail(f"the provider mirror {terraform.PROVIDER_MIRROR} is missing and the registry is unreachable here")
    results = terraform.validate_all(synth.outdir / "stacks", parallel=2)
    assert len(results) == len(synth.stacks)
    failures = {r.workspace: r.summary for r in results if not r.ok}
    assert not failures


def test_missing_terraform_is_named(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(terraform.TerraformMissing, match="terraform is not on PATH"):
        terraform.terraform_binary()


def test_cli_config_uses_the_mirror_only_where_it_exists(monkeypatch, tmp_path):
    monkeypatch.setattr(terraform, "CACHE_DIR", tmp_path / "cache")  # never touch the shared config
    monkeypatch.setattr(terraform, "PROVIDER_MIRROR", tmp_path / "nowhere")
    assert terraform.cli_config() is None
    assert "TF_PLUGIN_CACHE_DIR" in terraform.terraform_env()
    mirror = tmp_path / "mirror"
    (mirror / terraform.PROVIDER_SOURCE).mkdir(parents=True)
    monkeypatch.setattr(terraform, "PROVIDER_MIRROR", mirror)
    text = terraform.cli_config().read_text()
    assert f'path    = "{mirror}"' in text and 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text
