"""`make run-lang-portal`: the API on 127.0.0.1:8000 (PORT overrides) with a local SQLite file,
migrated and seeded, in local mode (LOCAL_MODE=true: no Cognito, no AWS) unless the environment
configures Cognito (COGNITO_ISSUER)."""
from __future__ import annotations

from modules.launch import run_locally

if __name__ == "__main__":
    run_locally("projects.lang_portal.backend.main:app", 8000)
