"""Checks of the Vocab Generator's two Dockerfiles (as text: Docker cannot run here): built like every app's image,
and pins that agree with Pipfile.lock (an image must run what was tested)."""
from __future__ import annotations

import re
from pathlib import Path

from modules.tests.container import dockerfile_instructions, unlocked_pins

REPO = Path(__file__).resolve().parents[3]


def image_problems(dockerfile: Path, port: int, health_path: str) -> list[str]:
    """What keeps the image from being built like every app's: a pinned slim Python 3.11 base, a non-root user, curl
    and the task's health check on `port` and `health_path`, that port exposed, pins equal to the lock file's."""
    problems = []
    [base] = dockerfile_instructions(dockerfile, "FROM")
    if not re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base):
        problems.append(f"FROM {base} is not a pinned python:3.11.x-slim-bookworm")
    if dockerfile_instructions(dockerfile, "USER") in ([], ["root"], ["0"]):
        problems.append("no USER other than root")
    if "apt-get install -y --no-install-recommends curl" not in dockerfile.read_text():
        problems.append("curl, which the health check runs, is not installed")
    check = (f"--interval=30s --timeout=5s --start-period=60s --retries=3 CMD curl -f http://localhost:{port}"
             f"{health_path} || exit 1")
    if dockerfile_instructions(dockerfile, "HEALTHCHECK") != [check]:
        problems.append(f"HEALTHCHECK is not: {check}")
    if dockerfile_instructions(dockerfile, "EXPOSE") != [str(port)]:
        problems.append(f"EXPOSE is not {port}")
    mismatched = unlocked_pins(dockerfile.with_name("requirements.txt"), REPO / "Pipfile.lock")
    if mismatched:
        problems.append(f"requirements.txt pins other versions than Pipfile.lock: {mismatched}")
    return problems


def copied_sources(dockerfile: Path) -> list[str]:
    """The first source of each COPY, in order."""
    return [line.split()[0] for line in dockerfile_instructions(dockerfile, "COPY")]
