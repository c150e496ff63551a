"""`make run-lang-portal`: the API on 127.0.0.1:8000 (PORT overrides) with a local SQLite file,
migrated and seeded, in local mode (LOCAL_MODE=true: no Cognito, no AWS) unless the environment
configures Cognito (COGNITO_ISSUER)."""
from __future__ import annotations

import os

import uvicorn


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    if not os.environ.get("COGNITO_ISSUER"):
        os.environ.setdefault("LOCAL_MODE", "true")  # a developer's run: asked for here, never a fallback
    # The app writes the one access line per request (modules.json_logging).
    uvicorn.run("projects.lang_portal.backend.main:app", host="127.0.0.1", port=port, log_config=None,
                access_log=False)


if __name__ == "__main__":
    main()
