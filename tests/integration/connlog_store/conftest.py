"""Real peers for the store tests: SQLite files and a throwaway PostgreSQL 15 server (one per session,
one fresh database per test; lab.postgres starts it with initdb/pg_ctl as the postgres user)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connlog.keys import load_or_create
from connlog.store import Store
from lab import postgres
from lab.postgres import PostgresServer
from tests.conftest import require


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    reason = postgres.missing()
    require(reason is None, str(reason))
    with postgres.throwaway_postgresql() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'connlog.sqlite'}"
    return request.getfixturevalue("pg_server").new_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url)
    yield s
    s.close()


@pytest.fixture
def key(tmp_path: Path):
    return load_or_create(tmp_path / "seal.key")
