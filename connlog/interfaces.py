"""The small interfaces between connlog's ingest side and its store side.

Ingest (RADIUS, syslog) appends each accepted Record to the durable `Spool`, which numbers it with a
monotonic sequence number (`seq`) and fsyncs before the RADIUS answer goes out. The feeder reads the
spool after the store's last sequence number and hands batches to a `RecordSink`, which commits the
records and that last `seq` in ONE transaction: a crash between commit and acknowledgement replays
records the sink then ignores, so nothing is lost and nothing is stored twice. The hash chain follows
`seq`, i.e. the order of arrival.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from connlog.record import Record

SpooledRecord = tuple[int, Record]  # (seq, record)


class RecordSink(Protocol):
    def last_seq(self) -> int:
        """Highest spool sequence number already committed (0 when empty)."""
        ...

    def append(self, batch: Sequence[SpooledRecord]) -> int:
        """Commit the records with seq > last_seq() atomically; return how many were new."""
        ...


class Spool(Protocol):
    def append(self, record: Record) -> int:
        """Durably append (fsync'd on return); return its seq."""
        ...

    def read(self, after: int, limit: int) -> list[SpooledRecord]:
        ...

    def acknowledge(self, upto: int) -> None:
        """Everything <= upto is in the database: the spool may drop it."""
        ...

    def depth(self, committed: int) -> int:
        ...
