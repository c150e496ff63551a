"""The session's fixtures: a real Lang Portal API process in Cognito mode (SQLite), the fake pool that issues the
learners' tokens, the load balancer's key server, and Writing Practice itself served by uvicorn on a free port with
its Bedrock, Polly and CloudWatch clients stubbed (botocore's Stubber, active for the session: each test queues the
answers it needs and checks they were used)."""
from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from botocore.stub import Stubber
from PIL import Image, ImageDraw, ImageFont

from modules.aws import AwsClients
from modules.tests.alb import ALB_ARN, AlbKey, AlbKeyServer, AlbSigner
from modules.tests.conftest import clear_app_environment
from modules.tests.fake_cognito import FakeCognito
from modules.tests.postgres import free_port
from modules.tests.support import fake_session
from projects.lang_portal.backend.tests.api_process import running_api
from projects.writing_practice.frontend.app import create_app
from projects.writing_practice.frontend.settings import WritingPracticeSettings

PORTAL_CLIENT = "lang-portal-spa-client"
WRITING_ALB_CLIENT = "writing-practice-alb-client"
JAPANESE_FONT = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"  # fonts-ipafont-gothic: writes the test images
AWS = dict(aws_region="us-east-1", guardrail_id="gr-writing", guardrail_version="3")


@pytest.fixture(autouse=True)
def _no_writing_environment(monkeypatch):
    clear_app_environment(monkeypatch, WritingPracticeSettings)


def handwriting(text: str, size: tuple[int, int] = (900, 300), *, ink=(20, 20, 20, 255), page=(0, 0, 0, 0),
                fmt: str = "PNG", mode: str = "RGBA", font_size: int = 170) -> bytes:
    """`text` written on a canvas of `size` (transparent, as the browser's canvas leaves it) as PNG or JPEG."""
    image = Image.new(mode, size, page if mode == "RGBA" else page[:3])
    draw = ImageDraw.Draw(image)
    font = (ImageFont.truetype(JAPANESE_FONT, font_size) if Path(JAPANESE_FONT).exists()
            else ImageFont.load_default(font_size))  # the build's test image has no Japanese font: tofu is ink too
    draw.text((size[0] // 12, size[1] // 8), text, font=font, fill=ink if mode == "RGBA" else ink[:3])
    out = io.BytesIO()
    image.save(out, format=fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return out.getvalue()


@pytest.fixture(scope="session")
def pool() -> Iterator[FakeCognito]:
    with FakeCognito(client_id=PORTAL_CLIENT) as cognito:
        yield cognito


@pytest.fixture(scope="session")
def api_origin(tmp_path_factory, pool: FakeCognito) -> Iterator[str]:
    settings = {"COGNITO_ISSUER": pool.issuer, "COGNITO_CLIENT_IDS": f"{PORTAL_CLIENT},{WRITING_ALB_CLIENT}"}
    with running_api(tmp_path_factory, "lang-portal-api-for-writing", settings) as origin:
        yield origin


@pytest.fixture(scope="session")
def alb_keys() -> Iterator[AlbKeyServer]:
    with AlbKeyServer([AlbKey()]) as server:
        yield server


@dataclass
class Aws:
    clients: AwsClients
    bedrock: Stubber
    polly: Stubber
    cloudwatch: Stubber

    def assert_used(self) -> None:
        for stub in (self.bedrock, self.polly, self.cloudwatch):
            stub.assert_no_pending_responses()


@dataclass
class Served:
    origin: str
    aws: Aws
    pool: FakeCognito
    alb_keys: AlbKeyServer
    api_origin: str

    def headers(self, username: str) -> dict[str, str]:
        """What the load balancer adds to `username`'s requests: claims it signs, the pool's access token."""
        [key] = self.alb_keys.keys.values()
        signer = AlbSigner(key, client_id=WRITING_ALB_CLIENT, issuer=self.pool.issuer)
        return signer.forwarded_headers(self.pool.sub_of(username),
                                        self.pool.access_token(username, client_id=WRITING_ALB_CLIENT),
                                        email=f"{username}@example.com")


def writing_settings(pool: FakeCognito, alb_keys: AlbKeyServer, api_origin: str, **overrides) -> WritingPracticeSettings:
    return WritingPracticeSettings(alb_arn=ALB_ARN, alb_public_key_url=alb_keys.origin, cognito_issuer=pool.issuer,
                                   cognito_client_ids=WRITING_ALB_CLIENT, lang_portal_api_url=api_origin,
                                   log_level="WARNING", **AWS, **overrides)


@contextmanager
def serving(app) -> Iterator[str]:
    """`app` under uvicorn on a free port of 127.0.0.1 in a thread (so its stubbed AWS clients are the test's);
    yields its origin."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           timeout_graceful_shutdown=1))  # open event streams end the test anyway
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("Writing Practice did not start", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def served(pool, alb_keys, api_origin) -> Iterator[Served]:
    """Writing Practice on a free port, as the load balancer sees it, calling the real API."""
    # Three new gradings or audio syntheses per learner, then one an hour: no test needs more; one proves the limit.
    settings = writing_settings(pool, alb_keys, api_origin, ai_call_burst=3, ai_calls_per_hour=1)
    clients = AwsClients(settings, session=fake_session())
    aws = Aws(clients, *(Stubber(clients.get(name)) for name in ("bedrock-runtime", "polly", "cloudwatch")))
    for stub in (aws.bedrock, aws.polly, aws.cloudwatch):
        stub.activate()
    try:
        with serving(create_app(settings, clients)) as origin:
            yield Served(origin, aws, pool, alb_keys, api_origin)
    finally:
        for stub in (aws.bedrock, aws.polly, aws.cloudwatch):
            stub.deactivate()
