"""`make run-vocab` starts this with the frontend: the backend on 127.0.0.1:8020 (PORT overrides), in local mode
(LOCAL_MODE=true: no Cognito; generation and audio answer 503 naming the AWS settings they need) unless the
environment configures Cognito (COGNITO_ISSUER)."""
from __future__ import annotations

from modules.launch import run_locally

DEFAULT_PORT = 8020

if __name__ == "__main__":
    run_locally("projects.vocab_generator.backend.main:app", DEFAULT_PORT)
