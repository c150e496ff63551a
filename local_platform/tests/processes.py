"""The launcher as a process, as a person runs it: started, waited for until it prints its table, stopped with
Ctrl-C (SIGINT), and every process it ever had looked for afterwards."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from local_platform.site import REPO
from modules.tests.support import alive, descendants

READY_LINE = "Ctrl-C stops everything."


class Launcher:
    """`python -m local_platform.run <args>` with `environment`; `output` collects what it prints."""

    def __init__(self, data_dir: Path, environment: dict[str, str], *args: str) -> None:
        self.data_dir = data_dir
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local_platform.run", "--free-ports", "--data-dir", str(data_dir), *args],
            cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            if line.strip() == READY_LINE:
                self._ready.set()
        self._ready.set()  # it ended

    def wait_ready(self, seconds: float = 240) -> dict:
        """stack.json, once the table is printed; AssertionError with the output if the launcher ended first."""
        self._ready.wait(seconds)
        assert self.process.poll() is None and READY_LINE in self.output, "\n".join(self.output[-80:])
        return json.loads((self.data_dir / "stack.json").read_text())

    def interrupt(self, seconds: float = 40) -> tuple[int, set[int]]:
        """Ctrl-C; its exit code and which of the processes it had before are still alive afterwards."""
        before = descendants(self.process.pid)
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            code = None
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in before) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = {pid for pid in before if alive(pid)}
        return code, left

    def kill(self) -> None:
        """After a failed test: nothing may stay behind whatever happened."""
        for pid in descendants(self.process.pid) | {self.process.pid}:
            try:
                os.killpg(pid, signal.SIGKILL) if os.getpgid(pid) == pid else os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()


def launcher_environment(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LOG_LEVEL": "WARNING", **extra}
