"""Runs the SPA's vitest suite from pytest, so `make test` (and CI) covers it."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_vitest_suite_passes():
    if not (FRONTEND / "node_modules").is_dir():
        pytest.fail(f"{FRONTEND / 'node_modules'} is missing: make setup runs npm ci there")
    done = subprocess.run(["npm", "test", "--silent"], cwd=FRONTEND, capture_output=True, text=True, timeout=600)
    summary = [line for line in done.stdout.splitlines() if "Test Files" in line or "Tests " in line]
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert any("passed" in line for line in summary), done.stdout[-2000:]
