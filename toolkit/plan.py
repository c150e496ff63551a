"""`python -m toolkit plan [workspace...]`: plan every workspace against its configured backend
and write the plan review report.

The target is the one the platform is synthesized for: AWS with the user's own credentials
(AWS_PROFILE, or the usual AWS_* variables), or the local emulator (APP_DW_TARGET=emulator with
APP_DW_EMULATOR_URL). The named workspaces (default: all) are planned in deploy order, `parallel`
at a time: `init`, `plan -out=plan.tfplan` (kept beside each workspace's cdk.tf.json for a later
`terraform apply plan.tfplan`), `show -json`. A workspace that cannot be planned (no credentials,
a workspace it reads never applied, its state locked by another run) is reported with the reason
and the others are planned all the same. The report (toolkit/plan_report.py) holds the changes,
what needs attention, the cost difference (toolkit/cost.py) and any drift found on the way.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from toolkit import plan_report
from toolkit.cost import Price, load_prices, plan_cost
from toolkit.definition import REPO_ROOT, Platform
from toolkit.plan_report import WorkspacePlan
from toolkit.report import table
from toolkit.terraform import StepResult, TerraformMissing, TerraformRunner, in_parallel, target_environment

PLAN_FILE = "plan.tfplan"
DEFAULT_OUTDIR = REPO_ROOT / "cdktf.out"


def review(workspace: str, plan: dict, platform: Platform, prices: dict[str, Price] | None = None,
           plan_file: Path | None = None) -> WorkspacePlan:
    """One workspace's part of the report: its changes, what needs attention, what it costs."""
    return plan_report.workspace_plan(workspace, plan, plan_cost(workspace, plan, platform, prices), plan_file)


def plan_workspace(runner: TerraformRunner, workspace: str, platform: Platform, prices: dict[str, Price],
                   lock_timeout: str = "0s") -> WorkspacePlan:
    init = runner.init(workspace)
    if not init.ok:
        return WorkspacePlan(workspace, error=init.summary)
    planned, _ = runner.plan(workspace, PLAN_FILE, f"-lock-timeout={lock_timeout}")
    if not planned.ok:
        return WorkspacePlan(workspace, error=planned.summary)
    plan = runner.show(workspace, PLAN_FILE)
    if plan is None:
        return WorkspacePlan(workspace, error=f"the saved plan could not be read (see {runner.logs})")
    return review(workspace, plan, platform, prices, runner.stacks_dir / workspace / PLAN_FILE)


def selected(specs: list, workspaces: list[str] | None) -> list[str]:
    """The named workspaces (default: all) in the deploy order of `specs` (a synth result's
    `workspaces(platform)`); an unknown name is refused."""
    order = [spec.name for spec in specs]
    unknown = sorted(set(workspaces or ()) - set(order))
    if unknown:
        raise ValueError(f"no workspace named {', '.join(unknown)} (workspaces: {', '.join(order)})")
    return [name for name in order if not workspaces or name in workspaces]


def run_plans(platform: Platform, stacks_dir: Path, workspaces: list[str], *, parallel: int = 2,
              lock_timeout: str = "0s", progress: Callable[[str], None] | None = None,
              env: dict[str, str] | None = None) -> list[WorkspacePlan]:
    """Plan the given workspaces (in that order, `parallel` at a time); one progress line each."""
    runner = TerraformRunner(stacks_dir, env if env is not None else target_environment(platform),
                             logs=stacks_dir.parent / "logs" / "plan")
    prices = load_prices()
    found: dict[str, WorkspacePlan] = {}

    def one(workspace: str) -> StepResult:
        started = time.perf_counter()
        found[workspace] = plan_workspace(runner, workspace, platform, prices, lock_timeout)
        return _as_step(found[workspace], time.perf_counter() - started)

    in_parallel(workspaces, one, parallel, progress)
    return [found[name] for name in workspaces]


def _as_step(plan: WorkspacePlan, seconds: float) -> StepResult:
    """A workspace's plan as a progress line."""
    if plan.error:
        return StepResult(plan.workspace, "plan", False, seconds, f"cannot be planned: {plan.error}")
    totals = plan.totals()
    what = f"+{totals['create']} ~{totals['update']} -{totals['destroy']} -/+{totals['replace']}"
    if plan.attention:
        what += f", {len(plan.attention)} to look at"
    if plan.cost is not None and abs(plan.cost.difference) >= 0.005:
        what += f", {plan_report.money(plan.cost.difference)} a month"
    if plan.drift:
        what += f", {len(plan.drift)} drifted"
    return StepResult(plan.workspace, "plan", True, seconds, what)


def target_name(platform: Platform) -> str:
    return f"the emulator at {platform.emulator_url}" if platform.on_emulator else "AWS"


def summary_rows(plans: list[WorkspacePlan]) -> list[list[object]]:
    rows = []
    for plan in plans:
        if plan.error:
            rows.append([plan.workspace, None, None, None, None, None, None, None, "not planned: " + plan.error])
            continue
        totals = plan.totals()
        cost = plan_report.money(plan.cost.difference) if plan.cost is not None else None
        rows.append([plan.workspace, *totals.values(), len(plan.attention), cost, len(plan.drift), "planned"])
    return rows


def plan_command(environment: str | None, workspaces: list[str], *, parallel: int = 2, lock_timeout: str = "0s",
                 outdir: Path = DEFAULT_OUTDIR) -> int:
    from toolkit.definition import load_platform
    from toolkit.synth import synthesize

    platform = load_platform(environment=environment)
    try:
        result = synthesize(platform, outdir, progress=lambda line: print(line, flush=True))
        names = selected(result.workspaces(platform), workspaces)
        print(f"planning {len(names)} workspaces of {platform.environment} against {target_name(platform)}, "
              f"{parallel} at a time", flush=True)
        started = time.perf_counter()
        plans = run_plans(platform, result.outdir / "stacks", names, parallel=parallel, lock_timeout=lock_timeout,
                          progress=lambda line: print(line, flush=True))
    except (ValueError, TerraformMissing) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    title = f"Plan review: {platform.environment} on {target_name(platform)}, {len(plans)} workspaces"
    markdown, as_json = plan_report.write_report(plans, title, outdir / "plan")
    print()
    print(table(["workspace", *plan_report.KINDS, "attention", "$/month change", "drifted", "result"],
                summary_rows(plans)))
    failed = [p for p in plans if p.error]
    print(f"\n{len(plans) - len(failed)}/{len(plans)} workspaces planned in {time.perf_counter() - started:.0f} s; "
          f"report: {markdown} and {as_json.name}; plan files: <workspace>/{PLAN_FILE} in {result.outdir / 'stacks'}")
    return 1 if failed else 0
