"""Runs the SPA's vitest suite (with the shared kit's tests) from pytest, so `make test` (and CI) covers it."""
from __future__ import annotations

from pathlib import Path

import pytest

from modules.tests.browser import run_vitest_suite


@pytest.mark.slow
def test_vitest_suite_passes():
    run_vitest_suite(Path(__file__).resolve().parent.parent)
