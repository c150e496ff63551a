"""The cdktf CLI installed into the project runs the same app and writes the same JSON."""
from __future__ import annotations

import os
import subprocess

import pytest

from toolkit.definition import REPO_ROOT

CDKTF = REPO_ROOT / "node_modules" / ".bin" / "cdktf"


@pytest.mark.slow
def test_cdktf_synth_writes_what_make_synth_writes(synth, tmp_path):
    if not CDKTF.exists():
        pytest.fail(f"{CDKTF} is missing: make setup installs cdktf-cli@0.21.0 into the project")
    env = {**os.environ, "CI": "1", "CHECKPOINT_DISABLE": "1", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    env.pop("APP_DW_EAGER_IMPORTS", None)
    done = subprocess.run([str(CDKTF), "synth", "--output", str(tmp_path / "out")], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for name in synth.stacks:
        written = (tmp_path / "out" / "stacks" / name / "cdk.tf.json").read_bytes()
        assert written == (synth.outdir / "stacks" / name / "cdk.tf.json").read_bytes(), name


def test_cli_is_pinned_in_the_project():
    import json

    assert json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["cdktf-cli"] == "0.21.0"
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/cdktf-cli"]["version"] == "0.21.0"
    assert json.loads((REPO_ROOT / "cdktf.json").read_text())["app"] == ".venv/bin/python main.py"
