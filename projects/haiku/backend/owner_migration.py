"""The migration the database owner runs (the API task's `migrate` container on AWS):
`python -m projects.haiku.backend.owner_migration` migrates as the owner, then makes the API's own
least-privilege role fit the tables (modules/database_roles.py)."""
from __future__ import annotations

from modules.database_roles import run
from projects.haiku.backend.migrate import MIGRATIONS


def main() -> None:
    run(MIGRATIONS.prepare)


if __name__ == "__main__":
    main()
