"""Route classes every app's routers use.

`StrictJsonRoute`: JSON request bodies are parsed as RFC 8259 defines JSON, not as Python's `json` module
does. Python accepts `NaN`, `Infinity` and numbers that overflow to infinity, and strings holding lone
UTF-16 surrogates (`"\\ud800"`); none of these can be written back as JSON or stored as text, so once
accepted they fail later, as a 500 (in the error answer that echoes them, in the database, in the
next read). Refused while parsing, they are a 422 naming the position and the reason.

`ThreadedEndpointRoute`, for sync endpoints that hold a pooled database connection: FastAPI runs a
sync endpoint on a worker thread and then validates its answer on *another* worker thread, while the
request still holds its connection (released only when the session dependency exits). Under load every
worker thread can end up waiting for a connection that is held by a request waiting for a thread:
nothing moves until the pool times out. Wrapping the endpoint in a coroutine that runs it on a worker
thread keeps the blocking work off the event loop but lets FastAPI validate the answer on the loop, so a
connection holder never waits for a thread.
"""
from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable, Coroutine
from typing import Any

import pydantic_core
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

_JITER_POSITION = re.compile(r" at line (\d+) column (\d+)$")


def strict_json(body: bytes) -> Any:
    """The JSON value of `body`, or json.JSONDecodeError (FastAPI's 422 `json_invalid`) saying why: not
    UTF-8, not JSON, NaN or Infinity, a number beyond a float's range, a lone surrogate, nesting deeper
    than 200 levels."""
    try:
        value = pydantic_core.from_json(body, allow_inf_nan=False)
    except ValueError as error:
        reason = str(error)
        found = _JITER_POSITION.search(reason)
        raise json.JSONDecodeError(reason, "", _offset(body, *map(int, found.groups())) if found else 0) from None
    if not _all_finite(value):
        raise json.JSONDecodeError("a number is beyond the range of a 64-bit float", "", 0)
    return value


def _offset(body: bytes, line: int, column: int) -> int:
    lines = body.split(b"\n", line - 1)
    return sum(len(text) + 1 for text in lines[:line - 1]) + column - 1


def _all_finite(value: Any) -> bool:
    """False if `value` holds an infinite float (the parser turns a literal like 1e999 into one)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_json(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """Parses a JSON body with `strict_json` (routes without a body are left as they are)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def strict_json_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_json_handler


class ThreadedEndpointRoute(StrictJsonRoute):
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
