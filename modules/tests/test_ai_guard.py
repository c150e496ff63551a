"""The AI cost guard through HTTP (an app from create_web_app with an AI-like endpoint) and its budgets
on a controlled clock: per-user limits with a clear 429 and Retry-After, reuse for the same input, one
generation for a burst of identical requests."""
from __future__ import annotations

import asyncio
import threading
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.testclient import TestClient

from modules.ai_guard import AiGuard, CallBudgets, RateLimited, get_ai_guard
from modules.auth import Authenticator, Principal, current_principal
from modules.routing import ThreadedEndpointRoute
from modules.settings import AppSettings
from modules.webapp import create_web_app


class UserPerToken(Authenticator):
    """The bearer token names the user (the real token checks are test_auth.py's)."""

    def __init__(self) -> None:
        super().__init__(None, None, "nobody")

    def known_principal(self, bearer_token: str | None, api_key: str | None) -> Principal | None:
        return Principal.user(bearer_token or "nobody")


class Model:
    """Stands in for a paid model call: counts calls; `gate` (when set) holds each call until released."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gate: threading.Event | None = None
        self.failures = 0

    def answer(self, topic: str) -> dict:
        self.calls.append(topic)
        if self.gate is not None:
            self.gate.wait(5)
        if self.failures:
            self.failures -= 1
            raise HTTPException(502, detail="the model's answer was unusable")
        return {"topic": topic, "text": f"a poem about {topic}"}


def build_app(model: Model, **settings: object) -> FastAPI:
    app = create_web_app(AppSettings(local_mode=True, **settings), title="ai", version="1")
    app.state.authenticator = UserPerToken()
    app.router.route_class = ThreadedEndpointRoute

    @app.post("/poems/{topic}")
    def poem(topic: str, caller: Annotated[Principal, Depends(current_principal)],
             ai: Annotated[AiGuard, Depends(get_ai_guard)]) -> dict:
        return ai.generate(caller, ("poem", topic), lambda: model.answer(topic))

    return app


def as_user(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {name}"}


@pytest.fixture
def model() -> Model:
    return Model()


def test_a_user_over_their_limit_gets_a_clear_429_with_retry_after(model):
    client = TestClient(build_app(model, ai_call_burst=2, ai_calls_per_hour=60))
    assert client.post("/poems/rain", headers=as_user("ann")).status_code == 200
    assert client.post("/poems/snow", headers=as_user("ann")).status_code == 200
    refused = client.post("/poems/wind", headers=as_user("ann"))
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"  # one call per minute comes back
    assert refused.json() == {"detail": "too many AI requests: you can make another in 60 seconds",
                              "retry_after_seconds": 60}
    assert client.post("/poems/wind", headers=as_user("bob")).status_code == 200  # a budget per user
    assert model.calls == ["rain", "snow", "wind"]


def test_the_same_input_reuses_the_answer_free_of_charge(model):
    client = TestClient(build_app(model, ai_call_burst=1))
    first = client.post("/poems/rain", headers=as_user("ann")).json()
    for user in ("ann", "ann", "bob"):  # ann is out of calls, yet a kept answer costs nothing
        assert client.post("/poems/rain", headers=as_user(user)).json() == first
    assert model.calls == ["rain"]


def test_a_failed_generation_is_not_kept(model):
    model.failures = 1
    client = TestClient(build_app(model))
    assert client.post("/poems/rain").status_code == 502
    assert client.post("/poems/rain").status_code == 200
    assert model.calls == ["rain", "rain"]


def test_a_burst_of_identical_requests_makes_one_generation(model):
    app = build_app(model, ai_call_burst=1)
    model.gate = threading.Event()

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://ai") as client:
            requests = [asyncio.ensure_future(client.post("/poems/rain", headers=as_user(f"user-{n}")))
                        for n in range(5)]
            while not model.calls:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # the other four are waiting for that one
            model.gate.set()
            return await asyncio.gather(*requests)

    responses = asyncio.run(burst())
    assert [response.status_code for response in responses] == [200] * 5
    assert model.calls == ["rain"]


def test_budgets_refill_at_the_configured_rate():
    now = [0.0]
    budgets = CallBudgets(capacity=2, per_second=0.5, clock=lambda: now[0])
    budgets.spend("ann")
    budgets.spend("ann")
    with pytest.raises(RateLimited) as refused:
        budgets.spend("ann")
    assert refused.value.retry_after_seconds == 2
    now[0] += 1.0  # half a call back
    with pytest.raises(RateLimited) as refused:
        budgets.spend("ann")
    assert refused.value.retry_after_seconds == 1
    now[0] += 1.0
    budgets.spend("ann")
    now[0] += 100  # never more than the burst
    budgets.spend("ann")
    budgets.spend("ann")
    with pytest.raises(RateLimited):
        budgets.spend("ann")


def test_kept_answers_expire_and_are_bounded():
    now = [0.0]
    guard = AiGuard(CallBudgets(100, 1.0), reuse_entries=2, reuse_seconds=10, clock=lambda: now[0])
    made: list[str] = []
    user = Principal.user("ann")

    def generate(key: str) -> str:
        return guard.generate(user, key, lambda: made.append(key) or key)

    generate("a"), generate("b"), generate("a")
    assert made == ["a", "b"]
    generate("c")  # b, the least recently used, is dropped
    generate("a"), generate("b")
    assert made == ["a", "b", "c", "b"]
    now[0] += 10
    generate("a")
    assert made == ["a", "b", "c", "b", "a"]
    guard.generate(user, "d", lambda: made.append("d") or "d", keep=False)
    guard.generate(user, "d", lambda: made.append("d") or "d", keep=False)
    assert made[-2:] == ["d", "d"]  # keep=False: waited for, never kept
