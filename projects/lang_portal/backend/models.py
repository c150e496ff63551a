"""The tables (SQLModel). Alembic migrations in migrations/ create them; these classes only describe them.

`owner_sub` NULL marks the shared seeded vocabulary; otherwise it is the Cognito `sub` of the
user (or the service) that owns the row.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Word(SQLModel, table=True):
    __tablename__ = "words"
    id: int | None = Field(default=None, primary_key=True)
    japanese: str = Field(max_length=100)
    kana: str = Field(max_length=200)  # the reading, for furigana (modules/japanese.py fills in a missing one)
    romaji: str = Field(max_length=200)
    english: str = Field(max_length=200)
    english_sort: str = Field(max_length=200)  # vocabulary.english_sort_key(english)
    parts: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    owner_sub: str | None = Field(default=None, max_length=128)


class Group(SQLModel, table=True):
    __tablename__ = "groups"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    owner_sub: str | None = Field(default=None, max_length=128)


class WordGroup(SQLModel, table=True):
    __tablename__ = "words_groups"
    word_id: int = Field(foreign_key="words.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="groups.id", primary_key=True, ondelete="CASCADE")


class StudyActivity(SQLModel, table=True):
    __tablename__ = "study_activities"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    url: str = Field(max_length=500)
    thumbnail_url: str = Field(max_length=500)
    description: str = Field(max_length=1000)


class StudySession(SQLModel, table=True):
    __tablename__ = "study_sessions"
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="groups.id", ondelete="CASCADE")
    study_activity_id: int = Field(foreign_key="study_activities.id", ondelete="CASCADE")
    user_sub: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WordReviewItem(SQLModel, table=True):
    __tablename__ = "word_review_items"
    id: int | None = Field(default=None, primary_key=True)
    word_id: int = Field(foreign_key="words.id", ondelete="CASCADE")
    study_session_id: int = Field(foreign_key="study_sessions.id", ondelete="CASCADE")
    user_sub: str = Field(max_length=128)
    correct: bool
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
