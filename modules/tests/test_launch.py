"""A local launcher's children (modules/launch.py): each stopped with one signal, a child past its time killed, and
nothing of a child's process group left behind."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

from modules.launch import start_child, stop_children
from modules.tests.support import alive

# Each is ready once it says so. SIGINT ends this one at once, not its own child (which ignores it), left in its group.
LEAVES_A_CHILD = ("import signal, subprocess, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                  "child = subprocess.Popen(['sleep', '60']); signal.signal(signal.SIGINT, signal.SIG_DFL); "
                  "print(child.pid, flush=True); time.sleep(60)")
IGNORES_SIGINT = ("import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print('ready', flush=True); "
                  "time.sleep(60)")


def test_each_child_is_stopped_once_and_one_past_its_time_is_killed_with_what_is_left_of_its_group():
    children = {name: start_child([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
                for name, code in (("the parent", LEAVES_A_CHILD), ("the stubborn one", IGNORES_SIGINT))}
    grandchild = int(children["the parent"].stdout.readline())
    assert children["the stubborn one"].stdout.readline() == "ready\n"
    said: list[str] = []

    started = time.monotonic()
    killed = stop_children(children, signal.SIGINT, said.append, seconds=1)

    assert time.monotonic() - started < 5
    assert killed == ["the stubborn one"]
    assert said == ["the stubborn one did not stop within 1 s of SIGINT: killed"]
    assert children["the parent"].returncode == -signal.SIGINT  # stopped by the one signal, not killed
    assert children["the stubborn one"].returncode == -signal.SIGKILL
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)
    for child in children.values():
        child.stdout.close()
