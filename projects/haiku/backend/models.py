"""The tables (SQLModel). Alembic migrations in migrations/ create them; these classes only describe them.

A haiku belongs to `owner_sub`, the Cognito `sub` of its learner. Media are kept as keys in the media bucket
(links are made when read: CDN links, or presigned URLs that expire). `lease_owner`/`lease_expires_at` name the
task working on an `in progress` haiku and until when (workflow.py).
"""
from __future__ import annotations

from datetime import datetime
import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from modules.database import UTCDateTime, utcnow

NEW, IN_PROGRESS, COMPLETED, FAILED = "new", "in progress", "completed", "failed"
STATUSES = (NEW, IN_PROGRESS, COMPLETED, FAILED)
LINES = 3


class Haiku(SQLModel, table=True):
    __tablename__ = "haiku"
    haiku_id: str = Field(primary_key=True, max_length=32)  # uuid4 hex: never reused, so no CDN copy outlives it
    owner_sub: str = Field(max_length=128)
    status: str = Field(default=NEW, max_length=16)
    error_message: str | None = Field(default=None, max_length=500)
    english_lines: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    japanese_lines: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    image_descriptions: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    image_keys: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    audio_keys: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    attempts: int = 0
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChatHistory(SQLModel, table=True):
    __tablename__ = "chat_history"
    chat_id: int | None = Field(default=None, primary_key=True)
    haiku_id: str = Field(foreign_key="haiku.haiku_id", max_length=32)
    role: str = Field(max_length=16)  # user | assistant
    message: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

