"""The ASGI app uvicorn serves (`uvicorn projects.vocab_generator.frontend.server:app`): Streamlit's own server
(`st.App`) running page.py, with

- `SignInMiddleware` (staff only) around it: every request and websocket but the health checks is verified against
  the load balancer's identity before Streamlit sees it, and anyone not staff gets the "Staff only" page;
- `script_error`: an exception the page did not handle is logged, and the user sees a message, not a stack trace;
- `/healthz`: 200 only when Streamlit's runtime is up and accepting sessions (its catch-all answers 200 for any
  path, so the target group must not be pointed at just any path), else 503 saying why.

Streamlit's own settings are in .streamlit/config.toml beside the page. The app's are read here, at import: a bad
or missing one stops the start with its name and uvicorn's exit code for a startup failure, before any session is
served.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from streamlit.runtime import Runtime
from uvicorn.config import STARTUP_FAILURE

from modules.alb_identity import SignInMiddleware
from modules.settings import SettingsError
from projects.vocab_generator.frontend.services import services

PAGE = Path(__file__).with_name("page.py")
logger = logging.getLogger(__name__)


def script_error(error: Exception) -> bool:
    """Anything the page did not handle: logged once with its stack trace, and a message instead of the trace."""
    logger.error("page error", exc_info=error)
    st.error("Something went wrong on this page; it has been logged. Reload the page to start again.")
    return True  # Streamlit shows nothing more


async def healthz(_: Request) -> PlainTextResponse:
    ready, message = (await Runtime.instance().is_ready_for_browser_connection) if Runtime.exists() else (
        False, "the Streamlit runtime has not started")
    return PlainTextResponse("ok" if ready else message, status_code=200 if ready else 503,
                             headers={"Cache-Control": "no-store"})


def create_app() -> st.App:
    app_services = services()
    return st.App(str(PAGE), routes=[Route("/healthz", healthz, methods=["GET", "HEAD"])],
                  middleware=[Middleware(SignInMiddleware, sign_in=app_services.sign_in, staff_only=True)],
                  on_script_error=script_error)


try:
    app = create_app()
except SettingsError as error:
    print(f"vocab generator UI cannot start: {error}", file=sys.stderr)
    raise SystemExit(STARTUP_FAILURE) from None
