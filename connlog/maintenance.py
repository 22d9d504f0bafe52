"""The ingest process's daily duty and health readings: seal, purge, and database gauges.

Failing to erase data past its legal period is an offence just like failing to keep it, so the purge
runs inside the long-lived `thdmon logs serve` rather than depending on an external cron: once per UTC
day (and at start-up) it seals the closed days, then purges per category. Every `check_every` seconds it
also publishes the database size and the last seal and purge times, so a stalled duty is visible. A
database that is down is retried at the next check; nothing here ever stops the listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connlog import keys, retention
from connlog.health import IngestMetrics
from connlog.store import Store, health

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MaintenanceConfig:
    key_path: Path
    technical_days: int  # from the settings, where the defaults are declared (thdmon.settings)
    identity_days: int
    check_every: float = 60.0


class Maintenance:
    def __init__(self, config: MaintenanceConfig, open_store: Callable[[], Store], metrics: IngestMetrics,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self._open_store = open_store
        self._metrics = metrics
        self._clock = clock
        self._store: Store | None = None
        self.last_run_day: dt.date | None = None

    def check(self) -> None:
        """One round (blocking; run in a thread): the daily job if a new UTC day began, then the gauges."""
        if self._store is None:
            self._store = self._open_store()
        now = self._clock()
        today = dt.datetime.fromtimestamp(now, dt.UTC).date()
        if self.last_run_day != today:
            key = keys.load_or_create(self.config.key_path)
            report = retention.daily_job(self._store, key, technical_days=self.config.technical_days,
                                         identity_days=self.config.identity_days, now=now)
            self.last_run_day = today
            log.info("event=connlog_daily_job technical_before=%s technical_rows=%d identity_rows=%d",
                     report.technical_before, report.technical_rows, report.identity_rows)
        self._metrics.set_store_health(health(self._store))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.check)
            except Exception as exc:  # database down, disk full: retried at the next check
                log.warning("event=connlog_maintenance_failed error=%s", type(exc).__name__)
                self._close_store()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.check_every)
        self._close_store()

    def _close_store(self) -> None:
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()
            self._store = None
