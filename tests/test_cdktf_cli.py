"""The cdktf CLI installed into the project runs the same app, writes the same JSON, and runs the
README's flow against the emulator: `deploy bootstrap` on local state, `deploy storage network`
on the S3 backend it made, `diff` with and without a definition change, `destroy` in reverse
order. Offline: checkpoint and telemetry off, the provider from the mirror.

The full flow takes minutes (S3 lifecycle waits), so it is marked `e2e` and runs in `make e2e`;
`make test` runs its first step, a `cdktf diff bootstrap` against the emulator.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from toolkit import e2e, emulator
from toolkit.definition import DEFAULT_DEFINITION, REPO_ROOT
from toolkit.state import state_bucket

CDKTF = REPO_ROOT / "node_modules" / ".bin" / "cdktf"
CLI_ENV = {"CI": "1", "CHECKPOINT_DISABLE": "1", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def require_cli() -> None:
    if not CDKTF.exists():
        pytest.fail(f"{CDKTF} is missing: make setup installs cdktf-cli@0.21.0 into the project")


def cdktf(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(CDKTF), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def offline(command: str, *args: str) -> list[str]:
    """A cdktf command as the README gives it: no provider lock (it would ask the registry for
    every platform's checksums), no colours (the output is read)."""
    return [command, *args, "--skip-provider-lock", "--no-color"]


def output(done: subprocess.CompletedProcess) -> str:
    return done.stdout[-4000:] + done.stderr[-4000:]


@pytest.mark.slow
def test_cdktf_synth_writes_what_make_synth_writes(synth, tmp_path):
    require_cli()
    env = {**os.environ, **CLI_ENV}
    env.pop("APP_DW_EAGER_IMPORTS", None)
    done = cdktf("synth", "--output", str(tmp_path / "out"), env=env, timeout=300)
    assert done.returncode == 0, output(done)
    for name in synth.stacks:
        written = (tmp_path / "out" / "stacks" / name / "cdk.tf.json").read_bytes()
        assert written == (synth.outdir / "stacks" / name / "cdk.tf.json").read_bytes(), name


def test_cli_is_pinned_in_the_project():
    assert json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["cdktf-cli"] == "0.21.0"
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/cdktf-cli"]["version"] == "0.21.0"
    assert json.loads((REPO_ROOT / "cdktf.json").read_text())["app"] == ".venv/bin/python main.py"


# ---------------------------------------------------------------------- against the emulator

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with emulator.Emulator(tmp_path_factory.mktemp("cli-emulator") / "moto.log") as running:
        yield running


def cli_environment(url: str, **extra: str) -> dict[str, str]:
    """What the README tells a user to set for the emulator target: the target, the emulator's
    URL and keys (emulator.terraform_environment), the project's CLI config, telemetry off."""
    env = emulator.terraform_environment(url)
    env.pop("APP_DW_EAGER_IMPORTS", None)
    return {**env, **CLI_ENV, "APP_DW_TARGET": "emulator", "APP_DW_EMULATOR_URL": url, **extra}


@pytest.mark.slow
def test_cdktf_diff_of_bootstrap_plans_against_the_emulator_offline(server, tmp_path):
    require_cli()
    server.reset()
    env = cli_environment(server.url)
    done = cdktf(*offline("diff", "bootstrap", "--output", str(tmp_path / "out")), env=env)
    assert done.returncode == 0, output(done)
    resources = sum(len(bodies) for bodies in json.loads((tmp_path / "out" / "stacks" / "bootstrap" / "cdk.tf.json")
                                                         .read_text())["resource"].values())
    assert re.search(rf"Plan: {resources} to add, 0 to change, 0 to destroy", done.stdout), output(done)
    assert not server.client("s3").list_buckets()["Buckets"]     # a diff creates nothing


def longer_log_retention(directory: Path) -> Path:
    text, count = re.subn(r"^log_retention_days = 7 ", "log_retention_days = 14 ", DEFAULT_DEFINITION.read_text(),
                          flags=re.MULTILINE)
    assert count == 1
    path = directory / "platform.toml"
    path.write_text(text)
    return path


@pytest.mark.e2e
def test_the_readme_flow_deploys_diffs_and_destroys_with_the_cdktf_cli(server, tmp_path):
    require_cli()
    server.reset()
    out = tmp_path / "out"
    env = cli_environment(server.url)
    stacks = out / "stacks"

    deployed = cdktf(*offline("deploy", "bootstrap", "--auto-approve", "--output", str(out)), env=env)
    assert deployed.returncode == 0, output(deployed)
    assert (stacks / "bootstrap" / "terraform.tfstate").exists()    # bootstrap keeps its state locally
    bucket = state_bucket({name: json.loads((stacks / name / "cdk.tf.json").read_text())
                           for name in ("storage", "network")})
    s3 = server.client("s3")
    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}

    deployed = cdktf(*offline("deploy", "storage", "network", "--auto-approve", "--output", str(out)), env=env)
    assert deployed.returncode == 0, output(deployed)
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert {"dev/storage/terraform.tfstate", "dev/network/terraform.tfstate"} <= keys

    same = cdktf(*offline("diff", "network", "--output", str(out)), env=env)
    assert same.returncode == 0 and "No changes." in same.stdout, output(same)

    changed = cdktf(*offline("diff", "network", "--output", str(tmp_path / "changed")),
                    env={**env, "APP_DW_CONFIG": str(longer_log_retention(tmp_path))})
    assert changed.returncode == 0, output(changed)
    assert "Plan: 0 to add, 1 to change, 0 to destroy" in changed.stdout, output(changed)
    assert re.search(r"retention_in_days\s+= 7 -> 14", changed.stdout), output(changed)

    # What the README says an operator does first: the log bucket is rightly not force_destroy.
    e2e.prepare_destroy(server, json.loads((stacks / "storage" / "cdk.tf.json").read_text()))
    # Part of the platform: the CLI refuses unless told its readers (never deployed here) are not in the run,
    # and with that flag it restarts a stack still being destroyed when a second one waits: one per command.
    for workspace in ("network", "storage"):
        destroyed = cdktf(*offline("destroy", workspace, "--auto-approve", "--ignore-missing-stack-dependencies",
                                   "--output", str(out)), env=env)
        assert destroyed.returncode == 0, output(destroyed)
    # bootstrap last, prepared the same way from its local state (the state bucket and its logs emptied)
    e2e.prepare_destroy(server, json.loads((stacks / "bootstrap" / "cdk.tf.json").read_text()),
                        e2e.local_state(stacks / "bootstrap"))
    destroyed = cdktf(*offline("destroy", "bootstrap", "--auto-approve", "--ignore-missing-stack-dependencies",
                               "--output", str(out)), env=env)
    assert destroyed.returncode == 0, output(destroyed)
    found, _ = e2e.inventory(server)
    assert not found, found
