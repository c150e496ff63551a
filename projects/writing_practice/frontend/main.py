"""The ASGI app uvicorn serves (`python -m modules.serve projects.writing_practice.frontend.main:app`)."""
from __future__ import annotations

import sys

from uvicorn.config import STARTUP_FAILURE

from modules.settings import SettingsError
from projects.writing_practice.frontend.app import create_app

try:
    app = create_app()
except SettingsError as error:
    print(f"writing practice cannot start: {error}", file=sys.stderr)
    raise SystemExit(STARTUP_FAILURE) from None  # uvicorn's supervisor then stops instead of restarting the worker
