"""A per-user cache of read answers, served before routing, that no write leaves stale.

What is cached: answers to GET requests on paths the app names (`cacheable`), status 200 with a
JSON body, keyed by (owner, path, query string). The owner is the caller's `sub` as the app's
authenticator decides it *without I/O* (local mode, the API key, or a token verified earlier and not
yet expired); anything else goes to the app, which checks credentials and answers errors. The app
must only name paths whose answer depends on nothing but the owner, the path, the query and the
database (and the UTC date: the whole cache is dropped at UTC midnight, so day-based statistics such
as a study streak roll over).

Correctness rests on invalidation, not on expiry:

- Every write records a change for the owner it changed (or for everyone, `None`) through the
  invalidation backend, inside the write's own transaction.
- `PostgresInvalidation` sends a NOTIFY in that transaction, so it is delivered exactly when the
  write commits and never for a rolled-back one. Each worker keeps one LISTEN connection. Before a
  hit is served, that connection makes a round trip to PostgreSQL, which delivers every notification
  committed before it ("caught up"); concurrent hits share one round trip. So a client that has its
  POST answer sees its write on the next GET, whichever worker or ECS task serves it. Without the
  listener (not yet connected, dropped, or a probe notification did not arrive) the cache is empty and
  off: every request goes to the database.
- `LocalInvalidation` (SQLite, one process) drops the owner's entries when the write commits.
- A miss stores its answer only if no invalidation of its owner happened since it started, so an
  answer read before a concurrent write is never stored after that write's invalidation.

Bounded: least recently used entries are evicted beyond `max_bytes` of bodies.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import psycopg
from sqlalchemy import ColumnElement, Engine, event, func, literal_column, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modules.batching import Batcher, in_background

logger = logging.getLogger(__name__)

Key = tuple[str, str, bytes]  # owner, path, query string
MAX_TRACKED_OWNERS = 10_000  # recent per-owner invalidations remembered; older ones count as "everything"
CHANNEL = "response_cache"
EVERYONE = ""  # the notification payload of a change visible to every user (owners are never empty)
PROBE_PREFIX = "probe:"


def notice(owner: str | ColumnElement[str] | None):
    """`pg_notify(...)` announcing a change of the owner's data (everyone's for None), to execute inside
    the writing transaction - or to put in the write statement itself (its RETURNING: one round trip, and
    nothing is announced when no row is written). `owner` may be a bind parameter of that statement."""
    # The channel inlined: statements compiled once to SQL (e.g. for psycopg directly) carry no extra parameter.
    return func.pg_notify(literal_column(f"'{CHANNEL}'"), EVERYONE if owner is None else owner)


@dataclass(frozen=True, slots=True)
class CachedResponse:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: object = None  # the route that made the answer: a hit puts it in the scope, as routing would


class ResponseCache:
    """The entries, LRU-bounded by body bytes, with the bookkeeping that refuses stale stores.

    Thread-safe: lookups run on the event loop, SQLite invalidations on the threads running writes."""

    def __init__(self, max_bytes: int, clock: Callable[[], float] = time.time) -> None:
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Key, CachedResponse] = OrderedDict()
        self._keys_by_owner: dict[str, set[Key]] = {}
        self._size = 0
        self._version = 0  # counts invalidations
        self._invalidated_at: OrderedDict[str, int] = OrderedDict()  # owner -> version of its last invalidation
        self._floor = 0  # version of the last invalidation of everything (or of a forgotten owner)
        self._enabled = True
        self._day_ends = self._next_midnight()

    @property
    def enabled(self) -> bool:
        return self._enabled

    def __len__(self) -> int:
        return len(self._entries)

    def version(self) -> int:
        """Taken before a miss reads the database; `put` refuses the answer if its owner changed since."""
        return self._version

    def get(self, key: Key) -> CachedResponse | None:
        with self._lock:
            if not self._enabled:
                return None
            if self._clock() >= self._day_ends:
                self._drop_all()
                self._day_ends = self._next_midnight()
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Key, response: CachedResponse, read_since: int) -> bool:
        owner = key[0]
        with self._lock:
            if (not self._enabled or len(response.body) > self.max_bytes
                    or max(self._floor, self._invalidated_at.get(owner, 0)) > read_since):
                return False
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._size -= len(previous.body)
            self._entries[key] = response
            self._size += len(response.body)
            self._keys_by_owner.setdefault(owner, set()).add(key)
            while self._size > self.max_bytes:
                self._forget(next(iter(self._entries)))
            return True

    def invalidate(self, owner: str | None) -> None:
        """Drop the owner's entries (everyone's for None) and refuse stores of answers read before now."""
        with self._lock:
            if owner is None:
                self._drop_all()
                return
            self._version += 1
            self._invalidated_at[owner] = self._version
            self._invalidated_at.move_to_end(owner)
            if len(self._invalidated_at) > MAX_TRACKED_OWNERS:
                _, forgotten_version = self._invalidated_at.popitem(last=False)
                self._floor = max(self._floor, forgotten_version)
            for key in self._keys_by_owner.pop(owner, ()):
                self._size -= len(self._entries.pop(key).body)

    def disable(self) -> None:
        with self._lock:
            self._enabled = False
            self._drop_all()

    def enable(self) -> None:
        """Start from empty: changes made while disabled were not seen."""
        with self._lock:
            self._drop_all()
            self._enabled = True

    def _forget(self, key: Key) -> None:
        self._size -= len(self._entries.pop(key).body)
        keys = self._keys_by_owner[key[0]]
        keys.discard(key)
        if not keys:
            del self._keys_by_owner[key[0]]

    def _drop_all(self) -> None:
        self._version += 1
        self._floor = self._version
        self._invalidated_at.clear()
        self._entries.clear()
        self._keys_by_owner.clear()
        self._size = 0

    def _next_midnight(self) -> float:
        today = datetime.fromtimestamp(self._clock(), timezone.utc).date()
        return datetime.combine(today + timedelta(days=1), datetime.min.time(), timezone.utc).timestamp()


class LocalInvalidation:
    """One process (SQLite): a write drops its owner's entries when it commits."""

    def __init__(self, cache: ResponseCache) -> None:
        self.cache = cache

    def record(self, session: Session, owner: str | None) -> None:
        event.listen(session, "after_commit", lambda _: self.cache.invalidate(owner), once=True)

    async def caught_up(self) -> bool:
        return self.cache.enabled

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


