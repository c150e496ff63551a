"""The ASGI app uvicorn serves (`uvicorn projects.lang_portal.backend.main:app`)."""
from __future__ import annotations

import sys

from uvicorn.config import STARTUP_FAILURE

from modules.settings import SettingsError
from projects.lang_portal.backend.app import create_app

try:
    app = create_app()
except SettingsError as error:
    print(f"lang portal API cannot start: {error}", file=sys.stderr)
    # uvicorn's code for a startup failure: its supervisor then stops instead of restarting the worker forever.
    raise SystemExit(STARTUP_FAILURE) from None
