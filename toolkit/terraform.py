"""Running Terraform over synthesized workspaces: validate, and the runner plan, drift and e2e share.

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
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from toolkit.definition import REPO_ROOT, Platform
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
    """Write the project's Terraform CLI config; None where no mirror exists (use the registry).

    Written atomically and only when it changes: parallel runs read it while others start."""
    if not (PROVIDER_MIRROR / PROVIDER_SOURCE).is_dir():
        return None
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    config = CACHE_DIR / "terraformrc"
    text = ("provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{PROVIDER_MIRROR}"\n    include = ["{PROVIDER_SOURCE}"]\n  }}\n'
            f'  direct {{\n    exclude = ["{PROVIDER_SOURCE}"]\n  }}\n'
            "}\n")
    if not config.exists() or config.read_text() != text:
        draft = config.with_name(f"terraformrc.{os.getpid()}.{threading.get_ident()}")
        draft.write_text(text)
        os.replace(draft, config)
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
    # Terraform and the provider are short-lived Go processes that spend a quarter of their CPU
    # collecting garbage while they load the provider's schema: collecting a quarter as often
    # costs ~150 MB more memory per command and saves ~25% CPU (docs/performance.md).
    env.setdefault("GOGC", "400")
    return env


@dataclass
class StepResult:
    workspace: str
    step: str
    ok: bool
    seconds: float
    summary: str = ""          # what failed (translated), or what the step did ("+12 ~0 -0")
    log: Path | None = None


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([terraform_binary(), *args], cwd=cwd, env=env, capture_output=True, text=True)


def target_environment(platform: Platform) -> dict[str, str]:
    """Terraform's environment for the platform's target: the user's own AWS credentials, or
    the local emulator (toolkit/emulator.py)."""
    if platform.on_emulator:
        from toolkit.emulator import terraform_environment

        return terraform_environment(platform.emulator_url)
    return terraform_env()


class TerraformRunner:
    """Terraform in the synthesized workspaces: a log per step, a timeout per step, and
    `interrupt()` (Ctrl-C for every Terraform still running: each stops cleanly and releases its lock)."""

    def __init__(self, stacks_dir: Path, env: dict[str, str], *, logs: Path | None = None, step_timeout: float = 900):
        self.stacks_dir = stacks_dir
        self.env = env
        self.step_timeout = step_timeout
        self.logs = logs or stacks_dir.parent / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.binary = terraform_binary()
        self.running: set[subprocess.Popen] = set()

    def interrupt(self) -> None:
        for process in list(self.running):
            process.send_signal(signal.SIGINT)

    def stack(self, workspace: str) -> dict:
        return json.loads((self.stacks_dir / workspace / "cdk.tf.json").read_text())

    def terraform(self, workspace: str, step: str, args: list[str],
                  on_line: Callable[[str], None] | None = None) -> tuple[int, str, float]:
        """(exit code, output, seconds), with `on_line` called for each line as Terraform writes
        it; a step over the timeout is interrupted as Ctrl-C would (then killed a minute later)."""
        started = time.perf_counter()
        process = subprocess.Popen([self.binary, *args], cwd=self.stacks_dir / workspace, env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.running.add(process)
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            process.send_signal(signal.SIGINT)   # Terraform stops cleanly and releases the state lock
            killer = threading.Timer(60, process.kill)
            killer.daemon = True
            killer.start()

        watchdog = threading.Timer(self.step_timeout, stop)
        watchdog.daemon = True
        watchdog.start()
        lines: list[str] = []
        try:
            for line in process.stdout:
                lines.append(line)
                if on_line:
                    on_line(line)
            process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            watchdog.cancel()
            self.running.discard(process)
        output = "".join(lines)
        if timed_out.is_set():
            output += f"\nError: timed out after {self.step_timeout:.0f} s\n"
        (self.logs / f"{workspace}.{step}.log").write_text(output)
        return process.returncode, output, time.perf_counter() - started

    def step(self, workspace: str, step: str, args: list[str], ok_codes: Iterable[int] = (0,),
             on_line: Callable[[str], None] | None = None) -> tuple[StepResult, str, int]:
        """One Terraform command as a result; a failure is explained (toolkit/diagnostics.py)."""
        from toolkit.diagnostics import explain

        code, output, seconds = self.terraform(workspace, step, args, on_line)
        ok = code in tuple(ok_codes)
        summary = "" if ok else explain(workspace, output, self.stack(workspace))
        return StepResult(workspace, step, ok, seconds, summary, self.logs / f"{workspace}.{step}.log"), output, code

    def init(self, workspace: str) -> StepResult:
        # -reconfigure: the backend settings may differ from the last init (validate's
        # -backend=false, another emulator port); no state is migrated.
        return self.step(workspace, "init", ["init", "-input=false", "-no-color", "-reconfigure"])[0]

    def plan(self, workspace: str, plan_file: str, *options: str, step: str = "plan") -> tuple[StepResult, int]:
        """`terraform plan -detailed-exitcode -out=plan_file`; the summary counts the changes."""
        result, output, code = self.step(workspace, step, ["plan", "-input=false", "-json", "-detailed-exitcode",
                                                           f"-out={plan_file}", *options], ok_codes=(0, 2))
        if result.ok:
            result.summary = change_summary(output)
        return result, code

    def show(self, workspace: str, plan_file: str) -> dict | None:
        """`terraform show -json` of a saved plan; None if it cannot be read."""
        code, output, _ = self.terraform(workspace, f"show-{Path(plan_file).stem}", ["show", "-json", plan_file])
        return json.loads(output) if code == 0 else None

    def state_exists(self, workspace: str) -> bool:
        """Whether the workspace has been applied: its backend holds a state (after init)."""
        code, output, _ = self.terraform(workspace, "state", ["state", "pull"])
        return code == 0 and bool(output.strip()) and bool(json.loads(output).get("resources"))


def change_summary(output: str) -> str:
    """"+12 ~1 -0" from the change_summary line of `terraform plan -json`."""
    for line in output.splitlines():
        if '"change_summary"' in line:
            changes = json.loads(line)["changes"]
            return f"+{changes['add']} ~{changes['change']} -{changes['remove']}"
    return ""


def in_parallel(names: list[str], action: Callable[[str], StepResult], parallel: int,
                progress: Callable[[str], None] | None = None, *, words: tuple[str, str] = ("ok", "FAILED"),
                first_alone: bool = False) -> list[StepResult]:
    """action(name) for each name, `parallel` at a time, started in the order given (the first
    one alone if `first_alone`); one progress line per finished name. Results in the order of names."""
    done: list[StepResult] = []
    lock = threading.Lock()

    def one(name: str) -> StepResult:
        result = action(name)
        with lock:
            done.append(result)
            if progress:
                progress(f"[{len(done):>2}/{len(names)}] {name}: {words[0] if result.ok else words[1]} "
                         f"({result.seconds:.1f} s)" + (f" {result.summary}" if result.summary else ""))
        return result

    first = [one(names[0])] if first_alone and names else []
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        return first + list(pool.map(one, names[len(first):]))


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
        return StepResult(name, "validate", False, time.perf_counter() - started, "init: " + init_failure_message(init.stdout + init.stderr))
    check = run(["validate", "-json", "-no-color"], directory, env)
    seconds = time.perf_counter() - started
    try:
        report = json.loads(check.stdout)
    except json.JSONDecodeError:
        return StepResult(name, "validate", False, seconds, (check.stderr or check.stdout).strip()[:300])
    problems = [f"{d['severity']}: {d['summary']}" + (f" ({d['range']['filename']})" if d.get("range") else "")
                + (f" - {d['detail']}" if d.get("detail") else "")
                for d in report.get("diagnostics", []) if d["severity"] == "error"]
    warnings = sum(1 for d in report.get("diagnostics", []) if d["severity"] == "warning")
    detail = "; ".join(problems) if problems else (f"{warnings} warning(s)" if warnings else "")
    return StepResult(name, "validate", bool(report.get("valid")) and not problems, seconds, detail)


def validate_all(stacks_dir: Path, workspaces: list[str] | None = None, parallel: int = 2,
                 progress=None) -> list[StepResult]:
    env = terraform_env()
    directories = sorted(p for p in stacks_dir.iterdir() if (p / "cdk.tf.json").exists())
    if workspaces:
        unknown = set(workspaces) - {d.name for d in directories}
        if unknown:
            raise ValueError(f"no synthesized workspace named {', '.join(sorted(unknown))}")
        directories = [d for d in directories if d.name in workspaces]
    results = in_parallel([d.name for d in directories], lambda name: validate_workspace(stacks_dir / name, env),
                          parallel, progress, words=("valid", "INVALID"),
                          first_alone="TF_PLUGIN_CACHE_DIR" in env)  # the first fills the plugin cache
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
                [[r.workspace, "valid" if r.ok else "INVALID", r.seconds, r.summary] for r in results]))
    failed = [r for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)}/{len(results)} workspaces valid in {time.perf_counter() - started:.1f} s")
    return 1 if failed else 0
