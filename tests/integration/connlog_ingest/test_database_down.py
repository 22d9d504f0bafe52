"""The database (a real PostgreSQL) stops in the middle of ingestion: ingest goes on into the spool, the
feeder retries with backoff, and everything drains, exactly once, when the database is back."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest

from connlog.feeder import Backoff
from connlog.ingest.sources import from_mapping
from connlog.store import Store
from lab import postgres as lab_postgres
from lab.postgres import PostgresServer
from lab.wifi.generate import Park, plan_day, play
from tests.conftest import require
from tests.integration.connlog_ingest.harness import RunningService, config, wait_until
from tests.integration.connlog_ingest.test_park_day import free_port, unique_loopback


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    reason = lab_postgres.missing()
    require(reason is None, str(reason))
    host = unique_loopback()
    # immediate on the way out too: the server is thrown away, no checkpoint is worth waiting for
    with lab_postgres.throwaway_postgresql(host, free_port(host), stop_mode="immediate") as server:
        yield server


@pytest.mark.timeout(120)
def test_postgresql_outage_during_ingest_loses_nothing(tmp_path, postgres):
    host = postgres.host
    park = Park(controller=host, firewall=host, dhcp_server=host)
    sources = from_mapping({host: "lab-secret"}, {host: ("ctrl-parc-sausset", "parc-sausset")})
    Store.open(postgres.url).close()  # migrate once up front
    cfg = config(tmp_path, radius=(host, 0), syslog=(host, 0), backoff=Backoff(initial=0.1, cap=0.5))
    with RunningService(cfg, sources, lambda: Store.open(postgres.url)) as rs:
        feeder = rs.service.feeder
        events1, truth1 = plan_day(dt.date(2026, 6, 14), 40, seed=1, park=park)
        asyncio.run(play(events1, truth1, park, b"lab-secret", rs.service.radius_address, rs.service.syslog_address))
        n1 = truth1.radius_sent + truth1.syslog_sent
        assert wait_until(lambda: feeder.committed == n1, 30)

        postgres.stop("immediate")  # a crash, as the feeder sees it
        events2, truth2 = plan_day(dt.date(2026, 6, 15), 40, seed=2, park=park)
        asyncio.run(play(events2, truth2, park, b"lab-secret", rs.service.radius_address, rs.service.syslog_address))
        assert truth2.radius_answered == truth2.radius_sent  # answered from the spool while the DB is down
        n2 = truth2.radius_sent + truth2.syslog_sent
        assert wait_until(lambda: rs.service.spool.last_seq == n1 + n2, 10)
        assert wait_until(lambda: feeder.failures >= 2, 30)
        assert feeder.committed == n1
        assert rs.service.spool.depth(feeder.committed) == n2

        postgres.start()
        assert wait_until(lambda: feeder.committed == n1 + n2 and feeder.failures == 0, 60), feeder.last_error
    store = Store.open(postgres.url)
    try:
        with store.read() as conn:
            rows = store.records(conn, True)
        assert [r.seq for r in rows] == list(range(1, n1 + n2 + 1))
        macs = {r.record.client_mac for r in rows if r.record.kind.value == "dhcp"}
        assert macs == {s.client_mac for s in truth1.sessions + truth2.sessions}
    finally:
        store.close()
