"""The ASGI app uvicorn serves (`uvicorn projects.haiku.backend.main:app`)."""
from __future__ import annotations

from modules.launch import app_or_exit
from projects.haiku.backend.app import create_app

app = app_or_exit(create_app, "haiku API")
