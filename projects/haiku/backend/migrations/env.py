"""Alembic environment: runs on the connection modules.migrations hands over, or on DATABASE_URL from the CLI."""
from __future__ import annotations

from modules.migrations import run_environment
from projects.haiku.backend.settings import HaikuSettings

run_environment(HaikuSettings)
