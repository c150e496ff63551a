"""The Haiku API application factory."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from modules.aws import AwsClients
from modules.database import async_connections_for, create_db_engine
from modules.errors import database_unavailable
from modules.runtime import startup_objects_frozen
from modules.settings import load_settings
from modules.webapp import create_web_app
from projects.haiku.backend.features import FEATURES
from projects.haiku.backend.migrate import MIGRATIONS
from projects.haiku.backend.routers import chat, haiku, health
from projects.haiku.backend.settings import HaikuSettings
from projects.haiku.backend.workflow import MediaWorker

logger = logging.getLogger(__name__)


def create_app(settings: HaikuSettings | None = None, engine: Engine | None = None,
               aws_clients: AwsClients | None = None) -> FastAPI:
    settings = settings or load_settings(HaikuSettings)
    engine = engine or create_db_engine(settings)
    aws_clients = aws_clients or AwsClients(settings)
    async_connections = async_connections_for(settings, engine, "haiku-api-async")  # for the list (views.py)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_startup:
            await run_in_threadpool(MIGRATIONS.prepare, engine)
        worker = app.state.media_worker = MediaWorker(engine, settings, aws_clients)
        worker.start()  # first thing it does: take over the haikus of tasks that died
        logger.info("haiku API ready", extra={"database": engine.url.render_as_string(hide_password=True),
                                              "local_mode": settings.local_mode, "worker": worker.name})
        FEATURES.log_unavailable(aws_clients)
        with startup_objects_frozen():
            yield
        await worker.stop()  # SIGTERM: finish within the grace or hand back (workflow.py)
        if async_connections is not None:
            await async_connections.close()
        engine.dispose()

    app = create_web_app(settings, title="Haiku Generator API", version="1.0.0", lifespan=lifespan,
                         description="A chat that agrees on a haiku, then its Japanese lines, images and audio.")
    app.state.engine = engine
    app.state.async_connections = async_connections
    app.state.aws_clients = aws_clients
    app.add_exception_handler(psycopg.OperationalError, database_unavailable)  # from async_connections
    for router in (health.router, haiku.router, chat.router):
        app.include_router(router)
    return app
