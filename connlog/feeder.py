"""Spool -> RecordSink: read after the sink's last seq, append a batch, acknowledge, repeat.

The sink commits a batch and its last seq in one transaction, so a crash anywhere replays records the
sink ignores: nothing lost, nothing twice. When the database is down (any error from the sink), the
feeder waits with a capped exponential backoff and retries while ingest keeps filling the spool; it
drains the backlog when the database is back. It runs in a thread because SQLAlchemy blocks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from connlog.health import IngestMetrics
from connlog.interfaces import RecordSink
from connlog.spool import DiskSpool

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    initial: float = 0.5
    factor: float = 2.0
    cap: float = 30.0

    def delay(self, failures: int) -> float:
        return min(self.cap, self.initial * self.factor ** max(0, failures - 1))


class Feeder:
    def __init__(self, spool: DiskSpool, sink: RecordSink | Callable[[], RecordSink],
                 metrics: IngestMetrics | None = None, batch_size: int = 5000, idle_wait: float = 1.0,
                 backoff: Backoff = Backoff()) -> None:
        """`sink` may be a factory: it is then (re)built lazily, so a database that is down at start-up
        is retried like one that goes down later."""
        self.spool = spool
        self._sink_factory = sink if callable(sink) and not hasattr(sink, "append") else None
        self._sink: RecordSink | None = None if self._sink_factory else sink  # type: ignore[assignment]
        self.metrics = metrics
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self.backoff = backoff
        self.committed = 0
        self.failures = 0  # consecutive
        self.last_error: str | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def notify(self) -> None:
        """New durable records in the spool (thread-safe, cheap)."""
        self._wake.set()

    def _get_sink(self) -> RecordSink:
        if self._sink is None:
            assert self._sink_factory is not None
            self._sink = self._sink_factory()
        return self._sink

    def step(self) -> int:
        """Move one batch; return how many records were read from the spool (0: nothing to do)."""
        sink = self._get_sink()
        last = sink.last_seq()
        batch = self.spool.read(last, self.batch_size)
        if batch:
            sink.append(batch)
            last = batch[-1][0]
        self.spool.acknowledge(last)
        self.committed = last
        if self.metrics is not None:
            self.metrics.set_spool_depth(self.spool.depth(last))
        return len(batch)

    def drain(self) -> None:
        """Feed until the spool is empty (raises on sink errors: for tests and one-shot use)."""
        while self.step():
            pass

    def run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before reading, so a record spooled during the step wakes the next wait
            try:
                moved = self.step()
            except Exception as exc:  # OperationalError, connection refused, disk full on the DB side...
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                delay = self.backoff.delay(self.failures)
                log.warning("event=feeder_sink_error failures=%d retry_in=%.1fs error=%s", self.failures, delay,
                            self.last_error)
                if self._sink_factory is not None:
                    self._sink = None  # rebuilt on the next try
                if self.metrics is not None:
                    self.metrics.set_spool_depth(self.spool.depth(self.committed))
                self._stop.wait(delay)
                continue
            if self.failures:
                log.warning("event=feeder_sink_recovered after_failures=%d", self.failures)
                self.failures = 0
                self.last_error = None
            if moved < self.batch_size:
                self._wake.wait(self.idle_wait)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="connlog-feeder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

