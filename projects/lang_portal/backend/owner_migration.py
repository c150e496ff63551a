"""The migration the database owner runs (the API task's `migrate` container on AWS):
`python -m projects.lang_portal.backend.owner_migration` migrates and seeds as the owner, then
makes the API's own least-privilege role fit the tables (modules/database_roles.py)."""
from __future__ import annotations

from modules.database_roles import run
from projects.lang_portal.backend.seed import prepare_database


def main() -> None:
    run(prepare_database)


if __name__ == "__main__":
    main()
