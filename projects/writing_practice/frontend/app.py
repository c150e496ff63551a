"""Writing Practice: the Gradio page (`ui.py`) mounted at `/` in the FastAPI app every app-dw service starts from
(`create_web_app`: request ids and JSON logs, security headers, body limit, error handling), behind the load
balancer's sign-in (`SignInMiddleware`: every path but the health checks), with `/healthz` checking that the Lang
Portal API answers."""
from __future__ import annotations

import logging

import gradio as gr
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from modules.ai_guard import AiGuard
from modules.alb_identity import SignIn, SignInMiddleware
from modules.asgi import HttpMiddleware
from modules.aws import AwsClients, Bedrock, Speech, unset_settings
from modules.health import health_response
from modules.json_logging import configure_logging
from modules.service_client import LANG_PORTAL, ServiceClient, lang_portal_client
from modules.settings import load_settings
from modules.webapp import create_web_app
from projects.writing_practice.frontend.grading import Grader
from projects.writing_practice.frontend.images import MAX_UPLOAD_BYTES
from projects.writing_practice.frontend.practice import LangPortal
from projects.writing_practice.frontend.settings import WritingPracticeSettings
from projects.writing_practice.frontend.ui import CSS, THEME, Services, build_blocks

logger = logging.getLogger(__name__)

VERSION = "1.0.0"
# Gradio's page runs its own bundled scripts (with inline bootstrapping and styles), talks to this origin only
# (HTTP and server-sent events), shows canvas and audio blobs; nothing comes from another origin. 'unsafe-eval':
# the drawing canvas (PixiJS) compiles its renderer with `new Function`; without it the canvas never appears
# (tested in Chromium). Scripts still come from this origin only.
GRADIO_CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self' 'unsafe-inline' 'unsafe-eval'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:", "media-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
    "worker-src 'self' blob:", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'",
])


class PagePolicyMiddleware(HttpMiddleware):
    """Gives answers without a Content-Security-Policy the Gradio page's (the API default would blank the page)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"content-security-policy" for name, _ in headers):
                    headers.append((b"content-security-policy", GRADIO_CONTENT_SECURITY_POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_policy)


def feature_report(services: Services) -> dict[str, str]:
    """Each AWS-backed feature: "available", or the settings it still needs."""
    report = {}
    for feature, needs in (("grading", services.grader.bedrock.needs()), ("audio", services.speech.needs())):
        missing = unset_settings(**needs)
        report[feature] = f"set {', '.join(missing)} to enable it" if missing else "available"
    return report


def create_app(settings: WritingPracticeSettings | None = None, clients: AwsClients | None = None) -> FastAPI:
    """`clients`: the AWS clients (tests pass stubbed ones). Raises SettingsError for settings that allow no start."""
    settings = settings or load_settings(WritingPracticeSettings)
    configure_logging(settings.log_level, settings.service_name)  # before the sign-in's first words (create_web_app's too)
    sign_in = SignIn.from_settings(settings)
    app = create_web_app(settings, title="Writing Practice", version=VERSION,
                         middleware=[Middleware(SignInMiddleware, sign_in=sign_in), Middleware(PagePolicyMiddleware)])
    clients = clients or AwsClients(settings)
    guard: AiGuard = app.state.ai_guard
    services = Services(sign_in=sign_in, portal=LangPortal(lang_portal_client(settings), settings.study_activity_name),
                        grader=Grader(Bedrock(clients), settings.grading_attempts), speech=Speech(clients),
                        ai_guard=guard, speech_guard=AiGuard(guard.budgets, settings.polly_cache_entries,
                                                             settings.ai_reuse_seconds))
    health_client = ServiceClient(LANG_PORTAL, settings.lang_portal_api_url,
                                  timeout_seconds=settings.health_timeout_seconds)
    features = feature_report(services)
    for feature, state in features.items():
        if state != "available":  # the page says so to the learner when they ask for it; the why is here too
            logger.warning("feature unavailable", extra={"feature": feature, "state": state})

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        """200 when the Lang Portal API answers its health check within HEALTH_TIMEOUT_SECONDS, else 503 saying so;
        which AWS-backed features are configured is said and decides nothing."""
        return await health_response({"lang_portal": lambda: health_client.get("/api/health")},
                                     settings.health_timeout_seconds, {"features": features})

    return gr.mount_gradio_app(app, build_blocks(services), path="/", css=CSS, theme=THEME, ssr_mode=False, footer_links=[],
                               max_file_size=MAX_UPLOAD_BYTES, show_error=False, mcp_server=False,
                               enable_monitoring=False)
