"""docs/contract.md as data: the outputs each workspace is documented to publish."""
from __future__ import annotations

import re
from functools import cache

from toolkit.definition import REPO_ROOT

CONTRACT = REPO_ROOT / "docs" / "contract.md"
# An output name as the contract writes it: snake case, maybe with <placeholders>.
_NAME = re.compile(r"[a-z][a-z0-9_]*(?:<[a-z]+>[a-z0-9_]*)*")


@cache
def documented_outputs() -> dict[str, tuple[re.Pattern, ...]]:
    """{workspace: patterns of its documented outputs}; a <placeholder> matches any snake-case part."""
    table: dict[str, tuple[re.Pattern, ...]] = {}
    for line in CONTRACT.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("workspace", "") or set(cells[0]) <= {"-"}:
            continue
        names = [n for n in _NAME.findall(cells[1]) if "_" in n or "<" in n]
        table[cells[0]] = tuple(re.compile(re.sub(r"<[a-z]+>", "[a-z0-9_]+", n)) for n in names)
    return table


def is_documented(workspace: str, output: str) -> bool:
    return any(pattern.fullmatch(output) for pattern in documented_outputs().get(workspace, ()))
