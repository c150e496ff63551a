"""The page under Streamlit's AppTest, talking over HTTP to the real backend on a free port (in this process, so
Bedrock and Polly are stubbed on its own boto3 clients) and to a real Lang Portal API process on SQLite that
receives the imports. One backend and one Lang Portal per session."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from botocore.stub import Stubber
from streamlit.testing.v1 import AppTest

from modules.ai_guard import AiGuard
from modules.aws import AwsClients
from modules.tests.conftest import clear_app_environment
from modules.tests.postgres import free_port
from modules.tests.support import fake_session
from projects.lang_portal.backend.tests.api_process import running_api
from projects.vocab_generator.backend.app import create_app
from projects.vocab_generator.backend.tests.conftest import settings_for
from projects.vocab_generator.frontend import services
from projects.vocab_generator.frontend.settings import VocabUiSettings

PAGE = Path(__file__).parents[1] / "page.py"
PORTAL_KEY = "vocab-generator-service-key-for-tests"


class Records(logging.Handler):
    """What a logger wrote, attached to it directly: the apps configure logging themselves (their JSON to stdout),
    replacing the root's handlers, pytest's among them."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class RunningBackend:
    """The backend app served by uvicorn on a thread; `stub(service)` stubs its boto3 client."""

    def __init__(self, **settings: object) -> None:
        self.settings = settings_for(**settings)
        self.app = create_app(self.settings, aws_clients=AwsClients(self.settings, session=fake_session()))
        self.origin = f"http://127.0.0.1:{free_port()}"
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=int(self.origin.rsplit(":", 1)[1]),
                                                     log_config=None, access_log=False, lifespan="on"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> "RunningBackend":
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                pytest.fail("the backend did not start", pytrace=False)
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def stub(self, service: str) -> Stubber:
        return Stubber(self.app.state.aws_clients.get(service))

    def forget(self) -> None:
        """A new AI guard: no kept groups, every budget full."""
        self.app.state.ai_guard = AiGuard.from_settings(self.settings)


@pytest.fixture(scope="session")
def backend_server() -> Iterator[RunningBackend]:
    with RunningBackend() as server:
        yield server


@pytest.fixture(scope="session")
def lang_portal(tmp_path_factory) -> Iterator[str]:
    """A real Lang Portal API (local mode, SQLite) that takes the Vocab Generator's service key on its import."""
    with running_api(tmp_path_factory, "lang-portal-for-vocab", {"LOCAL_MODE": "true",
                                                                   "LANG_PORTAL_API_KEY": PORTAL_KEY}) as origin:
        yield origin


@pytest.fixture
def ui_environment(monkeypatch, backend_server, lang_portal) -> dict[str, str]:
    """The page's settings, as the process environment (services() reads them afresh for each test)."""
    clear_app_environment(monkeypatch, VocabUiSettings)
    env = {"LOCAL_MODE": "true", "LOG_LEVEL": "WARNING", "VOCAB_GENERATOR_BACKEND_URL": backend_server.origin,
           "LANG_PORTAL_API_URL": lang_portal, "LANG_PORTAL_API_KEY": PORTAL_KEY}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    services.services.cache_clear()
    backend_server.forget()
    yield env
    services.services.cache_clear()


@pytest.fixture
def page(ui_environment) -> AppTest:
    """The page, run once (its first view)."""
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app
