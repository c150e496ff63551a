"""Initial schema: vocabulary, groups, study activities, sessions and reviews, with indexes for the hot lists.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# NULL owner = shared vocabulary; coalesce makes the shared rows unique among themselves too.
OWNER = sa.text("coalesce(owner_sub, '')")


def upgrade() -> None:
    op.create_table(
        "words",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("japanese", sa.String(100), nullable=False),
        sa.Column("romaji", sa.String(200), nullable=False),
        sa.Column("english", sa.String(200), nullable=False),
        sa.Column("parts", sa.JSON, nullable=False),
        sa.Column("owner_sub", sa.String(128), nullable=True))
    op.create_index("ux_words_owner_content", "words", [OWNER, "japanese", "romaji", "english"], unique=True)
    op.create_index("ix_words_japanese", "words", ["japanese", "id"])  # the default sort of the word lists
    op.create_index("ix_words_owner_sub", "words", ["owner_sub"])

    op.create_table(
        "groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("owner_sub", sa.String(128), nullable=True))
    op.create_index("ux_groups_owner_name", "groups", [OWNER, "name"], unique=True)
    op.create_index("ix_groups_name", "groups", ["name"])

    op.create_table(
        "words_groups",
        sa.Column("word_id", sa.Integer, sa.ForeignKey("words.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True))
    op.create_index("ix_words_groups_group_word", "words_groups", ["group_id", "word_id"])

    op.create_table(
        "study_activities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("thumbnail_url", sa.String(500), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False))

    op.create_table(
        "study_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("group_id", sa.Integer, sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("study_activity_id", sa.Integer, sa.ForeignKey("study_activities.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_sub", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_study_sessions_user_created", "study_sessions", ["user_sub", "created_at"])
    op.create_index("ix_study_sessions_group", "study_sessions", ["group_id"])
    op.create_index("ix_study_sessions_activity", "study_sessions", ["study_activity_id"])

    op.create_table(
        "word_review_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("word_id", sa.Integer, sa.ForeignKey("words.id", ondelete="CASCADE"), nullable=False),
        sa.Column("study_session_id", sa.Integer, sa.ForeignKey("study_sessions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_sub", sa.String(128), nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_reviews_user_word", "word_review_items", ["user_sub", "word_id", "correct"])
    op.create_index("ix_reviews_user_created", "word_review_items", ["user_sub", "created_at"])
    op.create_index("ix_reviews_session", "word_review_items", ["study_session_id"])


def downgrade() -> None:
    for table in ("word_review_items", "study_sessions", "study_activities", "words_groups", "groups", "words"):
        op.drop_table(table)
