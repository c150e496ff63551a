"""A route class for sync endpoints that hold a pooled database connection.

FastAPI runs a sync endpoint on a worker thread and then validates its answer on *another* worker
thread, while the request still holds its connection (released only when the session dependency
exits). Under load every worker thread can end up waiting for a connection that is held by a
request waiting for a thread: nothing moves until the pool times out. Wrapping the endpoint in a
coroutine that runs it on a worker thread keeps the blocking work off the event loop but lets
FastAPI validate the answer on the loop, so a connection holder never waits for a thread.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


class ThreadedEndpointRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _in_threadpool(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _in_threadpool(function: Callable[..., Any]) -> Callable[..., Any]:
    async def endpoint(**arguments: Any) -> Any:
        return await run_in_threadpool(function, **arguments)

    # FastAPI reads parameters, name and docs from these; not functools.wraps, whose __wrapped__
    # would make FastAPI see the sync function again.
    endpoint.__signature__ = inspect.signature(function, eval_str=True)  # resolved where it was written
    endpoint.__name__ = function.__name__
    endpoint.__qualname__ = function.__qualname__
    endpoint.__doc__ = function.__doc__
    endpoint.__module__ = function.__module__
    return endpoint
