"""The Haiku API's settings: the shared ones and the database's, plus the media workflow's."""
from __future__ import annotations

from pydantic import Field, model_validator

from modules.database import DatabaseSettings


class HaikuSettings(DatabaseSettings):
    service_name: str = "haiku-api"
    database_url: str = "sqlite:///./haiku.sqlite3"
    # The conversation the model sees: the newest turns of the chat, at most this many messages.
    chat_context_messages: int = Field(20, ge=2, le=100)
    # Media workflow (workflow.py). A task holds a haiku through a lease it renews every third of its length;
    # a lease that lapses (the task died) lets another task take the haiku over, at most MEDIA_MAX_ATTEMPTS times.
    media_lease_seconds: float = Field(60, ge=3, le=600)
    media_max_attempts: int = Field(3, ge=1, le=10)
    media_poll_seconds: float = Field(5, gt=0, le=300)  # how often a task looks for haikus left without a task
    media_step_concurrency: int = Field(4, ge=1, le=12)  # AWS calls at once within one haiku's workflow
    media_workflows_per_worker: int = Field(5, ge=1, le=50)  # haikus one worker process makes at once
    # On SIGTERM (Fargate Spot gives two minutes): running workflows get this long to finish, then hand back.
    media_shutdown_grace_seconds: float = Field(60, ge=0, le=110)

    @model_validator(mode="after")
    def _lease_outlives_its_renewal(self) -> "HaikuSettings":
        if self.media_poll_seconds > self.media_lease_seconds:
            raise ValueError("MEDIA_POLL_SECONDS must not exceed MEDIA_LEASE_SECONDS: a lapsed lease would wait "
                             "longer than it lasted")
        return self
