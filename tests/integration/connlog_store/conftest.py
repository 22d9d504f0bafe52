"""Real peers for the store tests: SQLite files and a throwaway PostgreSQL 15 server (one per session,
one fresh database per test), started here with initdb/pg_ctl as the postgres user."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connlog.keys import load_or_create
from connlog.store import Store
from tests.conftest import require
from tests.peers import free_tcp_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
_counter = itertools.count()


@contextmanager
def throwaway_postgresql() -> Iterator[str]:
    """A PostgreSQL 15 server on a free loopback port in a temp dir; yields the URL without database name.
    Also used by benchmarks/connlog_store.py."""
    # Not under pytest's 0700 basetemp: the postgres user must reach its data directory.
    base = Path(tempfile.mkdtemp(prefix="thdmon-connlog-pg-"))
    shutil.chown(base, "postgres", "postgres")
    port = free_tcp_port()
    run = ["runuser", "-u", "postgres", "--"]
    try:
        subprocess.run([*run, str(PG_BIN / "initdb"), "-D", str(base / "data"), "-U", "postgres", "-A", "trust",
                        "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)
        subprocess.run([*run, str(PG_BIN / "pg_ctl"), "-D", str(base / "data"), "-l", str(base / "log"), "-w",
                        "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off", "start"],
                       check=True, capture_output=True)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*run, str(PG_BIN / "pg_ctl"), "-D", str(base / "data"), "-m", "fast", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    require((PG_BIN / "initdb").is_file(), "PostgreSQL 15 server binaries are not installed")
    require(os.geteuid() == 0 and shutil.which("runuser") is not None, "starting PostgreSQL needs root + runuser")
    with throwaway_postgresql() as url:
        yield url


def new_pg_database(server: str) -> str:
    import psycopg

    name = f"connlog_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'connlog.sqlite'}"
    return new_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url)
    yield s
    s.close()


@pytest.fixture
def key(tmp_path: Path):
    return load_or_create(tmp_path / "seal.key")
