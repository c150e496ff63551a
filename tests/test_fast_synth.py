"""The lazy bindings loader changes how fast synth is, never what it writes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.definition import REPO_ROOT

ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def synth_in_new_process(outdir: Path, eager: bool) -> dict[str, bytes]:
    env = {**ENV, "CDKTF_OUTDIR": str(outdir), "APP_DW_EAGER_IMPORTS": "1" if eager else ""}
    done = subprocess.run([sys.executable, "main.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return {p.parent.name: p.read_bytes() for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}


@pytest.mark.slow
def test_lazy_and_eager_imports_synthesize_byte_identical_output(tmp_path):
    lazy = synth_in_new_process(tmp_path / "lazy", eager=False)
    eager = synth_in_new_process(tmp_path / "eager", eager=True)
    assert len(lazy) >= 21
    assert lazy.keys() == eager.keys()
    different = [name for name in lazy if lazy[name] != eager[name]]
    assert not different, f"lazy and eager synth differ in {different}"


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env={**ENV, **env},
                          capture_output=True, text=True)


def test_loader_imports_only_the_submodules_asked_for():
    done = run_python(
        "import sys\n"
        "from toolkit.bindings import install_lazy_provider_package\n"
        "assert install_lazy_provider_package() is True\n"
        "from cdktf_cdktf_provider_aws.vpc import Vpc\n"
        "loaded = [m.split('.')[1] for m in sys.modules if m.startswith('cdktf_cdktf_provider_aws.')]\n"
        "print(' '.join(sorted({m for m in loaded if not m.startswith('_')})))\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "vpc"  # not the other ~2,100 resource modules


def test_loader_refuses_other_binding_versions():
    done = run_python(
        "import importlib.metadata as metadata\n"
        "metadata.version = lambda name: '21.22.1'\n"
        "from toolkit.bindings import install_lazy_provider_package\n"
        "install_lazy_provider_package()\n")
    assert done.returncode != 0
    assert "cdktf-cdktf-provider-aws 21.22.1 is installed, but the fast loader is verified only for 20.1.0" in done.stderr
    assert "APP_DW_EAGER_IMPORTS=1" in done.stderr


def test_switch_turns_the_loader_off():
    done = run_python(
        "from toolkit.bindings import install_lazy_provider_package\n"
        "print(install_lazy_provider_package())\n", APP_DW_EAGER_IMPORTS="1")
    assert done.returncode == 0 and done.stdout.strip() == "False"
