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


def _e2e(args) -> int:
    from toolkit.e2e import e2e_command

    return e2e_command(args.env, args.workspaces, workers=args.parallel, step_timeout=args.step_timeout)


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
    e2e = commands.add_parser("e2e", help="apply, re-plan and destroy every workspace against the local AWS emulator")
    e2e.add_argument("workspaces", nargs="*", help="only these workspaces (and the ones they read)")
    e2e.add_argument("--parallel", type=int, default=2, help="workspaces applied or destroyed at once")
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
