"""Batcher: items that arrive while every slot is busy go together; each caller gets its own result."""
from __future__ import annotations

import asyncio

import pytest

from modules.batching import Batcher


class Recorder:
    """A `run` that records its batches and holds each until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.running = 0
        self.most_running = 0
        self.release = asyncio.Event()

    async def __call__(self, items: list[int]) -> list[int | Exception]:
        self.batches.append(items)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        await self.release.wait()
        self.running -= 1
        return [ValueError(f"odd {item}") if item % 2 else item * 10 for item in items]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_an_item_goes_at_once_alone_and_the_waiting_ones_go_together_in_the_next_batch():
    async def scenario() -> tuple[Recorder, list]:
        run = Recorder()
        batcher = Batcher(run, slots=1)
        first = asyncio.ensure_future(batcher.submit(0))
        await settle()
        assert run.batches == [[0]]  # no waiting for company when a slot is free
        later = [asyncio.ensure_future(batcher.submit(item)) for item in range(2, 12, 2)]
        await settle()
        assert run.batches == [[0]]  # the slot is busy: they wait together
        run.release.set()
        return run, await asyncio.gather(first, *later)

    run, results = asyncio.run(scenario())
    assert run.batches == [[0], [2, 4, 6, 8, 10]]
    assert results == [0, 20, 40, 60, 80, 100]


def test_at_most_slots_batches_run_at_once():
    async def scenario() -> Recorder:
        run = Recorder()
        batcher = Batcher(run, slots=3)
        waiting = [asyncio.ensure_future(batcher.submit(2 * item)) for item in range(20)]
        for _ in range(10):
            await settle()
            if len(run.batches) >= 3:
                break
        assert run.running == 3
        run.release.set()
        await asyncio.gather(*waiting)
        return run

    run = asyncio.run(scenario())
    assert run.most_running == 3
    assert sorted(item for batch in run.batches for item in batch) == [2 * item for item in range(20)]


def test_an_error_for_one_item_is_raised_to_its_caller_alone():
    async def scenario() -> list:
        run = Recorder()
        run.release.set()
        batcher = Batcher(run, slots=1)
        return await asyncio.gather(*(batcher.submit(item) for item in (2, 3, 4)), return_exceptions=True)

    two, three, four = asyncio.run(scenario())
    assert (two, four) == (20, 40)
    assert isinstance(three, ValueError) and str(three) == "odd 3"


def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_still_runs():
    async def run(items: list[int]) -> list[int]:
        await asyncio.sleep(0)
        if 1 in items:
            raise ConnectionError("database gone")
        return items

    async def scenario() -> list:
        batcher = Batcher(run, slots=1)
        # 0 goes alone; 1 and 2 arrive while it runs, so they share the failing batch.
        results = await asyncio.gather(*(batcher.submit(item) for item in (0, 1, 2)), return_exceptions=True)
        return [*results, await batcher.submit(3)]

    first, failed_1, failed_2, later = asyncio.run(scenario())
    assert (first, later) == (0, 3)
    assert [str(failed_1), str(failed_2)] == ["database gone", "database gone"]


def test_a_run_answering_the_wrong_number_of_results_is_an_error_not_a_mix_up():
    async def run(items: list[int]) -> list[int]:
        return items[:1]

    async def scenario() -> list:
        batcher = Batcher(run, slots=1)
        blocker = asyncio.ensure_future(batcher.submit(0))
        rest = [asyncio.ensure_future(batcher.submit(item)) for item in (1, 2)]
        return await asyncio.gather(blocker, *rest, return_exceptions=True)

    first, *rest = asyncio.run(scenario())
    assert first == 0
    assert all(isinstance(error, RuntimeError) and "a batch of 2 items got 1 results" in str(error) for error in rest)


def test_a_caller_that_gives_up_leaves_the_others_their_results():
    async def scenario() -> int:
        run = Recorder()
        batcher = Batcher(run, slots=1)
        impatient = asyncio.ensure_future(batcher.submit(2))
        patient = asyncio.ensure_future(batcher.submit(4))
        await settle()
        impatient.cancel()
        run.release.set()
        return await patient

    assert asyncio.run(scenario()) == 40


def test_slots_must_be_positive():
    with pytest.raises(ValueError, match="slots must be at least 1, not 0"):
        Batcher(Recorder(), slots=0)
