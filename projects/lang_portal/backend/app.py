"""The Lang Portal API application factory."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import psycopg
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.types import Scope

from modules.auth import credentials
from modules.aws import AwsClients
from modules.errors import database_unavailable
from modules.response_cache import (Invalidation, LocalInvalidation, PostgresInvalidation, ResponseCache,
                                    ResponseCacheMiddleware)
from modules.runtime import startup_objects_frozen
from modules.settings import load_settings
from modules.telemetry import instrument_engine
from modules.webapp import create_web_app
from modules.database import async_connections_for, connect_async, create_db_engine
from projects.lang_portal.backend.routers import (assist, capabilities, dashboard, groups, health, resets,
                                                  study_activities, study_sessions, words)
from projects.lang_portal.backend.seed import activity_urls, prepare_database
from projects.lang_portal.backend.settings import LangPortalSettings

logger = logging.getLogger(__name__)
UNCACHED_PATHS = frozenset({"/api/health"})  # must ask the database every time


def create_app(settings: LangPortalSettings | None = None, engine: Engine | None = None,
               aws_clients: AwsClients | None = None) -> FastAPI:
    settings = settings or load_settings(LangPortalSettings)
    engine = engine or create_db_engine(settings)
    urls = activity_urls(settings.study_activity_urls)  # a missing address stops the start here, clearly
    cache = ResponseCache(settings.response_cache_bytes)
    postgres = engine.dialect.name == "postgresql"
    invalidation: Invalidation = (
        PostgresInvalidation(cache, engine, partial(connect_async, settings, engine, "lang-portal-cache-listener"))
        if postgres else LocalInvalidation(cache))
    async_connections = async_connections_for(settings, engine, "lang-portal-api-async")
    caching = settings.response_cache_bytes > 0

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_startup:
            await run_in_threadpool(prepare_database, engine, urls)
        if caching:
            await invalidation.start()
        logger.info("lang portal API ready", extra={"database": engine.url.render_as_string(hide_password=True),
                                                     "local_mode": settings.local_mode, "response_cache": caching})
        capabilities.FEATURES.log_unavailable(app.state.aws_clients)
        with startup_objects_frozen():
            yield
        await invalidation.stop()
        if async_connections is not None:
            await async_connections.close()
        engine.dispose()

    cache_middleware = [Middleware(ResponseCacheMiddleware, cache=cache, invalidation=invalidation,
                                   owner_of=_known_caller, cacheable=_cacheable)] if caching else []
    app = create_web_app(settings, title="Lang Portal API", version="1.0.0", lifespan=lifespan,
                         description="Vocabulary inventory, learning record store and study activity launchpad.",
                         api_key=settings.api_key, middleware=cache_middleware)
    instrument_engine(engine)  # after create_web_app, which starts telemetry (when it is on)
    app.state.engine = engine
    app.state.aws_clients = aws_clients or AwsClients(settings)
    app.state.response_cache = cache
    # Writes record their changes here even with the cache off, so tasks that cache stay exact.
    app.state.invalidation = invalidation
    app.state.async_connections = async_connections
    app.state.review_batches = (study_sessions.review_batches(async_connections, settings.db_pool_size)
                                if async_connections is not None else None)
    for router in (health.router, capabilities.router, dashboard.router, study_activities.router, words.router,
                   groups.router, study_sessions.router, resets.router, assist.router):
        app.include_router(router)
    app.add_exception_handler(psycopg.OperationalError, database_unavailable)  # from AsyncConnections
    return app


def _known_caller(scope: Scope) -> str | None:
    principal = scope["app"].state.authenticator.known_principal(*credentials(scope))
    return principal.sub if principal else None


def _cacheable(path: str) -> bool:
    """Every read under /api/ answers from (caller, path, query) and the database alone."""
    return path.startswith("/api/") and path not in UNCACHED_PATHS
