"""Ingest health metrics (names and labels from `metrics/catalogue.py`): a stalled source is a legal risk.

Labels stay low-cardinality: `nas` is an inventory hostname (or the sender address of an unknown
syslog source), `reason` one of the fixed strings below. Never a MAC or a client address.
"""

from __future__ import annotations

import threading
from collections import Counter as _Tally

from prometheus_client import CollectorRegistry, Counter, Gauge

from connlog.record import Record
from metrics import catalogue

# Reasons a packet, frame or line is dropped (the `reason` label of thdmon_connlog_dropped_total).
BAD_AUTHENTICATOR = "bad_authenticator"
UNKNOWN_NAS = "unknown_nas"
UNKNOWN_SENDER = "unknown_sender"  # syslog beyond loopback from an address the inventory does not name
MALFORMED = "malformed"
UNSUPPORTED = "unsupported_code"
DUPLICATE = "duplicate"
IGNORED = "ignored"
QUARANTINE_ROTATED = "quarantine_rotated"
TOO_LONG = "frame_too_long"
SPOOL_ERROR = "spool_error"  # the spool could not write (disk full, I/O error)


def _counter(name: str, registry: CollectorRegistry) -> Counter:
    m = catalogue.get(name)
    # prometheus_client appends _total itself.
    return Counter(m.name.removesuffix("_total"), m.help, m.all_labels, registry=registry)


def _gauge(name: str, registry: CollectorRegistry) -> Gauge:
    m = catalogue.get(name)
    return Gauge(m.name, m.help, m.all_labels, registry=registry)


class IngestMetrics:
    """Counters of one ingest process; also readable in tests through `dropped` and `records`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._records = _counter("thdmon_connlog_records_total", self.registry)
        self._last = _gauge("thdmon_connlog_last_record_timestamp_seconds", self.registry)
        self._dropped = _counter("thdmon_connlog_dropped_total", self.registry)
        self._quarantine = _gauge("thdmon_connlog_quarantine_lines", self.registry)
        self._depth = _gauge("thdmon_connlog_spool_depth_records", self.registry)
        self._store_gauges: dict[str, Gauge] = {}
        self._lock = threading.Lock()
        self.records: _Tally[tuple[str, str]] = _Tally()
        self.dropped: _Tally[tuple[str, str]] = _Tally()

    def record(self, record: Record) -> None:
        key = (str(record.kind), record.source)
        with self._lock:
            self.records[key] += 1
        self._records.labels(*key).inc()
        self._last.labels(*key).set(record.received_at)

    def drop(self, source_kind: str, reason: str, count: int = 1) -> None:
        with self._lock:
            self.dropped[(source_kind, reason)] += count
        self._dropped.labels(source_kind, reason).inc(count)

    def dropped_count(self, source_kind: str, reason: str) -> int:
        with self._lock:
            return self.dropped[(source_kind, reason)]

    def set_quarantine_lines(self, n: int) -> None:
        self._quarantine.set(n)

    def set_spool_depth(self, n: int) -> None:
        self._depth.set(n)

    def set_store_health(self, values: dict[str, float]) -> None:
        """Gauges read from the database (size, last seal, last purge), by catalogue name."""
        for name, value in values.items():
            gauge = self._store_gauges.get(name)
            if gauge is None:
                gauge = self._store_gauges[name] = _gauge(name, self.registry)
            gauge.set(value)

