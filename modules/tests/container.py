"""An image's command line from its Dockerfile, rebound to 127.0.0.1 on a chosen port, so tests and
benchmarks run exactly what the container runs (Docker itself is not available here)."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def dockerfile_instructions(dockerfile: Path, name: str) -> list[str]:
    return re.findall(rf"^{name}\s+(.+)$", dockerfile.read_text(), re.MULTILINE)


def image_command(dockerfile: Path) -> list[str]:
    """The exec-form CMD, e.g. ["python", "-m", "modules.serve", "app:app", "--host", "0.0.0.0", ...]."""
    [cmd] = dockerfile_instructions(dockerfile, "CMD")
    return json.loads(cmd)


def local_command(command: list[str], port: int) -> list[str]:
    """The same arguments run by this interpreter (`uvicorn` as `python -m uvicorn`), on 127.0.0.1:`port`."""
    local = [sys.executable, *command[1:]] if command[0] == "python" else [sys.executable, "-m", *command]
    local[local.index("--host") + 1] = "127.0.0.1"
    local[local.index("--port") + 1] = str(port)
    return local


def unlocked_pins(requirements: Path, lock_file: Path) -> dict[str, str]:
    """The pins of an image's `requirements.txt` (name==version lines) that Pipfile.lock does not hold at that
    version: {name: pinned version}. The lock is the source of truth; an image must install what was tested."""
    lock = json.loads(lock_file.read_text())
    locked = {name.lower(): spec["version"].lstrip("=") for section in ("default", "develop")
              for name, spec in lock[section].items() if "version" in spec}
    pinned = dict(line.split("==") for line in requirements.read_text().splitlines()
                  if line and not line.startswith(("#", "-")))
    return {name: version for name, version in pinned.items() if locked.get(name.lower()) != version}
