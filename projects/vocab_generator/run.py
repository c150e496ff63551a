"""`make run-vocab`: the backend on 127.0.0.1:8020 (PORT overrides) and the Streamlit UI on 127.0.0.1:8501 (UI_PORT
overrides), the UI calling the backend and the Lang Portal API at LANG_PORTAL_URL (default http://127.0.0.1:8000,
where `make run-lang-portal` serves it). Local mode (LOCAL_MODE=true: no sign-in, you are the one local user, who is
staff) unless the environment configures Cognito. Generation and audio need AWS settings (AWS_DEFAULT_REGION,
GUARDRAIL_ID, GUARDRAIL_VERSION); without them the page says which. Ctrl-C stops both."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from modules.settings import LOCAL_LANG_PORTAL_API_URL
from projects.vocab_generator.backend.run import DEFAULT_PORT as BACKEND_PORT

UI_PORT = 8501


def main() -> int:
    port = int(os.environ.get("PORT", str(BACKEND_PORT)))
    ui_port = int(os.environ.get("UI_PORT", str(UI_PORT)))
    env = dict(os.environ)
    if not env.get("COGNITO_ISSUER"):
        env.setdefault("LOCAL_MODE", "true")  # a developer's run: asked for here, never a fallback
    portal = env.get("LANG_PORTAL_URL", LOCAL_LANG_PORTAL_API_URL)
    backend = subprocess.Popen([sys.executable, "-m", "projects.vocab_generator.backend.run"],
                               env={**env, "PORT": str(port)})
    ui = subprocess.Popen([sys.executable, "-m", "uvicorn", "projects.vocab_generator.frontend.server:app",
                           "--host", "127.0.0.1", "--port", str(ui_port), "--log-config", "modules/uvicorn_logging.json",
                           "--no-access-log"],
                          env={**env, "VOCAB_GENERATOR_BACKEND_URL": f"http://127.0.0.1:{port}",
                               "LANG_PORTAL_API_URL": portal})
    print(f"Vocab Generator: http://127.0.0.1:{ui_port} (backend http://127.0.0.1:{port}, Lang Portal {portal})",
          file=sys.stderr, flush=True)
    try:
        while backend.poll() is None and ui.poll() is None:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        for process in (ui, backend):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in (ui, backend):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return max(ui.returncode or 0, backend.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())
