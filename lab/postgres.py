"""A throwaway PostgreSQL 15 server (initdb + pg_ctl as the postgres user) on a loopback address.

One place for the store tests, the ingest tests (which stop and start it: a database outage) and the
connlog benchmarks, so that none of them imports another's conftest.

    with throwaway_postgresql() as server:
        url = server.new_database()  # postgresql+psycopg://postgres@127.0.0.1:PORT/connlog_...
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lab.ports import free_tcp_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_RUN = ["runuser", "-u", "postgres", "--"]
_databases = itertools.count()


def missing() -> str | None:
    """Why a server cannot be started here, or None."""
    if not (PG_BIN / "initdb").is_file():
        return "PostgreSQL 15 server binaries are not installed"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "starting PostgreSQL needs root + runuser"
    return None


class PostgresServer:
    """A cluster in `base` (owned by postgres) listening on host:port; `trust` auth, fsync off."""

    def __init__(self, base: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.base, self.host = base, host
        self.port = port or free_tcp_port(host)

    @property
    def server_url(self) -> str:
        """The URL without a database name."""
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The `postgres` maintenance database."""
        return f"{self.server_url}/postgres"

    def init(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.base, "postgres", "postgres")
        subprocess.run([*_RUN, str(PG_BIN / "initdb"), "-D", str(self.base / "data"), "-U", "postgres", "-A",
                        "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)

    def start(self) -> None:
        subprocess.run([*_RUN, str(PG_BIN / "pg_ctl"), "-D", str(self.base / "data"), "-l", str(self.base / "log"),
                        "-w", "-o", f"-c listen_addresses={self.host} -p {self.port} -k {self.base} -c fsync=off",
                        "start"], check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop; mode "immediate" is a crash as clients see it (no shutdown checkpoint)."""
        subprocess.run([*_RUN, str(PG_BIN / "pg_ctl"), "-D", str(self.base / "data"), "-m", mode, "-w", "stop"],
                       capture_output=True)

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg  # only the PostgreSQL callers need the driver

        name = f"connlog_{os.getpid()}_{next(_databases)}"
        with psycopg.connect(self.url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"{self.server_url}/{name}"


@contextmanager
def throwaway_postgresql(host: str = "127.0.0.1", port: int | None = None,
                         stop_mode: str = "fast") -> Iterator[PostgresServer]:
    """A started server in a new temporary directory, stopped and removed on exit."""
    # Not under pytest's 0700 basetemp: the postgres user must reach its data directory.
    base = Path(tempfile.mkdtemp(prefix="thdmon-pg-"))
    server = PostgresServer(base, host, port)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop(stop_mode)
        shutil.rmtree(base, ignore_errors=True)