class PostgresInvalidation:
    """Writers NOTIFY in their transaction; each worker LISTENs and drops what changed (module docstring)."""

    def __init__(self, cache: ResponseCache, engine: Engine,
                 connect: Callable[[], Awaitable[psycopg.AsyncConnection]], *, check_seconds: float = 1.0,
                 probe_timeout_seconds: float = 5.0) -> None:
        self.cache = cache
        self.engine = engine
        self.check_seconds = check_seconds  # idle round trips: notifications are drained, a dead link is found
        self.probe_timeout_seconds = probe_timeout_seconds
        self._connect = connect
        self._connection: psycopg.AsyncConnection | None = None
        self._catch_up = Batcher(self._sync_for, slots=1)  # one query at a time on the connection
        self._probe: tuple[str, asyncio.Future[None]] | None = None
        self._task: asyncio.Task | None = None
        self._closing: set[asyncio.Task] = set()
        cache.disable()

    def record(self, session: Session, owner: str | None) -> None:
        """Call inside the write's transaction (before its commit)."""
        session.execute(select(notice(owner)))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="response-cache-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._close()

    async def caught_up(self) -> bool:
        """True once every notification committed before this call has been applied; False while the
        cache is off. Concurrent callers share the next round trip."""
        if not self.cache.enabled:
            return False
        return await self._catch_up.submit(None)

    async def _sync_for(self, callers: list[None]) -> list[bool]:
        return [await self._sync()] * len(callers)

    async def _sync(self) -> bool:
        """A query on the listening connection: PostgreSQL delivers pending notifications before its answer."""
        connection = self._connection
        if connection is None:
            return False
        try:
            await connection.execute("SELECT 1")
            return self.cache.enabled
        except psycopg.Error as error:
            self._lost(error)
            return False

    async def _listen_forever(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._open()
                delay = 0.5
                while self._connection is not None:
                    await asyncio.sleep(self.check_seconds)
                    await self._catch_up.submit(None)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure to listen leaves the cache off, never the app down
                self._lost(error)
            await asyncio.sleep(delay)
            delay = min(2 * delay, 30.0)

    async def _open(self) -> None:
        connection = await self._connect()
        connection.add_notify_handler(self._on_notify)
        await connection.execute(f"LISTEN {CHANNEL}")
        self._connection = connection
        await self._check_delivery()
        self.cache.enable()
        logger.info("response cache on: listening for changes", extra={"channel": CHANNEL})

    async def _check_delivery(self) -> None:
        """A NOTIFY sent the way writes send theirs must arrive here (a proxy between us and PostgreSQL
        could accept LISTEN and never deliver: the cache would then go stale, so it stays off)."""
        token = PROBE_PREFIX + secrets.token_hex(8)
        arrived = asyncio.get_running_loop().create_future()
        self._probe = (token, arrived)
        try:
            await run_in_threadpool(self._send_probe, token)
            async with asyncio.timeout(self.probe_timeout_seconds):
                while not arrived.done():
                    await self._catch_up.submit(None)
                    await asyncio.sleep(0.01)
        finally:
            self._probe = None

    def _send_probe(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(select(func.pg_notify(CHANNEL, token)))

    def _on_notify(self, notification: psycopg.Notify) -> None:
        payload = notification.payload
        if payload.startswith(PROBE_PREFIX):
            if self._probe is not None and self._probe[0] == payload and not self._probe[1].done():
                self._probe[1].set_result(None)
            return
        self.cache.invalidate(None if payload == EVERYONE else payload)

    def _lost(self, error: BaseException) -> None:
        if self.cache.enabled or self._connection is not None:
            logger.warning("response cache off: the change listener failed", extra={"error": repr(error)})
        self.cache.disable()
        connection, self._connection = self._connection, None
        if connection is not None:
            in_background(self._closing, _close_quietly(connection))

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await _close_quietly(connection)


async def _close_quietly(connection: psycopg.AsyncConnection) -> None:
    try:
        await connection.close()
    except psycopg.Error:
        pass


Invalidation = LocalInvalidation | PostgresInvalidation


class ResponseCacheMiddleware:
    """Serves cached answers before routing; stores the app's cacheable answers on a miss."""

    def __init__(self, app: ASGIApp, cache: ResponseCache, invalidation: Invalidation,
                 owner_of: Callable[[Scope], str | None], cacheable: Callable[[str], bool]) -> None:
        self.app = app
        self.cache = cache
        self.invalidation = invalidation
        self.owner_of = owner_of
        self.cacheable = cacheable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET" or not self.cache.enabled
                or not self.cacheable(scope["path"])):
            await self.app(scope, receive, send)
            return
        owner = self.owner_of(scope)
        if owner is None:
            await self.app(scope, receive, send)
            return
        key = (owner, scope["path"], scope["query_string"])
        entry = self.cache.get(key)
        if entry is not None and await self.invalidation.caught_up():
            entry = self.cache.get(key)  # catching up may have dropped it
            if entry is not None:
                if entry.route is not None:  # outer middleware name the request after it (its metrics, its span)
                    scope["route"] = entry.route
                await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
                await send({"type": "http.response.body", "body": entry.body})
                return
        await self._miss(key, scope, receive, send)

    async def _miss(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        read_since = self.cache.version()
        headers: list[tuple[bytes, bytes]] | None = None  # of a 200 JSON answer; None: not cacheable
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal headers
            if message["type"] == "http.response.start":
                # Copied before sending: outer middleware add their own (per-request) headers to it.
                headers = list(message.get("headers", [])) if _is_json_ok(message) else None
            elif message["type"] == "http.response.body" and headers is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.cache.put(key, CachedResponse(headers, b"".join(chunks), scope.get("route")), read_since)
            await send(message)

        await self.app(scope, receive, capture)


def _is_json_ok(start: Message) -> bool:
    content_type = dict(start.get("headers", [])).get(b"content-type", b"")
    return start["status"] == 200 and content_type.startswith(b"application/json")
