"""The ASGI app uvicorn serves (`python -m modules.serve projects.vocab_generator.backend.main:app`)."""
from __future__ import annotations

import sys

from uvicorn.config import STARTUP_FAILURE

from modules.settings import SettingsError
from projects.vocab_generator.backend.app import create_app

try:
    app = create_app()
except SettingsError as error:
    print(f"vocab generator API cannot start: {error}", file=sys.stderr)
    raise SystemExit(STARTUP_FAILURE) from None  # uvicorn's supervisor then stops instead of restarting forever
