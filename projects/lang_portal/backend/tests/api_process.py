"""The Lang Portal API as a real server process, for tests that call it over HTTP as its clients do: the SPA's
browser tests and the UI apps' calls as the signed-in user."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from modules.tests import support


@contextmanager
def running_api(tmp_path_factory: pytest.TempPathFactory, name: str, settings: dict[str, str]) -> Iterator[str]:
    """The real API under uvicorn on a free port, migrated and seeded into a fresh SQLite file, with
    only `settings` (environment variables) configured; yields its origin and stops it."""
    database = tmp_path_factory.mktemp(name) / "lang_portal.sqlite3"
    with support.running_api("projects.lang_portal.backend.main:app", tmp_path_factory.getbasetemp() / f"{name}.log",
                             {"DATABASE_URL": f"sqlite:///{database}", **settings}) as origin:
        yield origin
