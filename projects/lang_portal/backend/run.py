"""`make run-lang-portal`: the API on 127.0.0.1:8000 (PORT overrides) with a local SQLite file,
migrated and seeded, in local mode (no Cognito, no AWS) unless the environment configures them."""
from __future__ import annotations

import os

import uvicorn


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    uvicorn.run("projects.lang_portal.backend.main:app", host="127.0.0.1", port=port, log_config=None)


if __name__ == "__main__":
    main()
