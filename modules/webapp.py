"""`create_web_app`: the FastAPI app every app-dw API starts from, so each one gets the same hardening.

What it sets up, outermost first, for every request:

1. `RequestTelemetryMiddleware` (`modules.request_telemetry`): the request id; with telemetry on
   (`modules.telemetry`: OTEL_EXPORTER_OTLP_ENDPOINT set) the request's server span, continuing the trace
   X-Amzn-Trace-Id names, with its outgoing calls (httpx: the calls to other apps; botocore; the
   statements of instrumented engines) as spans below it; the one access log line (JSON logging
   configured here, uvicorn's own access log off; the line carries the trace id too); the request metrics;
2. `SecurityHeadersMiddleware`: nosniff, no-store, Referrer-Policy, CSP, ... on every answer;
3. `UnexpectedErrorMiddleware`: anything unhandled is logged once, counted, and answered as a JSON 500
   that still carries the two above;
4. `BodySizeLimitMiddleware`: bodies over MAX_REQUEST_BYTES are a 413 before they are read;
5. the app's own middleware (`middleware=`; e.g. a response cache, or a UI app's `SignInMiddleware`, whose
   refusals are then measured, logged and traced like any answer), then routing.

And: the caller's identity (`app.state.authenticator`; without COGNITO_ISSUER and without LOCAL_MODE=true
the app refuses to start), the AI cost guard (`app.state.ai_guard`), JSON error handlers whose answers
can always be written, strict JSON request bodies (`modules.routing.StrictJsonRoute`; checked for every
route when the app starts), and API docs only in local mode (`/docs` with its own CSP, `/openapi.json`):
outside it they would put CDN scripts on the SPA's origin for nobody's use.

Add middleware only through `middleware=`: `app.add_middleware` afterwards would wrap it outside the
four above.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.telemetry import TelemetryConfig
from starlette.middleware import Middleware
from starlette.types import Lifespan

from modules.ai_guard import AiGuard
from modules.auth import Authenticator
from modules.errors import UnexpectedErrorMiddleware, install_error_handlers
from modules.json_logging import configure_logging
from modules.limits import BodySizeLimitMiddleware
from modules.request_telemetry import RequestTelemetryMiddleware
from modules.routing import StrictJsonRoute
from modules.security_headers import SecurityHeadersMiddleware, add_docs_page
from modules.settings import AppSettings
from modules.telemetry import start_telemetry

OPENAPI_URL = "/openapi.json"
# FastAPI's own OpenTelemetry (on whenever a provider is set) stays off: modules.telemetry makes the server
# span and the request metrics, for under a third of what FastAPI's costs a request (docs/performance.md),
# and FastAPI's http.server.request.duration would be counted again under the app metric's name.
FASTAPI_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_web_app(settings: AppSettings, *, title: str, version: str, description: str = "",
                   lifespan: Lifespan[FastAPI] | None = None, api_key: str | None = None,
                   middleware: Sequence[Middleware] = ()) -> FastAPI:
    """The app, set up as the module docstring says. `api_key`: the key services present in X-Api-Key
    (None: no service may call). Raises SettingsError when the settings allow no start."""
    configure_logging(settings.log_level, settings.service_name)
    authenticator = Authenticator.from_settings(settings, api_key)
    start_telemetry(settings, version)
    app = FastAPI(title=title, version=version, description=description, lifespan=_checking_routes(lifespan),
                  telemetry=FASTAPI_TELEMETRY_OFF,
                  docs_url=None, redoc_url=None, openapi_url=OPENAPI_URL if settings.local_mode else None,
                  middleware=[Middleware(RequestTelemetryMiddleware),
                              Middleware(SecurityHeadersMiddleware), Middleware(UnexpectedErrorMiddleware),
                              Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes),
                              *middleware])
    app.router.route_class = StrictJsonRoute
    app.state.settings = settings
    app.state.authenticator = authenticator
    app.state.ai_guard = AiGuard.from_settings(settings)
    install_error_handlers(app)
    if settings.local_mode:
        add_docs_page(app)
    return app


def lenient_routes(app: FastAPI) -> list[str]:
    """Routes taking a body that would parse it with Python's lenient JSON (not `StrictJsonRoute`s), those of
    included routers too."""
    return [f"{','.join(sorted(route.methods))} {route.path}" for route in iter_route_contexts(app.routes)
            if isinstance(route.original_route, APIRoute) and route.body_field is not None
            and not isinstance(route.original_route, StrictJsonRoute)]


def _checking_routes(lifespan: Lifespan[FastAPI] | None) -> Lifespan[FastAPI]:
    @asynccontextmanager
    async def checked(app: FastAPI) -> AsyncIterator[object]:
        lenient = lenient_routes(app)
        if lenient:
            raise RuntimeError(f"routes {lenient} would accept NaN and lone surrogates in their JSON bodies: make "
                               "their routers with route_class=StrictJsonRoute (or one of its subclasses)")
        if lifespan is None:
            yield None
            return
        async with lifespan(app) as state:
            yield state

    return checked
