"""`make run-haiku`: the API on 127.0.0.1:8010 (PORT overrides) with a local SQLite file, migrated, in local
mode (LOCAL_MODE=true: no Cognito; chat and media answer 503 naming their settings) unless the environment
configures Cognito (COGNITO_ISSUER)."""
from __future__ import annotations

from modules.launch import run_locally

if __name__ == "__main__":
    run_locally("projects.haiku.backend.main:app", 8010)
