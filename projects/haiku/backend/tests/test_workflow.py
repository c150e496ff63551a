"""The media workflow's lease: a task that dies mid-generation, SIGTERM, a haiku deleted while its media are
made, and a haiku no task manages to finish. Workers run on the test's event loop against a real database;
a step that waits for the test stands in for a slow AWS call."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from modules.aws import AwsClients
from modules.database import utcnow
from modules.tests.support import fake_session
from projects.haiku.backend.media import Media, MediaSteps
from projects.haiku.backend.models import Haiku
from projects.haiku.backend.tests.conftest import AWS, BUCKET, settings_for
from projects.haiku.backend.tests.helpers import JAPANESE, LINES
from projects.haiku.backend.workflow import INTERRUPTED, MediaWorker


class ScriptedSteps(MediaSteps):
    """Steps that answer at once, except that `hold` makes a picture wait until released; the keys it writes are
    kept in `written` (standing in for the bucket)."""

    def __init__(self, written: set[str]) -> None:
        self.written = written
        self.hold = threading.Event()
        self.hold.set()
        self.picture_started = threading.Event()
        self.deleted: list[str] = []

    def translate(self, number, line):
        return JAPANESE[number - 1]

    def describe(self, lines):
        return [f"picture of {line}" for line in lines]

    def speak(self, haiku_id, number, japanese):
        self.written.add(f"{haiku_id}/audio-{number}.mp3")
        return f"{haiku_id}/audio-{number}.mp3"

    def picture(self, haiku_id, number, description):
        self.picture_started.set()
        assert self.hold.wait(10)
        self.written.add(f"{haiku_id}/image-{number}.png")
        return f"{haiku_id}/image-{number}.png"


class FolderDeletion:
    def __init__(self, written: set[str], deleted: list[str]) -> None:
        self.written, self.deleted = written, deleted

    def delete_folder(self, folder: str) -> int:
        self.deleted.append(folder)
        gone = {key for key in self.written if key.startswith(folder)}
        self.written -= gone
        return len(gone)


def worker(engine, written: set[str], clock=utcnow, **settings) -> MediaWorker:
    configured = settings_for(str(engine.url), **(AWS | {"media_bucket": BUCKET} | settings))
    made = MediaWorker(engine, configured, AwsClients(configured, session=fake_session()), clock=clock)
    made.steps = ScriptedSteps(written)
    made.media = FolderDeletion(written, made.steps.deleted)
    return made


def accepted_haiku(engine, owner: str = "alice") -> str:
    haiku_id = f"{abs(hash((owner, utcnow()))) :032x}"[-32:]
    with Session(engine) as db:
        db.add(Haiku(haiku_id=haiku_id, owner_sub=owner, status="in progress", english_lines=LINES))
        db.commit()
    return haiku_id


def row(engine, haiku_id: str) -> Haiku | None:
    with Session(engine) as db:
        return db.execute(select(Haiku).where(Haiku.haiku_id == haiku_id)).scalar_one_or_none()


async def until(condition, timeout: float = 10) -> None:
    for _ in range(int(timeout / 0.02)):
        if await asyncio.to_thread(condition):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def engine(db_url):
    made = create_engine(db_url)
    yield made
    made.dispose()


def test_a_task_that_dies_mid_generation_leaves_the_haiku_to_the_next_one(engine):
    written: set[str] = set()

    async def scenario() -> None:
        first = worker(engine, written)
        first.steps.hold.clear()  # its pictures never finish: the task "dies" with the lease held,
        first._renew = lambda haiku_id: True  # renewing nothing any more
        haiku_id = accepted_haiku(engine)
        assert await first.take_available() == [haiku_id]
        await asyncio.to_thread(first.steps.picture_started.wait, 10)
        held = row(engine, haiku_id)
        assert (held.status, held.lease_owner, held.attempts) == ("in progress", first.name, 1)

        # While the lease runs, nobody else takes it: two tasks never work on the same haiku.
        second = worker(engine, written)
        assert await second.take_available() == []
        # Once it has lapsed (the second task's clock past its expiry), the second takes it over and finishes.
        later = worker(engine, written, clock=lambda: utcnow() + timedelta(seconds=7))
        assert await later.take_available() == [haiku_id]
        await until(lambda: row(engine, haiku_id).status == "completed")
        done = row(engine, haiku_id)
        assert (done.attempts, done.lease_owner, done.japanese_lines) == (2, None, JAPANESE)
        assert sorted(done.image_keys) == [f"{haiku_id}/image-{n}.png" for n in (1, 2, 3)]
        # The dead task's renewals now find the lease gone: it stops without writing anything.
        assert not await asyncio.to_thread(MediaWorker._renew, first, haiku_id)
        first.steps.hold.set()
        await asyncio.gather(*first.running.values(), return_exceptions=True)
        assert row(engine, haiku_id).status == "completed" and row(engine, haiku_id).attempts == 2
        await later.stop()
        await second.stop()

    asyncio.run(scenario())


def test_a_haiku_whose_tasks_keep_dying_is_failed_with_its_media_removed(engine):
    written = {"x/leftover"}

    async def scenario() -> None:
        haiku_id = accepted_haiku(engine)
        written.add(f"{haiku_id}/audio-1.mp3")  # what a dead task left behind
        with engine.begin() as connection:
            connection.execute(update(Haiku).where(Haiku.haiku_id == haiku_id).values(
                attempts=3, lease_owner="dead-task", lease_expires_at=utcnow() - timedelta(seconds=1)))
        next_task = worker(engine, written, media_max_attempts=3)
        assert await next_task.take_available() == []
        failed = row(engine, haiku_id)
        assert (failed.status, failed.error_message, failed.lease_owner) == ("failed", INTERRUPTED, None)
        assert written == {"x/leftover"}  # only this haiku's folder was emptied
        await next_task.stop()

    asyncio.run(scenario())


def test_sigterm_lets_running_work_finish_within_the_grace_or_hands_it_back(engine):
    written: set[str] = set()

    async def scenario() -> None:
        stopping = worker(engine, written)
        stopping.steps.hold.clear()
        haiku_id = accepted_haiku(engine)
        stopping.start()
        stopping.wake()
        await asyncio.to_thread(stopping.steps.picture_started.wait, 10)
        await stopping.stop(grace_seconds=0.2)  # the picture is still being made: handed back
        handed = row(engine, haiku_id)
        assert (handed.status, handed.lease_owner, handed.lease_expires_at) == ("in progress", None, None)
        stopping.steps.hold.set()
        # The next task takes it at once (no lease to wait out) and completes it.
        successor = worker(engine, written)
        assert await successor.take_available() == [haiku_id]
        await until(lambda: row(engine, haiku_id).status == "completed")
        await successor.stop()

        finishing = worker(engine, written)
        finishing.steps.hold.clear()
        other = accepted_haiku(engine, "bob")
        assert await finishing.take_available() == [other]
        await asyncio.to_thread(finishing.steps.picture_started.wait, 10)
        asyncio.get_running_loop().call_later(0.2, finishing.steps.hold.set)
        await finishing.stop(grace_seconds=10)  # finishes within the grace
        assert row(engine, other).status == "completed"

    asyncio.run(scenario())


def test_a_haiku_deleted_while_its_media_are_made_leaves_no_media(engine):
    written: set[str] = set()

    async def scenario() -> None:
        making = worker(engine, written)
        making.steps.hold.clear()
        haiku_id = accepted_haiku(engine)
        assert await making.take_available() == [haiku_id]
        await asyncio.to_thread(making.steps.picture_started.wait, 10)
        with Session(engine) as db:
            db.delete(db.get(Haiku, haiku_id))
            db.commit()
        making.steps.hold.set()
        await asyncio.gather(*making.running.values())
        assert written == set() and making.steps.deleted == [f"{haiku_id}/"]
        await making.stop()

    asyncio.run(scenario())


def test_make_media_runs_independent_steps_at_once_within_its_limit():
    """The three pictures are made side by side (each waits until all three are under way), the translations
    and speeches beside them; never more calls at once than the limit."""
    from projects.haiku.backend.media import make_media

    class Counting(ScriptedSteps):
        def __init__(self) -> None:
            super().__init__(set())
            self.pictures_together = threading.Barrier(3, timeout=5)
            self.active = self.most = 0
            self.lock = threading.Lock()

        def _counted(self, step, *args):
            with self.lock:
                self.active += 1
                self.most = max(self.most, self.active)
            try:
                return step(*args)
            finally:
                with self.lock:
                    self.active -= 1

        def translate(self, number, line):
            return self._counted(super().translate, number, line)

        def picture(self, haiku_id, number, description):
            return self._counted(lambda: (self.pictures_together.wait(), super(Counting, self).picture(
                haiku_id, number, description))[1])

    steps = Counting()
    media = asyncio.run(make_media("h", LINES, steps, 4, asyncio.to_thread))
    assert media.japanese_lines == JAPANESE and media.image_keys == [f"h/image-{n}.png" for n in (1, 2, 3)]
    assert media.audio_keys == [f"h/audio-{n}.mp3" for n in (1, 2, 3)]
    assert 3 <= steps.most <= 4
