"""Fixtures every app's tests share: one PostgreSQL server and one S3 emulator for the whole test session."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from modules.tests.postgres import PostgresMissing, TemporaryPostgres
from toolkit.emulator import Emulator


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """`postgresql+psycopg://postgres@127.0.0.1:<port>` of a cluster that lives for the test session; each app
    makes its databases on it (modules.tests.databases)."""
    try:
        with TemporaryPostgres() as server:
            yield server.url
    except PostgresMissing as missing:
        pytest.fail(str(missing), pytrace=False)


@pytest.fixture(scope="session")
def s3_emulator(tmp_path_factory) -> Iterator[Emulator]:
    """moto_server on a loopback port for the session (the e2e run's emulator): S3 for the apps' media tests."""
    with Emulator(tmp_path_factory.mktemp("moto") / "moto.log") as emulator:
        yield emulator
