"""The lazy bindings loader changes how fast synth is, never what it writes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.bindings import NODE_LAZY_INDEX
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


def test_only_the_jsii_kernel_gets_the_node_hook():
    """The kernel runs with the lazy index preloaded; NODE_OPTIONS is left as it was for the
    Node processes started after it."""
    code = ("import os\n"
            "from toolkit.bindings import install_lazy_provider_package\n"
            "install_lazy_provider_package()\n"
            "import constructs\n"
            "(kernel,) = open(f'/proc/{os.getpid()}/task/{os.getpid()}/children').read().split()\n"
            "environ = dict(v.split('=', 1) for v in open(f'/proc/{kernel}/environ').read().split('\\0') if v)\n"
            "print(environ.get('NODE_OPTIONS', ''), '|', os.environ.get('NODE_OPTIONS', ''))\n")
    kernel, after = run_python(code, NODE_OPTIONS="--no-warnings").stdout.split("|")
    assert kernel.strip() == f'--no-warnings --require "{NODE_LAZY_INDEX}"' and after.strip() == "--no-warnings"
    kernel, _ = run_python(code, APP_DW_EAGER_IMPORTS="1", NODE_OPTIONS="--no-warnings").stdout.split("|")
    assert kernel.strip() == "--no-warnings"


# --- the Node half: a stand-in package laid out like the provider's (tsc output of `export * as`)

def fake_provider(root: Path, index_lines: list[str], name: str = "@cdktf/provider-aws") -> Path:
    package = root / "node_modules" / name
    (package / "lib").mkdir(parents=True)
    (package / "package.json").write_text(f'{{"name": "{name}", "main": "lib/index.js"}}')
    for module in ("vpc", "s3-bucket"):
        (package / "lib" / f"{module}.js").write_text(
            f"globalThis.loaded = [...(globalThis.loaded || []), '{module}']; exports.Thing = '{module}';\n")
    (package / "lib" / "index.js").write_text("\n".join(['"use strict";', *index_lines, ""]))
    return root


TSC_INDEX = ['Object.defineProperty(exports, "__esModule", { value: true });',
             "exports.s3Bucket = exports.vpc = void 0;",
             'exports.vpc = require("./vpc");', 'exports.s3Bucket = require("./s3-bucket");']


def run_node(root: Path, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["node", "--require", str(NODE_LAZY_INDEX), "-e", script], cwd=root,
                          capture_output=True, text=True)


USE_VPC = ("const p = require('@cdktf/provider-aws'); const before = globalThis.loaded || [];"
           "console.log(JSON.stringify([before, p.vpc.Thing, globalThis.loaded, Object.keys(p)]));")


def test_node_index_requires_a_submodule_only_when_it_is_used(tmp_path):
    done = run_node(fake_provider(tmp_path, TSC_INDEX), USE_VPC)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[], "vpc", ["vpc"], ["vpc", "s3Bucket"]]
    assert done.stderr == ""


def test_node_index_of_an_unexpected_layout_loads_as_published_and_says_so(tmp_path):
    index = [*TSC_INDEX, 'const extra = require("./vpc");']
    done = run_node(fake_provider(tmp_path, index), USE_VPC)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0] == ["vpc", "s3-bucket"]  # eager, as published
    assert "unexpected layout; loading it as published" in done.stderr


def test_node_hook_leaves_other_packages_alone(tmp_path):
    fake_provider(tmp_path, TSC_INDEX, name="other-provider")
    done = run_node(tmp_path, "require('other-provider'); console.log(JSON.stringify(globalThis.loaded));")
    assert done.returncode == 0 and json.loads(done.stdout) == ["vpc", "s3-bucket"]
