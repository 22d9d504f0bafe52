"""The daily duty of `thdmon logs serve`: seal, purge on time, publish the database gauges."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client import generate_latest
from sqlalchemy import func, select

from connlog.health import IngestMetrics
from connlog.maintenance import Maintenance, MaintenanceConfig
from connlog.models import RecordRow
from connlog.store import Store

from .scenario import DAY0, generate

YEAR = 365 * 86400


def _gauges(metrics: IngestMetrics) -> dict[str, float]:
    out = {}
    for line in generate_latest(metrics.registry).decode().splitlines():
        if line.startswith("thdmon_connlog_") and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_the_daily_job_runs_once_a_day_and_purges_what_is_past_its_period(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    batch, _ = generate(days=2, visits_per_day=5, seed=3)
    store.append(batch)
    store.close()
    now = [DAY0 + YEAR + 86400 + 3600]  # 01:00 UTC the day 2026-11-20 turns one year old
    metrics = IngestMetrics()
    duty = Maintenance(MaintenanceConfig(key_path=tmp_path / "seal.key", technical_days=365, identity_days=5 * 365),
                       lambda: Store.open(db_url), metrics,
                       clock=lambda: now[0])

    duty.check()
    gauges = _gauges(metrics)
    assert gauges["thdmon_connlog_last_purge_timestamp_seconds"] == now[0]
    assert gauges["thdmon_connlog_last_seal_timestamp_seconds"] > 0
    assert gauges["thdmon_connlog_database_size_bytes"] > 0
    assert (tmp_path / "seal.key").stat().st_mode & 0o777 == 0o600

    # Later the same day: no second purge, gauges refreshed.
    now[0] += 3600
    duty.check()
    assert _gauges(metrics)["thdmon_connlog_last_purge_timestamp_seconds"] == now[0] - 3600
    # The next day: the job runs again, and the second day of data goes.
    now[0] += 86400
    duty.check()
    assert _gauges(metrics)["thdmon_connlog_last_purge_timestamp_seconds"] == now[0]
    assert duty.last_run_day is not None and duty.last_run_day.isoformat() == "2027-11-22"
    store = Store.open(db_url)
    with store.read() as conn:
        left = conn.execute(select(func.count()).select_from(RecordRow)).scalar()
    store.close()
    assert left == 0


def test_a_database_that_cannot_be_opened_is_retried_without_stopping(tmp_path: Path) -> None:
    attempts = []

    def broken() -> Store:
        attempts.append(1)
        raise OSError("database down")

    duty = Maintenance(MaintenanceConfig(key_path=tmp_path / "k", technical_days=365, identity_days=5 * 365,
                                         check_every=0.01), broken, IngestMetrics())

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(duty.run(stop))
        while len(attempts) < 3:
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(scenario())
    assert len(attempts) >= 3 and duty.last_run_day is None
