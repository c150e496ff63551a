"""`make run-writing`: the app on 127.0.0.1:7860 (PORT overrides) in local mode, against the Lang Portal API at
LANG_PORTAL_URL (default http://127.0.0.1:8000, where `make run-lang-portal` serves it); in Cognito mode instead
when the environment configures it (COGNITO_ISSUER, with ALB_ARN: `make run-apps`)."""
from __future__ import annotations

import os

import uvicorn

from modules.settings import LOCAL_LANG_PORTAL_API_URL

STOP_GRACE_SECONDS = 3  # what running requests get after Ctrl-C or SIGTERM


def main() -> None:
    port = int(os.environ.get("PORT", "7860"))
    if not os.environ.get("COGNITO_ISSUER"):
        os.environ.setdefault("LOCAL_MODE", "true")  # a developer's run: asked for here, never a fallback
    os.environ.setdefault("LANG_PORTAL_API_URL", os.environ.get("LANG_PORTAL_URL", LOCAL_LANG_PORTAL_API_URL))
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # An open tab holds Gradio's heartbeat stream, which never ends by itself: Ctrl-C would otherwise wait for it.
    uvicorn.run("projects.writing_practice.frontend.main:app", host="127.0.0.1", port=port, log_config=None,
                access_log=False, timeout_graceful_shutdown=STOP_GRACE_SECONDS)


if __name__ == "__main__":
    main()
