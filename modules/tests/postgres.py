"""A throwaway PostgreSQL 15 cluster (own data dir under /tmp, own port, run as `postgres` when we are
root - PostgreSQL refuses root). Used by the apps' tests and the API benchmark."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PostgresMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class TemporaryPostgres:
    """`with TemporaryPostgres() as server:` -> server.url is `postgresql+psycopg://postgres@127.0.0.1:<port>`."""

    def __init__(self, *, durable: bool = False, max_connections: int = 200) -> None:
        self.durable = durable  # tests trade crash safety for speed; the benchmark keeps it
        self.max_connections = max_connections
        self.root: Path | None = None
        self.url = ""

    def __enter__(self) -> "TemporaryPostgres":
        missing = [str(PG_BIN / tool) for tool in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / tool).exists()]
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            missing.append("runuser (util-linux)")
        if missing:
            raise PostgresMissing("PostgreSQL 15 is needed but missing: " + ", ".join(missing)
                                  + " - install the Debian package `postgresql` (scripts/setup.sh does)")
        self.root = Path(tempfile.mkdtemp(prefix="app-dw-pg-", dir="/tmp"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        port = free_port()
        subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                                    "-E", "UTF8", "--locale=C"), check=True, capture_output=True)
        options = f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections={self.max_connections}"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try:
            subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                                        "-l", str(self.root / "log"), "-w", "-t", "60", "start"),
                           check=True, capture_output=True)
        except subprocess.CalledProcessError:
            self.__exit__()
            raise
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        return self

    @property
    def data(self) -> Path:
        return self.root / "data"

    def __exit__(self, *exc: object) -> None:
        if self.root is None:
            return
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None
