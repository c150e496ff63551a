"""The API docs page (local mode only) under its Content-Security-Policy in a real browser: the Swagger UI
script from the CDN (a stand-in here: the browser reaches nothing but 127.0.0.1) and the page's inline
script run, the schema is fetched from the API's own origin, and a script from anywhere else is refused."""
from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.slow

STAND_IN_BUNDLE = """
window.violations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.violations.push(`${event.violatedDirective} ${event.blockedURI}`));
function SwaggerUIBundle(config) {
  fetch(config.url).then((answer) => answer.json()).then((schema) => { window.documented = schema.info.title; });
  const foreign = document.createElement("script");
  foreign.src = "https://cdn.example.net/other.js";
  document.body.appendChild(foreign);
  return {};
}
SwaggerUIBundle.presets = {apis: {}};
SwaggerUIBundle.SwaggerUIStandalonePreset = {};
"""


def test_the_docs_page_runs_its_own_scripts_and_nothing_else(browser, api_origin: str) -> None:
    context = browser.new_context()
    try:
        context.route("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js",
                      lambda route: route.fulfill(status=200, content_type="text/javascript", body=STAND_IN_BUNDLE))
        context.route("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css",
                      lambda route: route.fulfill(status=200, content_type="text/css", body="body {}"))
        context.route("https://cdn.example.net/**",
                      lambda route: route.fulfill(status=200, content_type="text/javascript", body="window.x = 1;"))
        page = context.new_page()
        page.goto(f"{api_origin}/docs")
        # Polled from here: wait_for_function's own predicate would be an eval, which the policy refuses.
        deadline = time.monotonic() + 10
        while not page.evaluate("window.documented !== undefined && window.violations.length > 0"):
            assert time.monotonic() < deadline, page.evaluate("[window.documented, window.violations]")
            time.sleep(0.05)
        assert page.evaluate("window.documented") == "Lang Portal API"  # inline script ran, schema fetched
        assert page.evaluate("window.x") is None  # the foreign script never ran
        violations = page.evaluate("window.violations")
        assert violations == ["script-src-elem https://cdn.example.net/other.js"], violations
    finally:
        context.close()
