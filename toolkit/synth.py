"""Synthesize every workspace in one process, summarize it, and skip the work when nothing
that feeds the synth has changed.

The cache key hashes every input of the synth: the platform definition, the Python source
of the app, building blocks, workspaces and toolkit, the locked dependencies, and the
environment variables that change the output. A changed byte anywhere means a new synth;
a missing or edited output also does.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from toolkit.definition import REPO_ROOT, Platform
from toolkit.report import table

SOURCE_DIRS = ("building_blocks", "workspaces", "toolkit")
SOURCE_FILES = ("main.py", "Pipfile.lock")
ENV_INPUTS = ("APP_DW_ENV", "APP_DW_CONFIG", "APP_DW_EAGER_IMPORTS", "APP_DW_TARGET", "APP_DW_EMULATOR_URL")
KEY_FILE = ".inputs.sha256"
MANIFEST = "manifest.json"  # cdktf's: every stack with its dependencies


@dataclass(frozen=True)
class SynthResult:
    outdir: Path
    stacks: dict[str, dict]         # workspace name -> parsed cdk.tf.json
    seconds: float
    cached: bool
    reads: dict[str, tuple[str, ...]]  # workspace name -> the workspaces it read (its stack dependencies)

    def stack(self, name: str) -> dict:
        return self.stacks[name]

    def workspaces(self, platform: Platform) -> list:
        """The registry's workspaces with what each one read, in deploy order."""
        from workspaces.registry import with_reads, workspace_specs

        return with_reads(workspace_specs(platform), self.reads)


def input_key(platform: Platform) -> str:
    digest = hashlib.sha256()
    files = [Path(platform.source)] if platform.source else []
    files += [REPO_ROOT / f for f in SOURCE_FILES]
    for directory in SOURCE_DIRS:
        files += sorted((REPO_ROOT / directory).rglob("*.py"))
    for path in files:
        digest.update(str(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path).encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    digest.update(platform.environment.encode())
    for name in ENV_INPUTS:
        digest.update(f"{name}={os.environ.get(name, '')}".encode())
    return digest.hexdigest()


def _stack_files(outdir: Path) -> dict[str, Path]:
    return {p.parent.name: p for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}


def _outputs_digest(outdir: Path) -> str:
    digest = hashlib.sha256()
    for name, path in [*_stack_files(outdir).items(), (MANIFEST, outdir / MANIFEST)]:
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return digest.hexdigest()


def _load(outdir: Path) -> dict[str, dict]:
    return {name: json.loads(path.read_text()) for name, path in _stack_files(outdir).items()}


def _reads(outdir: Path) -> dict[str, tuple[str, ...]]:
    """What each workspace read, as main.py recorded it in the stack dependencies."""
    stacks = json.loads((outdir / MANIFEST).read_text())["stacks"]
    return {name: tuple(stack.get("dependencies", [])) for name, stack in stacks.items()}


def synthesize(platform: Platform, outdir: Path | str = REPO_ROOT / "cdktf.out", *, use_cache: bool = True,
               progress=None) -> SynthResult:
    """Synthesize all workspaces into outdir/stacks/<workspace>/cdk.tf.json."""
    outdir = Path(outdir)
    started = time.perf_counter()
    key = input_key(platform)
    key_file = outdir / KEY_FILE
    if use_cache and key_file.exists():
        recorded = json.loads(key_file.read_text())
        if recorded.get("inputs") == key and recorded.get("outputs") == _outputs_digest(outdir):
            return SynthResult(outdir, _load(outdir), time.perf_counter() - started, cached=True,
                               reads=_reads(outdir))
    key_file.unlink(missing_ok=True)
    from main import build_app  # imports the provider bindings: only when we really synthesize

    build_app(platform, outdir, progress=progress).synth()
    key_file.write_text(json.dumps({"inputs": key, "outputs": _outputs_digest(outdir)}))
    return SynthResult(outdir, _load(outdir), time.perf_counter() - started, cached=False, reads=_reads(outdir))


def count_blocks(stack: dict, kind: str) -> int:
    return sum(len(items) for items in stack.get(kind, {}).values())


def summary_rows(result: SynthResult, platform: Platform) -> list[list[object]]:
    rows = []
    for spec in result.workspaces(platform):
        stack = result.stacks[spec.name]
        rows.append([spec.name, count_blocks(stack, "resource"), count_blocks(stack, "data"),
                     len(stack.get("output", {})), list(spec.reads)])
    return rows


def print_summary(result: SynthResult, platform: Platform) -> None:
    rows = summary_rows(result, platform)
    print(table(["workspace", "resources", "data sources", "outputs", "reads from"], rows))
    total = sum(r[1] for r in rows)
    how = "unchanged inputs, reused" if result.cached else "synthesized"
    print(f"\n{len(rows)} workspaces, {total} resources, {how} in {result.seconds:.1f} s "
          f"(environment {platform.environment}) -> {result.outdir}/stacks/<workspace>/cdk.tf.json",
          file=sys.stdout)
