"""Initial schema: haikus with their media workflow's lease, and the chat that agreed on each.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "haiku",
        sa.Column("haiku_id", sa.String(32), primary_key=True),
        sa.Column("owner_sub", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_message", sa.String(500), nullable=True),
        sa.Column("english_lines", sa.JSON, nullable=False),
        sa.Column("japanese_lines", sa.JSON, nullable=False),
        sa.Column("image_descriptions", sa.JSON, nullable=False),
        sa.Column("image_keys", sa.JSON, nullable=False),
        sa.Column("audio_keys", sa.JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(100), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('new', 'in progress', 'completed', 'failed')", name="ck_haiku_status"))
    op.create_index("ix_haiku_owner_created", "haiku", ["owner_sub", "created_at"])
    # The one-in-progress-per-learner rule, held by the database whatever the API's tasks race to do.
    op.create_index("ux_haiku_one_in_progress", "haiku", ["owner_sub"], unique=True,
                    postgresql_where=sa.text("status = 'in progress'"), sqlite_where=sa.text("status = 'in progress'"))
    # What each task's poll looks for: haikus in progress whose lease is missing or lapsed.
    op.create_index("ix_haiku_in_progress_lease", "haiku", ["lease_expires_at"],
                    postgresql_where=sa.text("status = 'in progress'"), sqlite_where=sa.text("status = 'in progress'"))

    op.create_table(
        "chat_history",
        sa.Column("chat_id", sa.Integer, primary_key=True),
        sa.Column("haiku_id", sa.String(32), sa.ForeignKey("haiku.haiku_id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('user', 'assistant')", name="ck_chat_history_role"))
    op.create_index("ix_chat_history_haiku", "chat_history", ["haiku_id", "chat_id"])


def downgrade() -> None:
    op.drop_table("chat_history")
    op.drop_table("haiku")
