"""The bundle budget every SPA's `npm run build` ends with (scripts/check-bundle-size.mjs): 300 kB of gzipped
JavaScript, counted over every file in dist/assets, refuses a build over it and one with no JavaScript at all."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parent.parent / "scripts" / "check-bundle-size.mjs"


def budget_check(spa: Path, assets: dict[str, bytes]) -> subprocess.CompletedProcess[str]:
    folder = spa / "dist" / "assets"
    folder.mkdir(parents=True)
    for name, content in assets.items():
        (folder / name).write_bytes(content)
    return subprocess.run(["node", str(CHECK)], cwd=spa, capture_output=True, text=True, timeout=60)


def test_a_build_within_the_budget_passes_and_each_file_is_listed(tmp_path: Path):
    done = budget_check(tmp_path, {"index-a1.js": b"console.log('haiku');\n" * 2000, "style.css": os.urandom(400_000)})
    assert done.returncode == 0, done.stderr
    assert "index-a1.js" in done.stdout and "style.css" not in done.stdout  # CSS is not JavaScript
    assert "within the 300 kB budget" in done.stdout


@pytest.mark.parametrize("sizes", [(310_000,), (160_000, 160_000)], ids=["one file", "two files together"])
def test_javascript_over_300_kb_gzipped_fails_the_build(tmp_path: Path, sizes: tuple[int, ...]):
    # Random bytes do not compress: each file is about its size when gzipped.
    done = budget_check(tmp_path, {f"chunk-{n}.js": os.urandom(size) for n, size in enumerate(sizes)})
    assert done.returncode == 1
    assert "OVER the 300 kB budget" in done.stdout


def test_a_build_with_no_javascript_fails_naming_the_folder(tmp_path: Path):
    done = budget_check(tmp_path, {"index.css": b"body{}"})
    assert done.returncode == 1
    assert "no JavaScript in" in done.stderr and str(tmp_path / "dist" / "assets") in done.stderr
