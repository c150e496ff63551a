"""checkov over every synthesized workspace, judged against one reviewed file of skips.

checkov runs once over all stacks (it starts slowly), with no skips of its own; each failed
check is then matched against `toolkit/scan_skips.toml`, where every skip names the check,
the workspaces (and optionally resources) it covers, and the reason. A failure no skip
covers fails the command; a skip that covers nothing is reported so the file stays honest.
The platform's own rules (toolkit/rules.py) run beside it.
"""
from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.definition import REPO_ROOT
from toolkit.report import table

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
SKIPS_FILE = REPO_ROOT / "toolkit" / "scan_skips.toml"


@dataclass(frozen=True)
class Skip:
    check: str
    reason: str
    workspaces: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ("*",)   # fnmatch patterns over "type.logical_id"

    def covers(self, check: str, workspace: str, resource: str) -> bool:
        return (check == self.check
                and any(fnmatch.fnmatchcase(workspace, p) for p in self.workspaces)
                and any(fnmatch.fnmatchcase(resource, p) for p in self.resources))


@dataclass(frozen=True)
class Finding:
    check: str
    title: str
    workspace: str
    resource: str
    skip: Skip | None


@dataclass
class WorkspaceScan:
    workspace: str
    passed: int = 0
    failed: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)


def load_skips(path: Path = SKIPS_FILE) -> list[Skip]:
    data = tomllib.loads(path.read_text())
    skips = []
    for index, entry in enumerate(data.get("skip", [])):
        unknown = set(entry) - {"check", "reason", "workspaces", "resources"}
        if unknown or not entry.get("check") or len(entry.get("reason", "")) < 20:
            raise ValueError(f"{path.name} skip #{index + 1} needs a check id and a reason of a sentence "
                             f"(and no other keys than workspaces/resources): {entry}")
        skips.append(Skip(entry["check"], entry["reason"], tuple(entry.get("workspaces", ["*"])),
                          tuple(entry.get("resources", ["*"]))))
    return skips


def run_checkov(stacks_dir: Path) -> list[dict]:
    if not CHECKOV.exists():
        raise FileNotFoundError(f"checkov is not installed at {CHECKOV}: run `make setup`")
    completed = subprocess.run(
        [str(CHECKOV), "-d", str(stacks_dir), "--framework", "terraform_json", "--output", "json",
         "--compact", "--skip-download", "--skip-path", r"\.terraform"],
        capture_output=True, text=True)
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed (exit {completed.returncode}): {completed.stderr.strip()[-500:]}")
    reports = json.loads(completed.stdout or "[]")
    return reports if isinstance(reports, list) else [reports]


def classify(reports: list[dict], skips: list[Skip], workspaces: list[str]) -> tuple[dict[str, WorkspaceScan], list[Skip]]:
    scans = {name: WorkspaceScan(name) for name in workspaces}
    used: set[Skip] = set()
    for report in reports:
        results = report.get("results", {})
        for check in results.get("passed_checks", []):
            workspace = Path(check["file_path"]).parent.name
            if workspace in scans:
                scans[workspace].passed += 1
        for check in results.get("failed_checks", []):
            workspace = Path(check["file_path"]).parent.name
            if workspace not in scans:
                continue
            resource = check["resource"].removeprefix("resource.")
            skip = next((s for s in skips if s.covers(check["check_id"], workspace, resource)), None)
            finding = Finding(check["check_id"], check.get("check_name", ""), workspace, resource, skip)
            if skip:
                used.add(skip)
                scans[workspace].skipped.append(finding)
            else:
                scans[workspace].failed.append(finding)
    unused = [s for s in skips if s not in used]
    return scans, unused


def scan(stacks_dir: Path, workspaces: list[str] | None = None) -> tuple[dict[str, WorkspaceScan], list[Skip]]:
    names = sorted(p.name for p in stacks_dir.iterdir() if (p / "cdk.tf.json").exists())
    if workspaces:
        unknown = set(workspaces) - set(names)
        if unknown:
            raise ValueError(f"no synthesized workspace named {', '.join(sorted(unknown))}")
        names = [n for n in names if n in workspaces]
    return classify(run_checkov(stacks_dir), load_skips(), names)


def scan_command(environment: str | None, workspaces: list[str]) -> int:
    from toolkit.definition import load_platform
    from toolkit.synth import synthesize

    platform = load_platform(environment=environment)
    result = synthesize(platform, progress=lambda line: print(line, flush=True))
    started = time.perf_counter()
    print("checkov: scanning every workspace ...", flush=True)
    scans, unused = scan(result.outdir / "stacks", workspaces or None)
    print(table(["workspace", "passed", "failed", "skipped"],
                [[s.workspace, s.passed, len(s.failed), len(s.skipped)] for s in scans.values()]))
    failures = [f for s in scans.values() for f in s.failed]
    if failures:
        print("\nunskipped failures:")
        print(table(["workspace", "check", "resource", "title"],
                    [[f.workspace, f.check, f.resource, f.title] for f in failures]))
    if unused and not workspaces:
        print("\nskips that matched nothing (remove them from toolkit/scan_skips.toml):")
        print(table(["check", "workspaces", "reason"], [[s.check, list(s.workspaces), s.reason] for s in unused]))
    from toolkit.rules import RULES, evaluate

    violations = evaluate(result.stacks)
    print(f"\nplatform rules ({len(RULES)} rules, toolkit/rules.py):")
    if violations:
        print(table(["rule", "workspace", "resource", "problem"],
                    [[v.rule, v.workspace, v.resource, v.message] for v in violations]))
    else:
        print("  every rule holds: " + ", ".join(r.id for r in RULES))
    skipped = sum(len(s.skipped) for s in scans.values())
    print(f"\n{sum(s.passed for s in scans.values())} passed, {len(failures)} failed, {skipped} skipped "
          f"(reasons in {SKIPS_FILE.relative_to(REPO_ROOT)}) in {time.perf_counter() - started:.1f} s", file=sys.stdout)
    return 1 if failures or violations else 0
