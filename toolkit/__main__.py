"""`python -m toolkit <command>`: the work behind each Makefile target."""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def _synth(args) -> int:
    from toolkit.definition import load_platform
    from toolkit.synth import print_summary, synthesize

    platform = load_platform(environment=args.env)
    result = synthesize(platform, use_cache=not args.force, progress=lambda line: print(line, flush=True))
    print_summary(result, platform)
    return 0


def _validate(args) -> int:
    from toolkit.terraform import validate_command

    return validate_command(args.env, args.workspaces, parallel=args.parallel)


def _scan(args) -> int:
    from toolkit.scan import scan_command

    return scan_command(args.env, args.workspaces)


def _plan(args) -> int:
    from toolkit.plan import plan_command

    return plan_command(args.env, args.workspaces, parallel=args.parallel, lock_timeout=args.lock_timeout)


def _cost(args) -> int:
    from toolkit.cost import cost_command

    return cost_command(args.env, args.workspaces, json_output=args.json, plan_file=args.plan,
                        summary_only=args.summary)


def _prices(args) -> int:
    from toolkit.prices import prices_command

    return prices_command(args.refresh, args.offer_file)


def _drift(args) -> int:
    from toolkit.drift import drift_command

    return drift_command(args.env, args.workspaces, parallel=args.parallel, lock_timeout=args.lock_timeout,
                         as_json=args.json)


def _e2e(args) -> int:
    from toolkit.e2e import DEFAULT_WORKERS, e2e_command

    return e2e_command(args.env, args.workspaces, workers=args.parallel or DEFAULT_WORKERS,
                       step_timeout=args.step_timeout)


def _bench(args) -> int:
    from bench.synth_bench import bench_command

    return bench_command(args)


def _config_docs(args) -> int:
    from toolkit.config_docs import write

    print(f"wrote {write()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit", description="app-dw toolkit commands")
    parser.add_argument("--env", default=None, help="environment of the platform definition (default: APP_DW_ENV or dev)")
    commands = parser.add_subparsers(dest="command", required=True)
    synth = commands.add_parser("synth", help="synthesize every workspace and print what was made")
    synth.add_argument("--force", action="store_true", help="ignore the no-op cache")
    synth.set_defaults(run=_synth)
    validate = commands.add_parser("validate", help="terraform init + validate in every workspace")
    validate.add_argument("workspaces", nargs="*", help="only these workspaces")
    validate.add_argument("--parallel", type=int, default=2)
    validate.set_defaults(run=_validate)
    scan = commands.add_parser("scan", help="checkov over every workspace, with the reviewed skips")
    scan.add_argument("workspaces", nargs="*", help="only these workspaces")
    scan.set_defaults(run=_scan)
    plan = commands.add_parser("plan", help="plan every workspace against its backend and write the plan review report")
    plan.add_argument("workspaces", nargs="*", help="only these workspaces (default: all, in deploy order)")
    plan.add_argument("--parallel", type=int, default=2, help="workspaces planned at once")
    plan.add_argument("--lock-timeout", default="0s", help="how long to wait for a state lock another run holds")
    plan.set_defaults(run=_plan)
    cost = commands.add_parser("cost", help="monthly cost estimate per resource, workspace and environment")
    cost.add_argument("workspaces", nargs="*", help="only these workspaces (default: all)")
    cost.add_argument("--plan", help="a plan's JSON (terraform show -json): the difference the change makes")
    cost.add_argument("--json", action="store_true", help="JSON for tools instead of tables")
    cost.add_argument("--summary", action="store_true", help="only the totals per workspace")
    cost.set_defaults(run=_cost)
    prices = commands.add_parser("prices", help="the price table the cost estimate uses; --refresh reads AWS's offer files")
    prices.add_argument("--refresh", action="store_true", help="rewrite the prices from the Price List API's offer files")
    prices.add_argument("--offer-file", action="append", default=[], help="a saved offer file to read instead of downloading")
    prices.set_defaults(run=_prices)
    drift = commands.add_parser("drift", help="refresh-only plans: what differs between the state and the real resources")
    drift.add_argument("workspaces", nargs="*", help="only these workspaces (default: all, in deploy order)")
    drift.add_argument("--parallel", type=int, default=2, help="workspaces checked at once")
    drift.add_argument("--lock-timeout", default="0s", help="how long to wait for a state lock another run holds")
    drift.add_argument("--json", action="store_true", help="JSON for tools instead of tables")
    drift.set_defaults(run=_drift)
    e2e = commands.add_parser("e2e", help="apply, re-plan and destroy every workspace against the local AWS emulator")
    e2e.add_argument("workspaces", nargs="*", help="only these workspaces (and the ones they read)")
    e2e.add_argument("--parallel", type=int, default=None, help="steps run at once (default: toolkit/e2e.py DEFAULT_WORKERS)")
    e2e.add_argument("--step-timeout", type=float, default=900, help="seconds one Terraform step may take")
    e2e.set_defaults(run=_e2e)
    bench = commands.add_parser("bench", help="measure synth and validate")
    bench.add_argument("--runs", type=int, default=5)
    bench.set_defaults(run=_bench)
    docs = commands.add_parser("config-docs", help="regenerate docs/configuration.md from the definition")
    docs.set_defaults(run=_config_docs)
    args = parser.parse_args(argv)
    from toolkit.definition import DefinitionError

    try:
        return args.run(args)
    except DefinitionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    from toolkit.bindings import exit_now

    exit_now(main())
