"""How an app's API is started: the ASGI object uvicorn serves (`app_or_exit`, for each app's main.py), a
developer's local run (`run_locally`, behind `make run-<app>`), and what a local launcher of several processes
(`make run-vocab`'s two halves, `make run-apps`' four apps) needs to start and stop its children.

A launcher's children run in sessions of their own (`start_child`): a terminal's Ctrl-C then reaches the launcher
only, which stops each child once (`stop_children`). Were they in the terminal's process group, they would get the
Ctrl-C as well as the launcher's signal, and uvicorn takes a second SIGINT for "force exit": it skips the
application's shutdown (the lifespan's), whose task is then cancelled, with a CancelledError traceback. Since
nothing else reaches them, the launcher must stop them on SIGTERM too (`stop_on_sigterm`), or they outlive it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE

from modules.settings import SettingsError


def app_or_exit(create_app: Callable[[], FastAPI], name: str) -> FastAPI:
    """`create_app()`, or - for settings that allow no start - its reason on stderr and uvicorn's exit code for a
    startup failure (its supervisor then stops instead of restarting the worker forever), without a stack trace."""
    try:
        return create_app()
    except SettingsError as error:
        print(f"{name} cannot start: {error}", file=sys.stderr)
        raise SystemExit(STARTUP_FAILURE) from None


def run_locally(app: str, default_port: int) -> None:
    """Serve `app` ("package.module:app") on 127.0.0.1:`default_port` (PORT overrides it), in local mode
    (LOCAL_MODE=true: no Cognito) unless the environment configures Cognito (COGNITO_ISSUER)."""
    port = int(os.environ.get("PORT", str(default_port)))
    if not os.environ.get("COGNITO_ISSUER"):
        os.environ.setdefault("LOCAL_MODE", "true")  # a developer's run: asked for here, never a fallback
    # The app writes the one access line per request (modules.request_telemetry).
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


CHILD_STOP_SECONDS = 10  # what a launcher's child gets after its stop signal before it is killed


def start_child(command: Sequence[str], **options: object) -> subprocess.Popen:
    """`command` (Popen's `options`) in a session of its own, so it leads its own process group."""
    return subprocess.Popen(command, start_new_session=True, **options)


def stop_children(children: Mapping[str, subprocess.Popen], stop_signal: int,
                  progress: Callable[[str], None], seconds: float = CHILD_STOP_SECONDS) -> list[str]:
    """Stops the `start_child` processes `children` (by name): `stop_signal` once to each one's process group, up to
    `seconds` in all for them to exit, then SIGKILL to what is left of each group (a child past the time, or a
    grandchild that outlived its parent). Says to `progress` which were killed, and returns their names."""
    for child in children.values():
        _signal_group(child, stop_signal)
    deadline = time.monotonic() + seconds
    killed = []
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            progress(f"{name} did not stop within {seconds:g} s of {signal.Signals(stop_signal).name}: killed")
            killed.append(name)
        _signal_group(child, signal.SIGKILL)
        child.wait()
    return killed


def _signal_group(child: subprocess.Popen, signal_number: int) -> None:
    try:
        os.killpg(child.pid, signal_number)  # start_new_session: the group's id is the child's
    except ProcessLookupError:
        pass


def stop_on_sigterm() -> None:
    """In a launcher's main, before it starts a child: SIGTERM raises KeyboardInterrupt, as Ctrl-C does, so the
    launcher stops its children instead of ending without them."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def ignore_stop_signals() -> None:
    """While a launcher stops its children: a second Ctrl-C or SIGTERM does not cut the stop short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
