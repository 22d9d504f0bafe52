"""Run the real ingest service in a background event loop, so sync tests can drive real peers at it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from connlog.health import IngestMetrics
from connlog.ingest.sources import Sources
from connlog.interfaces import SpooledRecord
from connlog.record import Record
from connlog.service import IngestService, ServiceConfig


class MemorySink:
    """A RecordSink kept in memory, with the exactly-once contract (seq <= last_seq ignored).

    Used where the real store is beside the point; `down` makes it fail like a database that is off.
    """

    def __init__(self) -> None:
        self.records: dict[int, Record] = {}
        self.down = False
        self.calls = 0
        self._lock = threading.Lock()

    def last_seq(self) -> int:
        if self.down:
            raise ConnectionRefusedError("database is down (test)")
        with self._lock:
            return max(self.records, default=0)

    def append(self, batch: Sequence[SpooledRecord]) -> int:
        if self.down:
            raise ConnectionRefusedError("database is down (test)")
        with self._lock:
            self.calls += 1
            last = max(self.records, default=0)
            new = [(s, r) for s, r in batch if s > last]
            self.records.update(new)
            return len(new)


class RunningService:
    def __init__(self, config: ServiceConfig, sources: Sources, sink: object = None) -> None:
        self.service = IngestService(config, sources, sink)  # type: ignore[arg-type]
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> RunningService:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.service.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.service.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    @property
    def metrics(self) -> IngestMetrics:
        return self.service.metrics


def config(tmp_path: Path, **kw: object) -> ServiceConfig:
    base: dict[str, object] = {"spool_dir": tmp_path / "spool", "radius": ("127.0.0.1", 0),
                               "syslog": ("127.0.0.1", 0), "quarantine": tmp_path / "quarantine.log"}
    base.update(kw)
    return ServiceConfig(**base)  # type: ignore[arg-type]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
