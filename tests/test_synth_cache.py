"""The no-op cache: a second synth of unchanged inputs is fast, and never stale."""
from __future__ import annotations

import shutil

import pytest

from toolkit import synth as synth_module
from toolkit.definition import REPO_ROOT, load_platform


@pytest.fixture()
def tree_copy(tmp_path, monkeypatch):
    """A copy of every synth input, so a test can change one without touching the repo."""
    copy = tmp_path / "tree"
    for directory in synth_module.SOURCE_DIRS:
        shutil.copytree(REPO_ROOT / directory, copy / directory, ignore=shutil.ignore_patterns("__pycache__"))
    for name in (*synth_module.SOURCE_FILES, "platform.toml"):
        shutil.copy(REPO_ROOT / name, copy / name)
    monkeypatch.setattr(synth_module, "REPO_ROOT", copy)
    return copy


def test_key_changes_with_every_kind_of_input(tree_copy, monkeypatch):
    platform = load_platform(tree_copy / "platform.toml", "dev")
    key = synth_module.input_key(platform)
    assert synth_module.input_key(load_platform(tree_copy / "platform.toml", "dev")) == key

    (tree_copy / "building_blocks" / "secure_bucket.py").write_text(
        (tree_copy / "building_blocks" / "secure_bucket.py").read_text() + "\n# changed\n")
    changed_code = synth_module.input_key(platform)
    assert changed_code != key

    definition = tree_copy / "platform.toml"
    definition.write_text(definition.read_text().replace('alarm_email = "ops@app-dw.net"', 'alarm_email = "sre@app-dw.net"'))
    changed_definition = synth_module.input_key(load_platform(definition, "dev"))
    assert changed_definition != changed_code

    assert synth_module.input_key(load_platform(definition, "prod")) != changed_definition
    monkeypatch.setenv("APP_DW_EAGER_IMPORTS", "1")
    assert synth_module.input_key(load_platform(definition, "dev")) != changed_definition


@pytest.mark.slow
def test_second_synth_is_reused_and_an_edited_output_is_rebuilt(tmp_path, platform):
    first = synth_module.synthesize(platform, tmp_path, use_cache=True)
    assert not first.cached
    second = synth_module.synthesize(platform, tmp_path, use_cache=True)
    assert second.cached and second.seconds < 2
    assert second.stacks == first.stacks
    edited = tmp_path / "stacks" / "network" / "cdk.tf.json"
    edited.write_text(edited.read_text().replace("10.0.0.0/16", "10.9.0.0/16"))
    third = synth_module.synthesize(platform, tmp_path, use_cache=True)
    assert not third.cached
    assert third.stacks == first.stacks
