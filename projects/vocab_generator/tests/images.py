"""What the Vocab Generator's two images install: pins that agree with Pipfile.lock (an image must run what was
tested)."""
from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def mismatched_pins(requirements: Path) -> dict[str, str]:
    """The packages `requirements` pins at a version other than Pipfile.lock's."""
    lock = json.loads((REPO / "Pipfile.lock").read_text())
    locked = {name.lower(): spec["version"].lstrip("=") for section in ("default", "develop")
              for name, spec in lock[section].items() if "version" in spec}
    pinned = dict(line.split("==") for line in requirements.read_text().splitlines()
                  if line and not line.startswith("#"))
    return {name: version for name, version in pinned.items() if locked.get(name) != version}
