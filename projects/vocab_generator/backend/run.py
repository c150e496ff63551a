"""`make run-vocab` starts this with the frontend: the backend on 127.0.0.1:8020 (PORT overrides), in local mode
(LOCAL_MODE=true: no Cognito; generation and audio answer 503 naming the AWS settings they need) unless the
environment configures Cognito (COGNITO_ISSUER)."""
from __future__ import annotations

import os

import uvicorn

DEFAULT_PORT = 8020


def main() -> None:
    port = int(os.environ.get("PORT", str(DEFAULT_PORT)))
    if not os.environ.get("COGNITO_ISSUER"):
        os.environ.setdefault("LOCAL_MODE", "true")  # a developer's run: asked for here, never a fallback
    # The app writes the one access line per request (modules.json_logging).
    uvicorn.run("projects.vocab_generator.backend.main:app", host="127.0.0.1", port=port, log_config=None,
                access_log=False)


if __name__ == "__main__":
    main()
