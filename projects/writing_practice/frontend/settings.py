"""Writing Practice's settings: those of every UI app behind the load balancer's sign-in (`UiAppSettings`: the
ALB, the pool, the Lang Portal API, the 30-second outside-call timeout, Bedrock, Polly, the AI call budget),
plus its own below."""
from __future__ import annotations

from pydantic import Field

from modules.settings import UiAppSettings
from projects.writing_practice.frontend.images import MAX_UPLOAD_BYTES

# An upload's multipart framing on top of the 10 MB image; a larger body is a 413 before it is read.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


class WritingPracticeSettings(UiAppSettings):
    service_name: str = "writing-practice"
    # Sessions the app starts itself (no ?session_id=) are for the Lang Portal's study activity of this name.
    study_activity_name: str = Field("Writing Practice", min_length=1, max_length=200)
    max_request_bytes: int = Field(MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD_BYTES, ge=MAX_UPLOAD_BYTES)
    health_timeout_seconds: float = Field(2.0, gt=0, le=10)  # /healthz's call to the Lang Portal
    polly_cache_entries: int = Field(512, ge=0, le=100_000)  # word audio kept in memory, per word and voice
    grading_attempts: int = Field(2, ge=1, le=5)  # a model answer that fails validation is asked for again
