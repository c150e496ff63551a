"""Many concurrent requests on few worker threads and fewer connections finish; none waits for the
pool timeout (sync endpoints used to hold their connection while waiting for a thread)."""
from __future__ import annotations

import asyncio
import time

import anyio.to_thread
import httpx
import pytest

from projects.lang_portal.backend.app import create_app
from projects.lang_portal.backend.tests.conftest import settings_for, with_test_users


@pytest.mark.timeout(60)  # the old behaviour never finished
def test_a_burst_on_a_tiny_pool_completes_quickly(db_url):
    app = create_app(settings_for(db_url, db_pool_size=2, db_max_overflow=0, db_pool_timeout_seconds=5))
    with_test_users(app)

    async def burst() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 3
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            paths = ["/api/words", "/api/groups/1/words", "/api/dashboard/quick-stats", "/api/groups"] * 15
            responses = await asyncio.gather(*(client.get(path) for path in paths))
        return [response.status_code for response in responses]

    started = time.monotonic()
    try:
        statuses = asyncio.run(burst())
    finally:
        app.state.engine.dispose()
    assert statuses == [200] * 60
    assert time.monotonic() - started < 5
