"""`make bench`: how long synth and validate take, and what synth costs in memory.

Each synth runs in a fresh process (as `make synth` and `cdktf synth` do); memory is the
peak resident size of that process plus its jsii node child, sampled every 20 ms.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from toolkit.definition import REPO_ROOT
from toolkit.report import table

ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def _tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields["PPid"].strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak MiB) of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {stderr.decode()[-800:]}")
    return seconds, peak / 1024


def median_of(runs: int, command: list[str], env: dict[str, str], label: str) -> tuple[float, float]:
    samples = []
    for run in range(1, runs + 1):
        print(f"  {label}: run {run}/{runs}", flush=True)
        samples.append(measure(command, env))
    return statistics.median(s for s, _ in samples), max(m for _, m in samples)


def bench_command(args) -> int:
    runs = args.runs
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        def synth_env(name: str, eager: bool) -> dict[str, str]:
            return {**ENV, "CDKTF_OUTDIR": str(Path(scratch) / name), "APP_DW_EAGER_IMPORTS": "1" if eager else ""}

        print(f"synth benchmark, medians of {runs} runs", flush=True)
        full_fast = median_of(runs, [sys.executable, "main.py"], synth_env("fast", False), "whole platform, fast path")
        full_eager = median_of(runs, [sys.executable, "main.py"], synth_env("eager", True), "whole platform, eager import")
        floor_fast = median_of(runs, [sys.executable, "-m", "bench.one_resource_app"], synth_env("floor-fast", False), "one resource, fast path")
        floor_eager = median_of(runs, [sys.executable, "-m", "bench.one_resource_app"], synth_env("floor-eager", True), "one resource, eager import")
        # The no-op cache: prime once, then time the command a person runs.
        subprocess.run([sys.executable, "-m", "toolkit", "synth"], cwd=REPO_ROOT, env=ENV, capture_output=True, check=True)
        cached = median_of(runs, [sys.executable, "-m", "toolkit", "synth"], ENV, "make synth, unchanged inputs")
        print("  validate: all workspaces (2 at a time)", flush=True)
        validate_seconds, validate_mib = measure([sys.executable, "-m", "toolkit", "validate"], ENV)

    rows = [
        ["whole platform synth, fast path", full_fast[0], full_fast[1], "< 4 s"],
        ["whole platform synth, eager import", full_eager[0], full_eager[1], ""],
        ["one-resource synth (floor), fast path", floor_fast[0], floor_fast[1], ""],
        ["one-resource synth (floor), eager import", floor_eager[0], floor_eager[1], ""],
        ["make synth with unchanged inputs (cache)", cached[0], cached[1], "< 2 s"],
        ["validate, every workspace", validate_seconds, validate_mib, ""],
    ]
    print()
    print(table(["measurement", "median s", "peak MiB", "target"], rows))
    ratios = [
        ["eager / fast (whole platform)", full_eager[0] / full_fast[0], ">= 3x"],
        # The skeleton's target is against the floor the bindings' eager import sets; the fast
        # path removes that floor, so what is left is building the resources themselves.
        ["whole platform / floor (eager)", full_eager[0] / floor_eager[0], "<= 1.3x"],
        ["whole platform / floor (fast path)", full_fast[0] / floor_fast[0], "-"],
    ]
    print()
    print(table(["ratio", "value", "target"], [[n, f"{v:.2f}x", t] for n, v, t in ratios]))
    return 0
