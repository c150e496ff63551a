"""The Lang Portal API application factory."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from modules.auth import Authenticator
from modules.aws import AwsClients
from modules.errors import install_error_handlers
from modules.json_logging import RequestIdMiddleware, configure_logging
from modules.limits import BodySizeLimitMiddleware
from modules.settings import load_settings
from projects.lang_portal.backend.db import create_db_engine
from projects.lang_portal.backend.routers import (assist, dashboard, groups, health, resets, study_activities,
                                                  study_sessions, words)
from projects.lang_portal.backend.seed import prepare_database
from projects.lang_portal.backend.settings import LangPortalSettings

logger = logging.getLogger(__name__)


def create_app(settings: LangPortalSettings | None = None, engine: Engine | None = None,
               aws_clients: AwsClients | None = None) -> FastAPI:
    settings = settings or load_settings(LangPortalSettings)
    configure_logging(settings.log_level, settings.service_name)
    engine = engine or create_db_engine(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_startup:
            await run_in_threadpool(prepare_database, engine)
        logger.info("lang portal API ready", extra={"database": engine.url.render_as_string(hide_password=True),
                                                     "local_mode": settings.local_mode})
        yield
        engine.dispose()

    app = FastAPI(title="Lang Portal API", version="1.0.0", lifespan=lifespan,
                  description="Vocabulary inventory, learning record store and study activity launchpad.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.authenticator = Authenticator.from_settings(settings, settings.api_key)
    app.state.aws_clients = aws_clients or AwsClients(settings)
    for router in (health.router, dashboard.router, study_activities.router, words.router, groups.router,
                   study_sessions.router, resets.router, assist.router):
        app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(RequestIdMiddleware)
    return app
