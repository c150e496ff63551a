"""`make run-vocab`: the backend on 127.0.0.1:8020 (PORT overrides) and the Streamlit UI on 127.0.0.1:8501 (UI_PORT
overrides), the UI calling the backend and the Lang Portal API at LANG_PORTAL_URL (default http://127.0.0.1:8000,
where `make run-lang-portal` serves it). Local mode (LOCAL_MODE=true: no sign-in, you are the one local user, who is
staff) unless the environment configures Cognito. Generation and audio need AWS settings (AWS_DEFAULT_REGION,
GUARDRAIL_ID, GUARDRAIL_VERSION); without them the page says which. Ctrl-C, or SIGTERM (how `make run-apps` stops it), stops
both: each runs in a session of its own and gets one SIGINT from here (modules/launch.py says why)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from modules.launch import ignore_stop_signals, start_child, stop_children, stop_on_sigterm
from modules.settings import LOCAL_LANG_PORTAL_API_URL
from projects.vocab_generator.backend.run import DEFAULT_PORT as BACKEND_PORT

UI_PORT = 8501


def main() -> int:
    stop_on_sigterm()
    port = int(os.environ.get("PORT", str(BACKEND_PORT)))
    ui_port = int(os.environ.get("UI_PORT", str(UI_PORT)))
    env = dict(os.environ)
    if not env.get("COGNITO_ISSUER"):
        env.setdefault("LOCAL_MODE", "true")  # a developer's run: asked for here, never a fallback
    portal = env.get("LANG_PORTAL_URL", LOCAL_LANG_PORTAL_API_URL)
    children: dict[str, subprocess.Popen] = {}
    try:
        children["the backend"] = start_child([sys.executable, "-m", "projects.vocab_generator.backend.run"],
                                              env={**env, "PORT": str(port)})
        children["the UI"] = start_child(
            [sys.executable, "-m", "uvicorn", "projects.vocab_generator.frontend.server:app", "--host", "127.0.0.1",
             "--port", str(ui_port), "--log-config", "modules/uvicorn_logging.json", "--no-access-log"],
            env={**env, "VOCAB_GENERATOR_BACKEND_URL": f"http://127.0.0.1:{port}", "LANG_PORTAL_API_URL": portal})
        print(f"Vocab Generator: http://127.0.0.1:{ui_port} (backend http://127.0.0.1:{port}, Lang Portal {portal})",
              file=sys.stderr, flush=True)
        while not (ended := [name for name, child in children.items() if child.poll() is not None]):
            time.sleep(0.2)
        code = children[ended[0]].returncode
        say(f"{ended[0]} exited with {code}; stopping")
        code = code if code > 0 else 1  # neither half ends by itself
    except KeyboardInterrupt:
        code = 0
    finally:
        ignore_stop_signals()
        killed = stop_children(children, signal.SIGINT, say)
    if code == 0 and (killed or any(child.returncode for child in children.values())):
        code = 1  # a half that did not stop cleanly
    return code


def say(line: str) -> None:
    print(f"Vocab Generator: {line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
