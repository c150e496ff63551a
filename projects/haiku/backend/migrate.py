"""The Haiku API's migrations (modules.migrations runs them): `MIGRATIONS.prepare(engine)`, ..."""
from __future__ import annotations

from pathlib import Path

from modules.migrations import Migrations

MIGRATIONS = Migrations(Path(__file__).parent / "migrations", "haiku")
