"""The Haiku Generator's AWS-backed features, and what each needs configured."""
from __future__ import annotations

from modules.aws import Bedrock, Features, MediaStore, Speech

FEATURES = Features({
    "chat": ("the haiku chat", lambda clients: Bedrock(clients).needs()),
    "media": ("haiku media (translation, speech, images)",
              lambda clients: Bedrock(clients).needs() | Speech(clients).needs() | MediaStore(clients).needs()),
})
