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
