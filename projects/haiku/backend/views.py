"""Reading haikus: the caller's own only (anyone else's is simply not found), with media links made now."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

from fastapi import HTTPException
from sqlalchemy import Engine, bindparam, func, select
from sqlalchemy.orm import Session

from modules.aws import MediaStore
from modules.database import AsyncConnections, CompiledRead
from projects.haiku.backend.models import Haiku

LIST_LIMIT = 200  # newest first; a learner's haikus are limited by the AI budget long before this matters
NOT_FOUND = "haiku not found"


def own_haiku(db: Session, haiku_id: str, owner: str) -> Haiku:
    haiku = db.execute(select(Haiku).where(Haiku.haiku_id == haiku_id, Haiku.owner_sub == owner)).scalar_one_or_none()
    if haiku is None:
        raise HTTPException(404, detail=NOT_FOUND)
    return haiku


class ListedHaiku(NamedTuple):
    """A row of the list: what a view needs of a haiku, and how many the owner has."""
    haiku_id: str
    status: str
    error_message: str | None
    english_lines: list[str]
    japanese_lines: list[str]
    image_descriptions: list[str]
    image_keys: list[str]
    audio_keys: list[str]
    created_at: datetime
    updated_at: datetime
    total: int


# The owner's newest LIST_LIMIT haikus and how many they have, in one round trip (the count is a window over every
# row of theirs, taken before the limit); the hottest read, so compiled once and run on the event loop.
OWN_HAIKUS = CompiledRead(
    select(*(getattr(Haiku, name) for name in ListedHaiku._fields[:-1]), func.count().over().label("total"))
    .where(Haiku.owner_sub == bindparam("owner")).order_by(Haiku.created_at.desc(), Haiku.haiku_id)
    .limit(bindparam("limit")))


async def own_haikus(connections: AsyncConnections | None, engine: Engine, owner: str) -> tuple[list[ListedHaiku], int]:
    rows = [ListedHaiku(*row) for row in await OWN_HAIKUS.rows(connections, engine, owner=owner, limit=LIST_LIMIT)]
    return rows, rows[0].total if rows else 0


def haiku_view(haiku: Haiku | ListedHaiku, media: MediaStore) -> dict:
    """The answer for one haiku. Links only for a completed haiku (its media are all there)."""
    complete = haiku.status == "completed" and not media.missing_settings()
    return {"haiku_id": haiku.haiku_id, "status": haiku.status, "error_message": haiku.error_message,
            "english_lines": haiku.english_lines, "japanese_lines": haiku.japanese_lines if complete else [],
            "image_descriptions": haiku.image_descriptions if complete else [],
            "image_urls": [media.link(key) for key in haiku.image_keys] if complete else [],
            "audio_urls": [media.link(key) for key in haiku.audio_keys] if complete else [],
            # UTC whichever way the row was read (CompiledRead's PostgreSQL rows are in the session's zone)
            "created_at": haiku.created_at.astimezone(timezone.utc),
            "updated_at": haiku.updated_at.astimezone(timezone.utc)}
