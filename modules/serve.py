"""`python -m modules.serve APP [uvicorn options]`: uvicorn's multi-worker server, with a listening socket
per worker so the kernel spreads connections evenly over the workers.

Why: `uvicorn --workers N` binds one socket and every worker accepts from it. When connections arrive
together (a load balancer opening its keep-alive pool, a client burst), the worker that wakes first
accepts all that are waiting. Keep-alive connections then stay where they landed: measured, 80 of 100
on one worker, which queued its requests on one core while the other worker idled (the review p95
doubled). With SO_REUSEPORT each worker has its own socket on the same port, and the kernel assigns
each new connection by a hash of its addresses (53/47 on the same test).

Everything else is uvicorn's own: its command-line options (`uvicorn --help`), its supervisor (health
pings, replacing a dead worker, graceful stop on SIGTERM/SIGINT). The only change is what each worker
receives as its socket: a `ReusePortListener`, which becomes a socket of its own when the worker
process is spawned. The supervisor binds one too (never listening, so it gets no connections), after checking
with a plain bind that nothing else has the port; a taken port fails at once, with uvicorn's exit code
for a startup failure - as does a worker that cannot start (the supervisor then stops them all).
"""
from __future__ import annotations

import inspect
import logging
import socket
import sys
from collections.abc import Sequence

import click
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.main import main as uvicorn_command
from uvicorn.supervisors.multiprocess import Multiprocess

logger = logging.getLogger("uvicorn.error")


def bound_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def reserve_port(host: str, port: int) -> socket.socket:
    """The supervisor's socket, after a plain bind proved the port free: without that, a second server
    started the same way would share the port silently instead of failing."""
    bound_socket(host, port, reuse_port=False).close()
    return bound_socket(host, port, reuse_port=True)


def _worker_socket(host: str, port: int) -> socket.socket:
    try:
        return bound_socket(host, port, reuse_port=True)
    except OSError as error:
        logger.error("cannot listen on %s:%d: %s", host, port, error)
        sys.exit(STARTUP_FAILURE)  # the supervisor stops instead of replacing the worker forever


class ReusePortListener:
    """Stands in for the socket uvicorn hands each worker: unpickled in the worker (uvicorn spawns its
    workers, passing their sockets by pickling), it binds a SO_REUSEPORT socket there."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def __reduce__(self):
        return _worker_socket, (self.host, self.port)


def config_from_command_line(args: Sequence[str]) -> Config:
    """uvicorn's own option parsing (same options, defaults and errors) into its Config."""
    params = uvicorn_command.make_context("python -m modules.serve", list(args)).params
    sys.path.insert(0, params["app_dir"])
    accepted = inspect.signature(Config).parameters
    return Config(**{name: value for name, value in params.items() if name in accepted})


def serve(config: Config) -> None:
    if config.uds or config.fd is not None or config.reload:
        raise click.UsageError("modules.serve serves TCP (--host/--port) without --reload; run uvicorn for the rest")
    try:
        reserved = reserve_port(config.host, config.port)
    except OSError as error:
        logger.error("cannot listen on %s:%d: %s", config.host, config.port, error)
        sys.exit(STARTUP_FAILURE)
    with reserved:
        logger.info("serving on http://%s:%d with %d workers, a SO_REUSEPORT socket each",
                    config.host, config.port, config.workers)
        supervisor = Multiprocess(config, sockets=[ReusePortListener(config.host, config.port)])
        supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        # uvicorn's supervisor stops when a worker cannot start (a bad setting, say) but exits 0; the
        # container must exit failed, as a single uvicorn process does.
        sys.exit(STARTUP_FAILURE)


def main(args: Sequence[str] | None = None) -> None:
    try:
        config = config_from_command_line(sys.argv[1:] if args is None else args)
        serve(config)
    except click.ClickException as error:  # a bad option: uvicorn's message, no stack trace
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Exit as done:  # --help, --version
        sys.exit(done.exit_code)


if __name__ == "__main__":
    main()
