"""modules.serve as the image runs it: connections spread over the workers, a dead worker is replaced,
SIGTERM stops everything, and a taken port or a bad option is a one-line error, not a stack trace."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path

import httpx
import pytest

from modules.tests.postgres import free_port
from modules.tests.support import stop_process

REPO = Path(__file__).resolve().parents[2]
APP = "modules.tests.test_serve:answer_with_pid"


async def answer_with_pid(scope, receive, send) -> None:
    """The ASGI app under test: which worker process answered."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/busy":  # a millisecond of work, as a real request costs
        deadline = time.process_time() + 0.001
        while time.process_time() < deadline:
            pass
    body = str(os.getpid()).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def serve_command(port: int, *options: str) -> list[str]:
    return [sys.executable, "-m", "modules.serve", APP, "--host", "127.0.0.1", "--port", str(port), *options]


@contextmanager
def running(port: int, workers: int = 2) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(serve_command(port, "--workers", str(workers)), cwd=REPO,
                               env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        wait_for(lambda: len(worker_pids(port)) == workers, process)
        yield process
    finally:
        stop_process(process)  # its workers too, should it hang


def wait_for(condition, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}: {process.stdout.read()}")
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def worker_pids(port: int, connections: int = 40) -> set[int]:
    """The workers answering on the port (each of `connections` new connections asks once)."""
    answers = set()
    for _ in range(connections):
        try:
            answers.add(int(httpx.get(f"http://127.0.0.1:{port}/", timeout=2).text))
        except httpx.TransportError:
            pass
    return answers


def pid_per_connection(port: int, connections: int) -> list[int]:
    """Opens `connections` keep-alive connections at once, as a load balancer's pool does, then asks each
    which worker holds it."""
    pool = [HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(connections)]
    for connection in pool:
        connection.connect()
    pids = []
    for connection in pool:
        connection.request("GET", "/")
        pids.append(int(connection.getresponse().read()))
        connection.close()
    return pids


def listening_sockets(port: int) -> int:
    """TCP sockets listening on 127.0.0.1:`port` (the kernel's table; `uvicorn --workers` has one)."""
    local = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == "0A")


@pytest.mark.slow
def test_each_worker_listens_on_a_socket_of_its_own_and_connections_spread_over_them():
    port = free_port()
    with running(port, workers=3):
        assert listening_sockets(port) == 3
        per_worker = Counter(pid_per_connection(port, 300))
    assert len(per_worker) == 3, per_worker
    # The kernel hashes each connection to a socket: 300 fair three-way draws stay within 60..140 each
    # but for about one run in 10^5.
    assert all(60 <= count <= 140 for count in per_worker.values()), per_worker


@pytest.mark.slow
def test_a_dead_worker_is_replaced_and_sigterm_stops_them_all():
    port = free_port()
    with running(port) as process:
        first, second = sorted(worker_pids(port))
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: (pids := worker_pids(port)) and second in pids and len(pids) == 2, process)
        workers = worker_pids(port)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists(), f"worker {pid} outlived the server"


@pytest.mark.slow
def test_a_taken_port_fails_at_once_naming_it():
    port = free_port()
    with running(port):
        second = subprocess.run(serve_command(port, "--workers", "2"), cwd=REPO, capture_output=True, text=True,
                                env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert second.returncode == 3  # uvicorn's code for a startup failure
    output = second.stdout + second.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in output and "Address already in use" in output
    assert "Traceback" not in output


def test_a_bad_option_is_uvicorns_usage_error():
    result = subprocess.run([sys.executable, "-m", "modules.serve", APP, "--workers", "many"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Invalid value for '--workers'" in result.stderr and "Traceback" not in result.stderr


def test_unix_sockets_and_reload_are_refused_with_the_reason():
    result = subprocess.run([sys.executable, "-m", "modules.serve", APP, "--uds", "/tmp/app-dw.sock"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "serves TCP (--host/--port) without --reload" in result.stderr and "Traceback" not in result.stderr
