"""How an app's API is started: the ASGI object uvicorn serves (`app_or_exit`, for each app's main.py) and a
developer's local run (`run_locally`, behind `make run-<app>`)."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE

from modules.settings import SettingsError


def app_or_exit(create_app: Callable[[], FastAPI], name: str) -> FastAPI:
    """`create_app()`, or - for settings that allow no start - its reason on stderr and uvicorn's exit code for a
    startup failure (its supervisor then stops instead of restarting the worker forever), without a stack trace."""
    try:
        return create_app()
    except SettingsError as error:
        print(f"{name} cannot start: {error}", file=sys.stderr)
        raise SystemExit(STARTUP_FAILURE) from None


def run_locally(app: str, default_port: int) -> None:
    """Serve `app` ("package.module:app") on 127.0.0.1:`default_port` (PORT overrides it), in local mode
    (LOCAL_MODE=true: no Cognito) unless the environment configures Cognito (COGNITO_ISSUER)."""
    port = int(os.environ.get("PORT", str(default_port)))
    if not os.environ.get("COGNITO_ISSUER"):
        os.environ.setdefault("LOCAL_MODE", "true")  # a developer's run: asked for here, never a fallback
    # The app writes the one access line per request (modules.json_logging).
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
