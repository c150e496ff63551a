"""checkov, the IAM lint and the platform rules over every synthesized workspace, judged
against reviewed files of skips.

checkov runs once over all stacks (it starts slowly), with no skips of its own; each failed
check is then matched against `toolkit/scan_skips.toml`, where every skip names the check,
the workspaces (and optionally resources) it covers, and the reason. Every IAM document goes
through cfn-lint (toolkit/iam_lint.py), and the platform's own rules (toolkit/rules.py) run
beside both; their findings are judged the same way, against `toolkit/iam_skips.toml` too (whose
skips may also name the IAM actions they cover). A finding no skip covers fails the command; a
skip that covers nothing is reported so the files stay honest.
"""
from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from toolkit.definition import REPO_ROOT
from toolkit.report import table

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
SKIPS_FILE = REPO_ROOT / "toolkit" / "scan_skips.toml"
IAM_SKIPS_FILE = REPO_ROOT / "toolkit" / "iam_skips.toml"
SKIP_KEYS = {"check", "reason", "workspaces", "resources", "actions", "applies_to_all"}


@dataclass(frozen=True)
class Skip:
    check: str
    reason: str
    workspaces: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ("*",)   # fnmatch patterns over "type.logical_id"
    actions: tuple[str, ...] = ("*",)     # fnmatch patterns over the IAM action a finding concerns

    def covers(self, check: str, workspace: str, resource: str, action: str = "") -> bool:
        return (check == self.check
                and any(fnmatch.fnmatchcase(workspace, p) for p in self.workspaces)
                and any(fnmatch.fnmatchcase(resource, p) for p in self.resources)
                and any(fnmatch.fnmatchcase(action, p) for p in self.actions))


@dataclass(frozen=True)
class Finding:
    check: str
    title: str
    workspace: str
    resource: str
    skip: Skip | None
    action: str = ""


@dataclass
class WorkspaceScan:
    workspace: str
    passed: int = 0
    failed: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)


def load_skips(*paths: Path) -> list[Skip]:
    skips = []
    for path in paths or (SKIPS_FILE, IAM_SKIPS_FILE):
        data = tomllib.loads(path.read_text())
        for index, entry in enumerate(data.get("skip", [])):
            unknown = set(entry) - SKIP_KEYS
            if unknown or not entry.get("check") or len(entry.get("reason", "")) < 20:
                raise ValueError(f"{path.name} skip #{index + 1} needs a check id and a reason of a sentence "
                                 f"(and no other keys than workspaces/resources/actions/applies_to_all): {entry}")
            if "resources" not in entry and len(entry.get("applies_to_all", "")) < 20:
                # A skip for every resource would also hide any future resource of a type nobody reviewed.
                raise ValueError(f"{path.name} skip #{index + 1} ({entry['check']}) has no resource filter: name "
                                 "the resources it was reviewed for, or say in applies_to_all why it covers every one")
            skips.append(Skip(entry["check"], entry["reason"], tuple(entry.get("workspaces", ["*"])),
                              tuple(entry.get("resources", ["*"])), tuple(entry.get("actions", ["*"]))))
    return skips


def judge(findings: list[Finding], skips: list[Skip]) -> tuple[list[Finding], list[Finding], set[Skip]]:
    """(failed, skipped, skips used) of findings not yet judged."""
    failed, skipped, used = [], [], set()
    for finding in findings:
        skip = next((s for s in skips if s.covers(finding.check, finding.workspace, finding.resource,
                                                  finding.action)), None)
        if skip:
            used.add(skip)
            skipped.append(replace(finding, skip=skip))
        else:
            failed.append(finding)
    return failed, skipped, used


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


def scan(stacks_dir: Path, workspaces: list[str] | None = None,
         skips: list[Skip] | None = None) -> tuple[dict[str, WorkspaceScan], list[Skip]]:
    names = sorted(p.name for p in stacks_dir.iterdir() if (p / "cdk.tf.json").exists())
    if workspaces:
        unknown = set(workspaces) - set(names)
        if unknown:
            raise ValueError(f"no synthesized workspace named {', '.join(sorted(unknown))}")
        names = [n for n in names if n in workspaces]
    return classify(run_checkov(stacks_dir), load_skips() if skips is None else skips, names)


