"""docs/configuration.md documents every field of the platform definition, and is current."""
from __future__ import annotations

from toolkit.config_docs import DOCUMENT, field_rows, render


def test_every_field_has_a_meaning():
    undocumented = [path for path, *_, description in field_rows() if not description]
    assert not undocumented, f"add a comment beside these keys in platform.toml: {undocumented}"


def test_the_committed_reference_is_current():
    assert DOCUMENT.read_text() == render(), "run `.venv/bin/python -m toolkit config-docs` and commit"


def test_reference_shows_types_ranges_and_defaults():
    text = render()
    assert "| `containers.cpu` | 256 \\| 512 \\| 1024" in text
    assert "| `database.backup_retention_days` | int | >= 7, <= 35 | required |" in text
    assert "| `platform.github_branch` | str | - | `'main'` |" in text
