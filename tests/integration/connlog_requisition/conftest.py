"""The requisition end to end: vendor lines and RADIUS through the real listeners into a real store
(SQLite file, or the PostgreSQL 15 server the store tests start), then `connlog.search`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connlog.ingest.sources import from_mapping
from connlog.store import Store
from tests.integration.connlog_ingest.conftest import SECRET, logger_bin, radclient  # noqa: F401 (fixtures)
from tests.integration.connlog_ingest.harness import RunningService, config, wait_until
from tests.integration.connlog_store.conftest import db_url, pg_server, store  # noqa: F401 (fixtures used by name)


class Live:
    """The ingest service feeding `store`, listening on loopback ephemeral ports."""

    def __init__(self, running: RunningService, database: Store) -> None:
        self.running = running
        self.store = database

    @property
    def syslog(self) -> tuple[str, int]:
        address = self.running.service.syslog_address
        assert address is not None
        return address

    @property
    def radius(self) -> tuple[str, int]:
        address = self.running.service.radius_address
        assert address is not None
        return address

    def stored(self, n: int) -> None:
        """Wait until `n` records are in the database (spooled, then fed)."""
        assert wait_until(lambda: self.store.last_seq() >= n, 20), (self.store.last_seq(), self.running.metrics.dropped)
        assert self.store.last_seq() == n, self.running.metrics.dropped


@pytest.fixture
def live(tmp_path: Path, db_url: str, store: Store) -> Iterator[Live]:  # noqa: F811 (pytest injects the fixture)
    sources = from_mapping({"127.0.0.1": SECRET}, {"127.0.0.1": ("fw-parc-sausset", "parc-sausset")})
    with RunningService(config(tmp_path, rfc3164_timezone="UTC"), sources, lambda: Store.open(db_url)) as rs:
        yield Live(rs, store)


@pytest.fixture
def cli(live: Live, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Live:  # noqa: F811
    """`thdmon logs ...` (thdmon.cli.main) reading the store the live service feeds."""
    monkeypatch.setenv("THDMON_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("THDMON_DB_URL", db_url)
    monkeypatch.delenv("THDMON_CONFIG", raising=False)
    return live
