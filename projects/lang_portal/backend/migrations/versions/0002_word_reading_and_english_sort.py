"""Words get their kana reading (furigana) and an English sort key ("(my) father" sorts under "father").

Existing rows are filled in here from their Japanese and romaji, by the same code imports use.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The server default only carries the existing rows through ADD COLUMN; they are filled in below and
    # every write of the app sets both columns.
    op.add_column("words", sa.Column("kana", sa.String(200), nullable=False, server_default=""))
    op.add_column("words", sa.Column("english_sort", sa.String(200), nullable=False, server_default=""))
    op.create_index("ix_words_english_sort", "words", ["english_sort", "id"])  # the English column's sort

    words = sa.table("words", sa.column("id", sa.Integer), sa.column("japanese", sa.String),
                     sa.column("romaji", sa.String), sa.column("english", sa.String),
                     sa.column("kana", sa.String), sa.column("english_sort", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(words.c.id, words.c.japanese, words.c.romaji, words.c.english)).all()
    if rows:
        from projects.lang_portal.backend.vocabulary import english_sort_key, reading_of

        connection.execute(
            words.update().where(words.c.id == sa.bindparam("word_id")),
            [{"word_id": row.id, "kana": reading_of(row.japanese, row.romaji),
              "english_sort": english_sort_key(row.english)} for row in rows])


def downgrade() -> None:
    op.drop_index("ix_words_english_sort", table_name="words")
    op.drop_column("words", "english_sort")  # SQLite 3.35+ drops an unindexed column in place
    op.drop_column("words", "kana")
