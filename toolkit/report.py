"""Tidy tables for what a person reads: synth summaries, validate results, scan findings."""
from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, markdown: bool = False) -> str:
    """Left-aligned text columns, numbers right-aligned; `markdown=True` for a pull request."""
    body = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in body)) if body else len(str(h)) for i, h in enumerate(headers)]
    numeric = [bool(body) and all(_is_number(r[i]) for r in body) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)]
        return ("| " + " | ".join(parts) + " |") if markdown else "  ".join(parts).rstrip()

    rule = ("|" + "|".join(("-" * (w + 1) + ":") if n else ("-" * (w + 2)) for w, n in zip(widths, numeric)) + "|"
            if markdown else "  ".join("-" * w for w in widths))
    return "\n".join([line([str(h) for h in headers]), rule, *(line(r) for r in body)])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "-"
    return "-" if value is None or value == "" else str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.rstrip("x%s"))
        return True
    except ValueError:
        return text == "-"
