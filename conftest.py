"""What every test folder shares: one S3 emulator for the whole test session (the apps' media tests and the
learner's journey across them), and the `emulator` marker on every test that uses it."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from toolkit.emulator import Emulator


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on the S3 emulator is marked `emulator`: the pipelines' test image has no moto_server."""
    for item in items:
        if "s3_emulator" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.emulator)


@pytest.fixture(scope="session")
def s3_emulator(tmp_path_factory) -> Iterator[Emulator]:
    """moto_server on a loopback port for the session (the e2e run's emulator)."""
    with Emulator(tmp_path_factory.mktemp("moto") / "moto.log") as emulator:
        yield emulator
