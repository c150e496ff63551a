"""Fixtures every app's tests share: one PostgreSQL server for the whole test session."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from modules.tests.postgres import PostgresMissing, TemporaryPostgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """`postgresql+psycopg://postgres@127.0.0.1:<port>` of a cluster that lives for the test session; each app
    makes its databases on it (modules.tests.databases)."""
    try:
        with TemporaryPostgres() as server:
            yield server.url
    except PostgresMissing as missing:
        pytest.fail(str(missing), pytrace=False)
