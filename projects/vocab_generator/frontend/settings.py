"""The Vocab Generator UI's settings: the UI apps' own (the load balancer's sign-in, the Lang Portal API;
modules/settings.py) plus its backend and the Lang Portal service key."""
from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from modules.settings import ServiceApiKey, UiAppSettings, checked_url, service_url_problem

LOCAL_BACKEND_URL = "http://127.0.0.1:8020"  # where `make run-vocab` serves the backend


class VocabUiSettings(UiAppSettings):
    service_name: str = "vocab-generator-frontend"
    # The backend through Cloud Map (the platform sets it from the service's name and port).
    vocab_generator_backend_url: str = LOCAL_BACKEND_URL
    # A generation may take two model calls, each up to AWS_MAX_ATTEMPTS (3) attempts of AWS_READ_TIMEOUT_SECONDS
    # (30) in the backend: the UI waits for all of that, so it hears the backend's own answer.
    backend_timeout_seconds: float = Field(200.0, gt=0, le=600)
    # The key the Lang Portal API takes on its import (from Secrets Manager, as the task's secret): a group sent
    # with it becomes shared vocabulary. Locally, unset: the group is sent as the local user's own.
    lang_portal_api_key: ServiceApiKey | None = None

    @field_validator("vocab_generator_backend_url")
    @classmethod
    def _backend_url(cls, value: str) -> str:
        return checked_url(value, service_url_problem)

    @model_validator(mode="after")
    def _deployed_needs_backend_and_key(self) -> "VocabUiSettings":
        if self.local_mode:
            return self
        missing = [name for name, present in (
            ("VOCAB_GENERATOR_BACKEND_URL", "vocab_generator_backend_url" in self.model_fields_set),
            ("LANG_PORTAL_API_KEY", self.lang_portal_api_key is not None)) if not present]
        if missing:
            raise ValueError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required outside local mode")
        return self

    @property
    def api_key(self) -> str | None:
        return self.lang_portal_api_key.get_secret_value() if self.lang_portal_api_key else None
