"""The ASGI app uvicorn serves (`uvicorn projects.lang_portal.backend.main:app`)."""
from __future__ import annotations

import sys

from modules.settings import SettingsError
from projects.lang_portal.backend.app import create_app

try:
    app = create_app()
except SettingsError as error:
    print(f"lang portal API cannot start: {error}", file=sys.stderr)
    raise SystemExit(2) from None
