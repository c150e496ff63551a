"""startup_objects_frozen: what exists at startup leaves the collector's reach until shutdown, and only then."""
from __future__ import annotations

import gc
import weakref

from modules.runtime import startup_objects_frozen


class Node:
    """Something in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.itself = self


def test_objects_alive_at_startup_are_frozen_until_shutdown_and_later_garbage_is_still_collected():
    assert gc.get_freeze_count() == 0
    with startup_objects_frozen():
        assert gc.get_freeze_count() > 1000  # this test process's modules, at least
        made_later = weakref.ref(Node())
        gc.collect()
        assert made_later() is None
    assert gc.get_freeze_count() == 0
