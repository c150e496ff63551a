"""The response cache's bookkeeping on its own: size bound, per-owner invalidation, refusal of answers
read before a concurrent write, the UTC day rollover, and the middleware's choice of what to keep."""
from __future__ import annotations

from datetime import datetime, timezone

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.testclient import TestClient

from modules.response_cache import CachedResponse, LocalInvalidation, ResponseCache, ResponseCacheMiddleware

NOON = datetime(2026, 11, 26, 12, tzinfo=timezone.utc).timestamp()


def answer(size: int) -> CachedResponse:
    return CachedResponse([(b"content-type", b"application/json")], b"x" * size)


def test_least_recently_used_entries_go_beyond_the_byte_bound():
    cache = ResponseCache(max_bytes=250)
    for name in ("a", "b", "c"):
        assert cache.put(("alice", f"/{name}", b""), answer(100), cache.version())
    assert cache.get(("alice", "/a", b"")) is None  # evicted: 300 bytes > 250
    assert cache.get(("alice", "/b", b"")) is not None
    cache.put(("alice", "/d", b""), answer(100), cache.version())  # /c is now the least recently used
    assert cache.get(("alice", "/c", b"")) is None and cache.get(("alice", "/b", b"")) is not None
    assert not cache.put(("alice", "/huge", b""), answer(251), cache.version())


def test_invalidation_drops_only_its_owner_or_everyone():
    cache = ResponseCache(max_bytes=10_000)
    for owner in ("alice", "bob"):
        cache.put((owner, "/words", b"page=1"), answer(10), cache.version())
    cache.invalidate("alice")
    assert cache.get(("alice", "/words", b"page=1")) is None
    assert cache.get(("bob", "/words", b"page=1")) is not None
    cache.invalidate(None)
    assert len(cache) == 0


def test_an_answer_read_before_a_write_is_not_stored_after_it():
    cache = ResponseCache(max_bytes=10_000)
    read_since = cache.version()  # a miss starts reading...
    cache.invalidate("alice")  # ...alice's write commits meanwhile
    assert not cache.put(("alice", "/words", b""), answer(10), read_since)
    assert cache.put(("bob", "/words", b""), answer(10), read_since)  # bob's data did not change
    read_since = cache.version()
    cache.invalidate(None)
    assert not cache.put(("bob", "/groups", b""), answer(10), read_since)


def test_the_cache_is_emptied_at_utc_midnight():
    now = [NOON]
    cache = ResponseCache(max_bytes=10_000, clock=lambda: now[0])
    cache.put(("alice", "/api/dashboard/quick-stats", b""), answer(10), cache.version())
    now[0] += 11 * 3600  # 23:00
    assert cache.get(("alice", "/api/dashboard/quick-stats", b"")) is not None
    now[0] += 3600  # next day: a streak of days may have ended
    assert cache.get(("alice", "/api/dashboard/quick-stats", b"")) is None


def test_a_disabled_cache_keeps_nothing_and_starts_empty_again():
    cache = ResponseCache(max_bytes=10_000)
    cache.put(("alice", "/a", b""), answer(10), cache.version())
    cache.disable()
    assert cache.get(("alice", "/a", b"")) is None
    assert not cache.put(("alice", "/a", b""), answer(10), cache.version())
    cache.enable()
    assert len(cache) == 0 and cache.put(("alice", "/a", b""), answer(10), cache.version())


def test_the_middleware_keeps_only_json_200_answers_of_known_callers_on_cacheable_paths():
    app = FastAPI()
    calls = {"count": 0}

    @app.get("/api/{kind}")
    def read(kind: str):
        calls["count"] += 1
        if kind == "text":
            return PlainTextResponse("hello")
        return JSONResponse({"n": calls["count"]}, status_code=404 if kind == "missing" else 200)

    cache = ResponseCache(max_bytes=10_000)
    owners = {b"alice": "alice"}
    app.add_middleware(ResponseCacheMiddleware, cache=cache, invalidation=LocalInvalidation(cache),
                       owner_of=lambda scope: owners.get(dict(scope["headers"]).get(b"x-user")),
                       cacheable=lambda path: path != "/api/uncached")
    client = TestClient(app)
    first = client.get("/api/json", headers={"x-user": "alice"}).json()
    assert client.get("/api/json", headers={"x-user": "alice"}).json() == first  # a hit
    assert client.get("/api/json?other", headers={"x-user": "alice"}).json() != first  # query is in the key
    for path, user in (("/api/json", "mallory"), ("/api/missing", "alice"), ("/api/text", "alice"),
                       ("/api/uncached", "alice")):
        before = calls["count"]
        client.get(path, headers={"x-user": user})
        client.get(path, headers={"x-user": user})
        assert calls["count"] == before + 2, path
