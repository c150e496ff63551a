"""The load benchmark runs end to end (a short run): the image's command against its own PostgreSQL,
every endpoint answered without errors, the table printed. The numbers are recorded in
docs/performance.md from full runs; this only keeps the tool working."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]


@pytest.mark.slow
def test_a_short_benchmark_run_serves_every_endpoint_without_errors():
    result = subprocess.run([sys.executable, "-m", "bench.api_bench", "--seconds", "1", "--clients", "4",
                             "--warm-up", "0.2"], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split("|")[1:-1] for line in result.stdout.splitlines() if line.startswith("| GET")
            or line.startswith("| POST")]
    assert [row[0].strip() for row in rows] == [
        "GET /api/words?page=N", "GET /api/groups/:id/words", "GET /api/dashboard/quick-stats",
        "POST /api/study_sessions/:id/words/:word_id/review", "GET /constant (bare FastAPI)"]
    for name, requests_per_second, *_, errors, _share in rows:
        assert float(requests_per_second) > 0 and int(errors) == 0, (name, requests_per_second, errors)
