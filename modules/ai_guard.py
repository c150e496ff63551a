"""Cost control for the AI-backed endpoints of every app: a per-user limit on new generations, reuse of
what was already generated for the same input, and one generation at a time per input.

An endpoint hands `AiGuard.generate` the caller, a key naming everything the answer depends on, and
the function that makes it (the paid model call):

- a kept answer for the key is returned at once, and costs the caller nothing;
- while another request is making the answer for the same key, the caller waits for it (a burst of
  identical requests makes one model call);
- otherwise the caller spends one of their calls - `AI_CALL_BURST` at most, refilled at
  `AI_CALLS_PER_HOUR` - or gets `RateLimited` (429 with `Retry-After`, modules.errors), and the answer
  is made and kept (`AI_REUSE_ENTRIES`, `AI_REUSE_SECONDS`; least recently used dropped first).

A key is shared by every caller who sends it, so it must hold what the answer depends on and nothing a
caller may not see: a word's text, say (callers already proved they may see the word), or the caller's
own `sub` with their private input (a chat). Media already kept in S3 under a content key passes
`keep=False`: S3 is the reuse, and only the waiting and the limit apply.

State is per process (a task's worker), so across the service a user can make up to the limit times
the number of workers. Why not shared: the limit is a ceiling on spend, not an exact quota; a shared
count needs a store every app has, and two of the apps have no database; one PostgreSQL round trip per
call would suit only the others. The WAF's per-IP limit and Bedrock's account quotas stand behind it.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Request

from modules.auth import Principal
from modules.settings import AppSettings

Answer = TypeVar("Answer")
MAX_TRACKED_CALLERS = 100_000  # callers whose spending is remembered; the least recent are forgotten


class RateLimited(Exception):
    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"too many AI requests: you can make another in {retry_after_seconds} seconds")


class CallBudgets:
    """A token bucket per caller: `capacity` calls, refilled continuously at `per_second`."""

    def __init__(self, capacity: int, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # caller -> (calls left, as of)

    def spend(self, caller: str) -> None:
        """Take one call from `caller`'s budget, or raise RateLimited saying when one is back."""
        with self._lock:
            now = self._clock()
            left, as_of = self._buckets.pop(caller, (self.capacity, now))
            left = min(self.capacity, left + (now - as_of) * self.per_second)
            if left < 1:
                self._buckets[caller] = (left, now)
                raise RateLimited(max(1, math.ceil((1 - left) / self.per_second)))
            self._buckets[caller] = (left - 1, now)
            if len(self._buckets) > MAX_TRACKED_CALLERS:
                self._buckets.popitem(last=False)


@dataclass
class _Making(Generic[Answer]):
    done: threading.Event = field(default_factory=threading.Event)
    answer: tuple[Answer] | None = None  # (answer,) once made; None if making it failed


class AiGuard:
    """Thread-safe: the apps' AI calls run on worker threads (boto3 blocks)."""

    def __init__(self, budgets: CallBudgets, reuse_entries: int, reuse_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.budgets = budgets
        self.reuse_entries = reuse_entries
        self.reuse_seconds = reuse_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: OrderedDict[Hashable, tuple[object, float]] = OrderedDict()  # key -> (answer, made at)
        self._making: dict[Hashable, _Making] = {}

    @classmethod
    def from_settings(cls, settings: AppSettings) -> "AiGuard":
        budgets = CallBudgets(settings.ai_call_burst, settings.ai_calls_per_hour / 3600)
        return cls(budgets, settings.ai_reuse_entries, settings.ai_reuse_seconds)

    def spend(self, caller: Principal) -> None:
        """One new generation that can be neither kept nor shared (a streamed chat answer, a media workflow):
        only the limit applies. Raises RateLimited."""
        self.budgets.spend(caller.sub)

    def generate(self, caller: Principal, key: Hashable, make: Callable[[], Answer], *, keep: bool = True) -> Answer:
        """`make()`'s answer for `key` (module docstring). `make` must end in bounded time (AWS clients'
        timeouts): callers asking for the same key wait for it. If it raises, nothing is kept and each
        waiting caller tries on their own budget."""
        while True:
            with self._lock:
                kept = self._kept_answer(key)
                if kept is not None:
                    return kept[0]
                making = self._making.get(key)
                mine = making is None
                if mine:
                    making = self._making[key] = _Making()
            if mine:
                return self._make(caller, key, make, making, keep)
            making.done.wait()
            if making.answer is not None:
                return making.answer[0]

    def _make(self, caller: Principal, key: Hashable, make: Callable[[], Answer], making: _Making,
              keep: bool) -> Answer:
        try:
            self.budgets.spend(caller.sub)
            answer = make()
            making.answer = (answer,)
        finally:
            with self._lock:
                del self._making[key]
                if making.answer is not None and keep and self.reuse_entries:
                    self._kept[key] = (making.answer[0], self._clock())
                    if len(self._kept) > self.reuse_entries:
                        self._kept.popitem(last=False)
            making.done.set()
        return answer

    def _kept_answer(self, key: Hashable) -> tuple[object] | None:
        found = self._kept.get(key)
        if found is None:
            return None
        if self._clock() - found[1] >= self.reuse_seconds:
            del self._kept[key]
            return None
        self._kept.move_to_end(key)
        return (found[0],)


async def get_ai_guard(request: Request) -> AiGuard:  # async: no thread hop for a lookup
    return request.app.state.ai_guard


AiGuardDep = Annotated[AiGuard, Depends(get_ai_guard)]  # every Bedrock or Polly call goes through it
