"""Running Terraform over synthesized workspaces: init, validate (and later plan/apply).

Terraform finds the AWS provider through a CLI config of the project's own: where the
offline provider mirror exists (this machine and CI), `filesystem_mirror` serves
hashicorp/aws and the registry is never asked; elsewhere Terraform uses the registry as
usual. From the mirror, init links the provider instead of copying it; from the registry,
a shared plugin cache does the same once the first workspace has filled it (the cache is
not safe for concurrent first installs, so that first init runs alone).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from toolkit.definition import REPO_ROOT
from toolkit.report import table

PROVIDER_MIRROR = Path(os.environ.get("APP_DW_PROVIDER_MIRROR", "/opt/tf-plugins"))
PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws"
CACHE_DIR = REPO_ROOT / ".cache" / "terraform"


class TerraformMissing(RuntimeError):
    """Terraform or the provider it needs cannot be found; the message says which."""


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if not found:
        raise TerraformMissing("terraform is not on PATH: install Terraform 1.11 (see README, Requirements)")
    return found


def cli_config() -> Path | None:
    """Write the project's Terraform CLI config; None where no mirror exists (use the registry)."""
    if not (PROVIDER_MIRROR / PROVIDER_SOURCE).is_dir():
        return None
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    config = CACHE_DIR / "terraformrc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{PROVIDER_MIRROR}"\n    include = ["{PROVIDER_SOURCE}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{PROVIDER_SOURCE}"]\n  }}\n'
        "}\n"
    )
    return config


def terraform_env() -> dict[str, str]:
    env = dict(os.environ)
    config = cli_config()
    if config:
        env["TF_CLI_CONFIG_FILE"] = str(config)
    else:
        env.pop("TF_CLI_CONFIG_FILE", None)  # a stale path would make Terraform fail oddly
        plugin_cache = CACHE_DIR / "plugin-cache"
        plugin_cache.mkdir(parents=True, exist_ok=True)
        env["TF_PLUGIN_CACHE_DIR"] = str(plugin_cache)
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    env["CHECKPOINT_DISABLE"] = "1"
    return env


@dataclass(frozen=True)
class StepResult:
    workspace: str
    ok: bool
    seconds: float
    detail: str


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([terraform_binary(), *args], cwd=cwd, env=env, capture_output=True, text=True)


def init_failure_message(output: str) -> str:
    if "Failed to query available provider packages" in output or "could not connect" in output.lower():
        return (f"provider {PROVIDER_SOURCE} could not be installed: no mirror at {PROVIDER_MIRROR} "
                "and the Terraform registry is unreachable")
    return output.strip().splitlines()[-1] if output.strip() else "terraform init failed"


def validate_workspace(directory: Path, env: dict[str, str]) -> StepResult:
    started = time.perf_counter()
    name = directory.name
    init = run(["init", "-backend=false", "-input=false", "-no-color"], directory, env)
    if init.returncode != 0:
        return StepResult(name, False, time.perf_counter() - started, "init: " + init_failure_message(init.stdout + init.stderr))
    check = run(["validate", "-json", "-no-color"], directory, env)
    seconds = time.perf_counter() - started
    try:
        report = json.loads(check.stdout)
    except json.JSONDecodeError:
        return StepResult(name, False, seconds, (check.stderr or check.stdout).strip()[:300])
    problems = [f"{d['severity']}: {d['summary']}" + (f" ({d['range']['filename']})" if d.get("range") else "")
                + (f" - {d['detail']}" if d.get("detail") else "")
                for d in report.get("diagnostics", []) if d["severity"] == "error"]
    warnings = sum(1 for d in report.get("diagnostics", []) if d["severity"] == "warning")
    detail = "; ".join(problems) if problems else (f"{warnings} warning(s)" if warnings else "")
    return StepResult(name, bool(report.get("valid")) and not problems, seconds, detail)


def validate_all(stacks_dir: Path, workspaces: list[str] | None = None, parallel: int = 2,
                 progress=None) -> list[StepResult]:
    env = terraform_env()
    directories = sorted(p for p in stacks_dir.iterdir() if (p / "cdk.tf.json").exists())
    if workspaces:
        unknown = set(workspaces) - {d.name for d in directories}
        if unknown:
            raise ValueError(f"no synthesized workspace named {', '.join(sorted(unknown))}")
        directories = [d for d in directories if d.name in workspaces]
    results: list[StepResult] = []

    def one(directory: Path) -> StepResult:
        result = validate_workspace(directory, env)
        results.append(result)
        if progress:
            progress(f"[{len(results):>2}/{len(directories)}] {result.workspace}: "
                     f"{'valid' if result.ok else 'INVALID'} ({result.seconds:.1f} s)")
        return result

    if "TF_PLUGIN_CACHE_DIR" in env and directories:
        one(directories[0])  # fills the plugin cache before parallel inits read it
        directories_left = directories[1:]
    else:
        directories_left = directories
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(one, directories_left))
    return sorted(results, key=lambda r: r.workspace)


def validate_command(environment: str | None, workspaces: list[str], parallel: int = 2) -> int:
    from toolkit.definition import load_platform
    from toolkit.synth import synthesize

    platform = load_platform(environment=environment)
    try:
        terraform_binary()
    except TerraformMissing as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"provider: {'mirror ' + str(PROVIDER_MIRROR) if cli_config() else 'Terraform registry (no mirror found)'}")
    result = synthesize(platform, progress=lambda line: print(line, flush=True))
    started = time.perf_counter()
    results = validate_all(result.outdir / "stacks", workspaces or None, parallel,
                           progress=lambda line: print(line, flush=True))
    print()
    print(table(["workspace", "result", "seconds", "detail"],
                [[r.workspace, "valid" if r.ok else "INVALID", r.seconds, r.detail] for r in results]))
    failed = [r for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)}/{len(results)} workspaces valid in {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0
