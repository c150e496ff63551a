"""`python -m toolkit drift [workspace...]`: does what runs still match the state Terraform keeps?

For every workspace (default: all), in deploy order, `parallel` at a time: init, and if the
workspace has a state at all, a refresh-only plan with -detailed-exitcode. Its `resource_drift`
(what the refresh found changed outside Terraform) becomes rows of a table: workspace, resource,
attribute, the value in the state, the value now. A workspace with no state is reported as not
applied, never as drift; one that cannot be checked (no credentials, a locked state, ...) with
the reason. The target is the platform's (AWS, or the emulator), as for `plan`.

Exit codes: 0 nothing drifted, 2 something drifted, 3 a workspace could not be checked (and
nothing drifted elsewhere); 1 for a setup problem (no Terraform, a bad definition).
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from toolkit.definition import REPO_ROOT, Platform
from toolkit.plan_report import Drift, drift
from toolkit.report import table
from toolkit.terraform import StepResult, TerraformMissing, TerraformRunner, in_parallel, target_environment

DRIFT_PLAN = "drift.tfplan"
DEFAULT_OUTDIR = REPO_ROOT / "cdktf.out"
EXIT_DRIFTED = 2
EXIT_UNCHECKED = 3


@dataclass
class WorkspaceDrift:
    workspace: str
    status: str                      # "in sync", "drifted", "not applied", "not checked"
    drift: list[Drift] = field(default_factory=list)
    reason: str = ""                 # why it could not be checked


def check_workspace(runner: TerraformRunner, workspace: str, lock_timeout: str = "0s") -> WorkspaceDrift:
    init = runner.init(workspace)
    if not init.ok:
        return WorkspaceDrift(workspace, "not checked", reason=init.summary)
    if not runner.state_exists(workspace):
        return WorkspaceDrift(workspace, "not applied")
    result, code = runner.plan(workspace, DRIFT_PLAN, "-refresh-only", f"-lock-timeout={lock_timeout}", step="drift")
    if not result.ok:
        return WorkspaceDrift(workspace, "not checked", reason=result.summary)
    found = drift(runner.show(workspace, DRIFT_PLAN) or {}) if code == 2 else []
    return WorkspaceDrift(workspace, "drifted" if found else "in sync", found)


def check(platform: Platform, stacks_dir: Path, workspaces: list[str], *, parallel: int = 2,
          lock_timeout: str = "0s", progress: Callable[[str], None] | None = None,
          env: dict[str, str] | None = None) -> list[WorkspaceDrift]:
    runner = TerraformRunner(stacks_dir, env if env is not None else target_environment(platform),
                             logs=stacks_dir.parent / "logs" / "drift")
    found: dict[str, WorkspaceDrift] = {}

    def one(workspace: str) -> StepResult:
        started = time.perf_counter()
        result = found[workspace] = check_workspace(runner, workspace, lock_timeout)
        detail = {"drifted": f"{len(result.drift)} attribute(s) drifted", "not checked": result.reason}
        return StepResult(workspace, "drift", result.status != "not checked", time.perf_counter() - started,
                          detail.get(result.status, result.status))

    in_parallel(workspaces, one, parallel, progress)
    return [found[name] for name in workspaces]


def exit_code(results: list[WorkspaceDrift]) -> int:
    if any(r.status == "drifted" for r in results):
        return EXIT_DRIFTED
    if any(r.status == "not checked" for r in results):
        return EXIT_UNCHECKED
    return 0


def render(results: list[WorkspaceDrift]) -> str:
    rows = [[r.workspace, d.address, d.attribute, d.in_state, d.now] for r in results for d in r.drift]
    parts = [table(["workspace", "resource", "attribute", "in the state", "now"], rows) if rows
             else "no drift in the workspaces checked"]
    statuses = [[r.workspace, r.status, len(r.drift), r.reason] for r in results]
    parts += ["", table(["workspace", "status", "drifted attributes", "why not checked"], statuses)]
    return "\n".join(parts)


def drift_command(environment: str | None, workspaces: list[str], *, parallel: int = 2, lock_timeout: str = "0s",
                  as_json: bool = False, outdir: Path = DEFAULT_OUTDIR) -> int:
    from toolkit.definition import load_platform
    from toolkit.plan import selected, target_name
    from toolkit.synth import synthesize

    platform = load_platform(environment=environment)
    say = (lambda line: print(line, file=sys.stderr, flush=True)) if as_json else (lambda line: print(line, flush=True))
    try:
        result = synthesize(platform, outdir, progress=say)
        names = selected(result.workspaces(platform), workspaces)
        say(f"checking {len(names)} workspaces of {platform.environment} on {target_name(platform)} for drift, "
            f"{parallel} at a time")
        results = check(platform, result.outdir / "stacks", names, parallel=parallel, lock_timeout=lock_timeout,
                        progress=say)
    except (ValueError, TerraformMissing) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps({"environment": platform.environment, "target": target_name(platform),
                          "workspaces": [asdict(r) for r in results]}, indent=2))
    else:
        print()
        print(render(results))
        drifted = sum(1 for r in results if r.status == "drifted")
        unchecked = [r.workspace for r in results if r.status == "not checked"]
        print(f"\n{drifted} of {len(results)} workspaces drifted"
              + (f"; not checked: {', '.join(unchecked)}" if unchecked else ""))
    return exit_code(results)
