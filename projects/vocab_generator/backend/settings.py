"""The Vocab Generator backend's settings: the shared ones (the caller's token, Bedrock, the guardrail, Polly,
the AI limits; modules/settings.py) plus who may generate and how large an answer may be."""
from __future__ import annotations

from pydantic import Field

from modules.settings import AppSettings


class VocabBackendSettings(AppSettings):
    service_name: str = "vocab-generator-backend"
    # The Cognito group whose members may generate (the tokens' cognito:groups); the local user counts as staff.
    staff_group: str = Field("staff", pattern=r"^[\w+=,.@-]{1,128}$")
    # Ten words with their readings, meanings and parts fit in well under 1,500 output tokens.
    generation_max_tokens: int = Field(2000, ge=500, le=8000)
    generation_temperature: float = Field(0.7, ge=0, le=1)
