"""Security headers on every answer, and the API docs page with the Content-Security-Policy it needs.

Cross-origin policy: none is granted. The SPAs reach their APIs on their own origin (CloudFront sends
`/api/*` to the load balancer), and the Streamlit and Gradio apps are served by the same app as their
API, so no browser ever needs a cross-origin grant: there is no CORS middleware, a foreign `Origin`
gets no `Access-Control-Allow-*` header, and `Cross-Origin-Resource-Policy: same-origin` keeps other
sites from embedding the answers. Services call the APIs server to server, which CORS does not concern.
"""
from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.types import Message, Receive, Scope, Send

from modules.asgi import HttpMiddleware

# JSON answers render nothing, so their policy forbids everything (OWASP's REST guidance).
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS_SECONDS = 63_072_000  # two years, as CloudFront sends for the SPAs
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"strict-transport-security", b"max-age=%d; includeSubDomains" % HSTS_SECONDS),  # browsers ignore it on http
]
# An answer that sets its own keeps it (the docs page's policy; a cacheable public file).
DEFAULTED_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", API_CONTENT_SECURITY_POLICY.encode()),
    (b"cache-control", b"no-store"),  # answers are per user: no browser or shared cache keeps them
]

SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
SWAGGER_UI_JS = SWAGGER_UI + "swagger-ui-bundle.js"
SWAGGER_UI_CSS = SWAGGER_UI + "swagger-ui.css"


class SecurityHeadersMiddleware(HttpMiddleware):
    """Adds `SECURITY_HEADERS` to every HTTP answer and `DEFAULTED_HEADERS` unless the answer has its own."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += SECURITY_HEADERS
                headers += [(name, value) for name, value in DEFAULTED_HEADERS if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_docs_page(app: FastAPI, path: str = "/docs") -> None:
    """Swagger UI at `path` for `app.openapi_url`, with a policy allowing exactly what the page loads: the
    Swagger UI script and stylesheet from the CDN, the page's one inline script (by its hash), the schema
    and "Try it out" requests to this origin, inline styles (Swagger UI sets them) and data: images."""
    page = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - docs", swagger_js_url=SWAGGER_UI_JS,
                               swagger_css_url=SWAGGER_UI_CSS, swagger_favicon_url="data:,",
                               swagger_ui_parameters={"validatorUrl": None})  # no validator badge from swagger.io
    html = page.body.decode()
    policy = "; ".join([
        "default-src 'none'",
        f"script-src {SWAGGER_UI_JS} {' '.join(_inline_script_hashes(html))}",
        f"style-src {SWAGGER_UI_CSS} 'unsafe-inline'",
        "img-src data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ])

    @app.get(path, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def _inline_script_hashes(html: str) -> list[str]:
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" for script in scripts]
