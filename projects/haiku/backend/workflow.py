"""The media workflow off the request path: every worker process of every task runs a `MediaWorker`.

Accepting a haiku only marks it `in progress` (with no lease). A worker takes a haiku by giving it a lease in
one conditional UPDATE (the haiku must be in progress and its lease missing or lapsed), so two tasks never work
on the same haiku; while working it renews the lease every third of its length, and stops when a renewal finds
the lease gone. Everything it writes back is conditioned on still holding the lease.

- Success: the Japanese lines, descriptions and media keys, status `completed`, in one UPDATE.
- A step failing: the haiku's media folder is emptied, then status `failed` with the step's message.
- SIGTERM (Fargate Spot's two minutes): the worker takes no new haiku, gives running ones
  MEDIA_SHUTDOWN_GRACE_SECONDS to finish, then hands them back (lease cleared: the next worker takes them
  at once and overwrites the same keys).
- A task that died: its leases lapse; any worker's poll takes those haikus over. Each take counts an attempt;
  past MEDIA_MAX_ATTEMPTS the haiku is failed (media removed) instead, so none stays `in progress` forever.
- A haiku deleted while its media were made: the final UPDATE finds nothing, and the media are removed.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, or_, select, update

from modules.aws import AwsClients, Bedrock, MediaStore, Speech
from modules.database import utcnow
from projects.haiku.backend.media import Media, MediaSteps, StepFailed, folder, make_media
from projects.haiku.backend.models import COMPLETED, FAILED, IN_PROGRESS, Haiku
from projects.haiku.backend.settings import HaikuSettings

logger = logging.getLogger(__name__)
INTERRUPTED = "Making the media was interrupted too many times; accept the haiku again to retry."
UNEXPECTED = "Making the media failed unexpectedly; accept the haiku again to retry."


class LeaseLost(Exception):
    """Another worker holds the haiku now (this one's lease lapsed), or the haiku is gone."""


class MediaWorker:
    def __init__(self, engine: Engine, settings: HaikuSettings, clients: AwsClients,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.settings = settings
        self.steps = MediaSteps(Bedrock(clients), Speech(clients), MediaStore(clients))
        self.media = self.steps.media
        self.clock = clock
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # The AWS calls' own threads: the request handlers' thread pool stays free for requests.
        self._calls = ThreadPoolExecutor(settings.media_step_concurrency * settings.media_workflows_per_worker,
                                         thread_name_prefix="haiku-media")
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task | None = None
        self.running: dict[str, asyncio.Task] = {}

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._poll(), name="haiku-media-poll")

    def wake(self) -> None:
        """A haiku was accepted here: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self, grace_seconds: float | None = None) -> None:
        """Take no new haiku; let running ones finish within the grace, then hand them back."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            await self._loop_task
        running = list(self.running.values())
        if running:
            grace = self.settings.media_shutdown_grace_seconds if grace_seconds is None else grace_seconds
            logger.info("letting running media workflows finish", extra={"haikus": len(running), "grace": grace})
            _, unfinished = await asyncio.wait(running, timeout=grace)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        self._calls.shutdown(wait=False, cancel_futures=True)

    # -- taking work -------------------------------------------------------------------------------------
    async def _poll(self) -> None:
        while not self._stopping:
            try:
                await self.take_available()
            except Exception as error:  # the database may be away for a while; the next poll tries again
                logger.warning("looking for media work failed", extra={"error": repr(error)})
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.media_poll_seconds)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def take_available(self) -> list[str]:
        """Lease the haikus waiting for a worker, as many as this one has room for; the ids it took."""
        room = self.settings.media_workflows_per_worker - len(self.running)
        if room <= 0 or self._stopping:
            return []
        taken = []
        for haiku_id in await asyncio.to_thread(self._waiting, room):
            haiku = await asyncio.to_thread(self._lease, haiku_id)
            if haiku is None:
                continue  # another worker was first
            if haiku.attempts > self.settings.media_max_attempts:
                await self._fail(haiku.haiku_id, INTERRUPTED)
                continue
            self.running[haiku.haiku_id] = asyncio.get_running_loop().create_task(
                self._work(haiku), name=f"haiku-media-{haiku.haiku_id}")
            taken.append(haiku.haiku_id)
        return taken

    def _waiting(self, limit: int) -> list[str]:
        now = self.clock()
        with self.engine.connect() as connection:
            return list(connection.execute(
                select(Haiku.haiku_id).where(Haiku.status == IN_PROGRESS, _lease_free(now))
                .order_by(Haiku.updated_at).limit(limit)).scalars())

    def _lease(self, haiku_id: str) -> Haiku | None:
        now = self.clock()
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(Haiku).where(Haiku.haiku_id == haiku_id, Haiku.status == IN_PROGRESS, _lease_free(now))
                .values(lease_owner=self.name, lease_expires_at=now + self._lease_length,
                        attempts=Haiku.attempts + 1, updated_at=now)).rowcount
            if not taken:
                return None
            row = connection.execute(select(Haiku).where(Haiku.haiku_id == haiku_id)).one()
        return Haiku(**row._mapping)

    @property
    def _lease_length(self) -> timedelta:
        return timedelta(seconds=self.settings.media_lease_seconds)

    # -- one haiku -----------------------------------------------------------------------------------------
    async def _work(self, haiku: Haiku) -> None:
        haiku_id = haiku.haiku_id
        work = asyncio.ensure_future(make_media(haiku_id, list(haiku.english_lines), self.steps,
                                                self.settings.media_step_concurrency, self._call))
        renewing = asyncio.ensure_future(self._keep_lease(haiku_id))
        try:
            done, _ = await asyncio.wait({work, renewing}, return_when=asyncio.FIRST_COMPLETED)
            if renewing in done:  # the lease is gone: whoever holds it now finishes the haiku
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
                logger.warning("media lease lost", extra={"haiku_id": haiku_id})
                return
            media = work.result()
            if not await asyncio.to_thread(self._complete, haiku_id, media):
                logger.info("haiku gone or taken over before its media were saved", extra={"haiku_id": haiku_id})
                await self._remove_media_unless_kept(haiku_id)
            else:
                logger.info("haiku completed", extra={"haiku_id": haiku_id, "attempt": haiku.attempts})
        except StepFailed as failure:
            await self._fail(haiku_id, str(failure))
        except asyncio.CancelledError:
            work.cancel()
            await asyncio.to_thread(self._hand_back, haiku_id)
            logger.info("media workflow handed back", extra={"haiku_id": haiku_id})
            raise
        except Exception as error:
            logger.error("media workflow failed unexpectedly", exc_info=error, extra={"haiku_id": haiku_id})
            await self._fail(haiku_id, UNEXPECTED)
        finally:
            renewing.cancel()
            self.running.pop(haiku_id, None)

    async def _call(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self._calls, function, *args)

    async def _keep_lease(self, haiku_id: str) -> None:
        """Renews the lease every third of its length; returns when a renewal finds it gone."""
        while True:
            await asyncio.sleep(self.settings.media_lease_seconds / 3)
            if not await asyncio.to_thread(self._renew, haiku_id):
                return

    def _held(self, haiku_id: str):
        return and_(Haiku.haiku_id == haiku_id, Haiku.status == IN_PROGRESS, Haiku.lease_owner == self.name)

    def _renew(self, haiku_id: str) -> bool:
        now = self.clock()
        with self.engine.begin() as connection:
            return bool(connection.execute(update(Haiku).where(self._held(haiku_id)).values(
                lease_expires_at=now + self._lease_length)).rowcount)

    def _complete(self, haiku_id: str, media: Media) -> bool:
        with self.engine.begin() as connection:
            return bool(connection.execute(update(Haiku).where(self._held(haiku_id)).values(
                status=COMPLETED, error_message=None, japanese_lines=media.japanese_lines,
                image_descriptions=media.image_descriptions, image_keys=media.image_keys, audio_keys=media.audio_keys,
                lease_owner=None, lease_expires_at=None, updated_at=self.clock())).rowcount)

    def _hand_back(self, haiku_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(Haiku).where(self._held(haiku_id)).values(lease_owner=None,
                                                                                 lease_expires_at=None))

    async def _fail(self, haiku_id: str, message: str) -> None:
        """Nothing half-made stays: the media folder is emptied first, then the haiku is failed. If emptying
        fails, the haiku keeps its lease until it lapses, and whoever takes it next tries again."""
        try:
            await self._call(self.media.delete_folder, folder(haiku_id))
        except Exception as error:
            logger.error("media of a failed haiku not removed", extra={"haiku_id": haiku_id, "error": repr(error)})
            return
        failed = await asyncio.to_thread(self._record_failure, haiku_id, message)
        logger.warning("haiku failed", extra={"haiku_id": haiku_id, "error_message": message, "recorded": bool(failed)})

    def _record_failure(self, haiku_id: str, message: str) -> bool:
        with self.engine.begin() as connection:
            return bool(connection.execute(update(Haiku).where(self._held(haiku_id)).values(
                status=FAILED, error_message=message, lease_owner=None, lease_expires_at=None,
                updated_at=self.clock())).rowcount)

    def _exists(self, haiku_id: str) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(Haiku.haiku_id).where(Haiku.haiku_id == haiku_id)).first() is not None

    async def _remove_media_unless_kept(self, haiku_id: str) -> None:
        """After losing a haiku at the last step: a deleted haiku's media go too; one another worker took over
        keeps its files (the same keys, which that worker writes)."""
        if not await asyncio.to_thread(self._exists, haiku_id):
            await self._call(self.media.delete_folder, folder(haiku_id))


def _lease_free(now: datetime):
    return or_(Haiku.lease_owner.is_(None), Haiku.lease_expires_at < now)
