"""Alembic environment: runs on the connection migrate.py hands over, or on DATABASE_URL from the CLI."""
from __future__ import annotations

from alembic import context

from modules.settings import load_settings
from projects.lang_portal.backend.db import create_db_engine
from projects.lang_portal.backend.settings import LangPortalSettings


def run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = create_db_engine(load_settings(LangPortalSettings))
    with engine.begin() as cli_connection:
        run_migrations(cli_connection)
    engine.dispose()
