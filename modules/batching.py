"""Concurrent callers' items sent together: one round trip per batch instead of one per caller.

What PostgreSQL's group commit does for WAL flushes, done for round trips: while every slot is busy,
arriving items wait; the next free slot takes all of them at once. With a slot free an item goes at
once, alone, so a quiet service adds no delay; under load batches grow by themselves.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    """`submit(item)` returns what `run(batch)` gave for that item (an exception there is raised for that
    caller alone). `run` answers with one result or exception per item, in order; if it raises, every
    item of its batch gets that exception. At most `slots` batches run at once."""

    def __init__(self, run: Callable[[list[Item]], Awaitable[list[Result | Exception]]], slots: int = 1) -> None:
        if slots < 1:
            raise ValueError(f"slots must be at least 1, not {slots}")
        self._run = run
        self._slots = slots
        self._running = 0
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._tasks: set[asyncio.Task] = set()

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        self._start_batches()
        # A caller that gives up (cancelled) leaves its item in the batch: it may already be sent.
        return await asyncio.shield(future)

    def _start_batches(self) -> None:
        while self._waiting and self._running < self._slots:
            batch, self._waiting = self._waiting, []
            self._running += 1
            in_background(self._tasks, self._send(batch))

    async def _send(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results: list[Result | Exception] = await self._run([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} items got {len(results)} results")
        except asyncio.CancelledError:  # shutting down: nobody is left waiting forever
            for _, future in batch:
                future.cancel()
            raise
        except Exception as error:
            results = [error] * len(batch)
        finally:
            self._running -= 1
        _settle(batch, results)
        self._start_batches()


def _settle(batch: list[tuple[Any, asyncio.Future]], results: list[Any]) -> None:
    for (_, future), result in zip(batch, results):
        if isinstance(result, Exception):
            future.set_exception(result)
            future.exception()  # retrieved: its caller may have given up
        else:
            future.set_result(result)


def in_background(tasks: set[asyncio.Task], coroutine: Coroutine[Any, Any, None]) -> None:
    """Run `coroutine` as a task kept in `tasks` until done (the event loop keeps only weak references)."""
    task = asyncio.create_task(coroutine)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