def policy_findings(stacks: dict[str, dict], definition, region: str) -> tuple[int, list[Finding], list[Finding]]:
    """(documents linted, IAM lint findings, platform rule violations), not yet judged."""
    from toolkit.iam_lint import lint
    from toolkit.rules import evaluate

    found, lint_findings = lint(stacks, region)
    linted = [Finding(f.check, f"{f.message} ({f.path})", f.document.workspace, f.document.resource, None)
              for f in lint_findings]
    violations = [Finding(v.rule, v.message, v.workspace, v.resource, None, v.action)
                  for v in evaluate(stacks, definition)]
    return len(found), linted, violations


@dataclass
class ScanReport:
    checkov: dict[str, WorkspaceScan]
    documents: int                      # IAM documents linted
    lint_failed: list[Finding]
    lint_skipped: list[Finding]
    rules_failed: list[Finding]
    rules_skipped: list[Finding]
    unused: list[Skip]                  # skips that covered nothing (only meaningful for a whole scan)

    @property
    def failed(self) -> list[Finding]:
        return [f for s in self.checkov.values() for f in s.failed] + self.lint_failed + self.rules_failed


def scan_everything(stacks_dir: Path, stacks: dict[str, dict], definition, region: str,
                    workspaces: list[str] | None = None) -> ScanReport:
    skips = load_skips()
    checkov, unused = scan(stacks_dir, workspaces, skips)
    chosen = {name: stack for name, stack in stacks.items() if not workspaces or name in workspaces}
    documents, linted, violations = policy_findings(chosen, definition, region)
    lint_failed, lint_skipped, lint_used = judge(linted, skips)
    rules_failed, rules_skipped, rules_used = judge(violations, skips)
    return ScanReport(checkov, documents, lint_failed, lint_skipped, rules_failed, rules_skipped,
                      [s for s in unused if s not in lint_used | rules_used])


def scan_command(environment: str | None, workspaces: list[str]) -> int:
    from toolkit.definition import load_platform
    from toolkit.rules import RULES
    from toolkit.synth import synthesize

    platform = load_platform(environment=environment)
    result = synthesize(platform, progress=lambda line: print(line, flush=True))
    started = time.perf_counter()
    print("checkov: scanning every workspace, then the IAM lint and the platform rules ...", flush=True)
    report = scan_everything(result.outdir / "stacks", result.stacks, platform.definition, platform.region,
                             workspaces or None)
    scans = report.checkov
    print(table(["workspace", "passed", "failed", "skipped"],
                [[s.workspace, s.passed, len(s.failed), len(s.skipped)] for s in scans.values()]))
    checkov_failed = [f for s in scans.values() for f in s.failed]
    print(f"\nIAM lint (cfn-lint over {report.documents} policy documents): {len(report.lint_failed)} failed, "
          f"{len(report.lint_skipped)} skipped")
    print(f"platform rules ({len(RULES)} rules, toolkit/rules.py): {len(report.rules_failed)} failed, "
          f"{len(report.rules_skipped)} skipped")
    if report.failed:
        print("\nunskipped findings:")
        print(table(["check", "workspace", "resource", "action", "problem"],
                    [[f.check, f.workspace, f.resource, f.action, f.title] for f in report.failed]))
    stale = report.unused if not workspaces else []
    if stale:
        print("\nskips that matched nothing (remove them from toolkit/scan_skips.toml or toolkit/iam_skips.toml):")
        print(table(["check", "workspaces", "reason"], [[s.check, list(s.workspaces), s.reason] for s in stale]))
    skipped = sum(len(s.skipped) for s in scans.values()) + len(report.lint_skipped) + len(report.rules_skipped)
    print(f"\ncheckov {sum(s.passed for s in scans.values())} passed, {len(checkov_failed)} failed; "
          f"IAM lint and platform rules {len(report.lint_failed) + len(report.rules_failed)} failed; "
          f"{skipped} skipped (reasons in {SKIPS_FILE.relative_to(REPO_ROOT)} and "
          f"{IAM_SKIPS_FILE.relative_to(REPO_ROOT)}) in {time.perf_counter() - started:.1f} s", file=sys.stdout)
    return 1 if report.failed else 0
