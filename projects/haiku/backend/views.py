"""Reading haikus: the caller's own only (anyone else's is simply not found), with media links made now."""
from __future__ import annotations

from fastapi import HTTPException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modules.aws import MediaStore
from projects.haiku.backend.models import Haiku

LIST_LIMIT = 200  # newest first; a learner's haikus are limited by the AI budget long before this matters
NOT_FOUND = "haiku not found"


def own_haiku(db: Session, haiku_id: str, owner: str) -> Haiku:
    haiku = db.execute(select(Haiku).where(Haiku.haiku_id == haiku_id, Haiku.owner_sub == owner)).scalar_one_or_none()
    if haiku is None:
        raise HTTPException(404, detail=NOT_FOUND)
    return haiku


def own_haikus(db: Session, owner: str) -> tuple[list[Haiku], int]:
    """The owner's newest LIST_LIMIT haikus and how many they have, in one round trip (the count is a window over
    every row of theirs, taken before the limit)."""
    rows = db.execute(select(Haiku, func.count().over().label("total")).where(Haiku.owner_sub == owner)
                      .order_by(Haiku.created_at.desc(), Haiku.haiku_id).limit(LIST_LIMIT)).all()
    return [row.Haiku for row in rows], rows[0].total if rows else 0


def haiku_view(haiku: Haiku, media: MediaStore) -> dict:
    """The answer for one haiku. Links only for a completed haiku (its media are all there)."""
    complete = haiku.status == "completed" and not media.missing_settings()
    return {"haiku_id": haiku.haiku_id, "status": haiku.status, "error_message": haiku.error_message,
            "english_lines": haiku.english_lines, "japanese_lines": haiku.japanese_lines if complete else [],
            "image_descriptions": haiku.image_descriptions if complete else [],
            "image_urls": [media.link(key) for key in haiku.image_keys] if complete else [],
            "audio_urls": [media.link(key) for key in haiku.audio_keys] if complete else [],
            "created_at": haiku.created_at, "updated_at": haiku.updated_at}
