"""Is ingestion current? The newest arrival per source kind and NAS, read from the store.

For the portal's health page (a stalled source is a legal risk, visible at once). Only the last few
UTC days are read, through the day index (on PostgreSQL, the last partitions): a source silent for
longer is reported by its absence against the sources expected from the inventory.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from connlog.models import RecordRow
from connlog.store import RECORDS, Store, utc_day


@dataclass(frozen=True, slots=True)
class SourceFreshness:
    kind: str
    source: str
    site: str | None
    last_received: float | None  # None: expected, nothing within the window
    records: int


@dataclass(frozen=True, slots=True)
class StoreStatus:
    sources: list[SourceFreshness]
    window_days: int
    last_seal: float | None
    sealed_through: dt.date | None
    last_purge: float | None


def status(store: Store, *, expected: tuple[tuple[str, str], ...] = (), window_days: int = 2,
           now: float | None = None) -> StoreStatus:
    now = time.time() if now is None else now
    first_day = utc_day(now) - dt.timedelta(days=window_days)
    query = (select(RecordRow.kind, RecordRow.source, func.max(RecordRow.site), func.max(RecordRow.received_at),
                    func.count()).where(RecordRow.day >= first_day)
             .group_by(RecordRow.kind, RecordRow.source).order_by(RecordRow.kind, RecordRow.source))
    with store.read() as conn:
        seen = [SourceFreshness(k, s, site, last, n) for k, s, site, last, n in conn.execute(query)]
        seals = store.seals(conn, RECORDS)
    known = {(s.kind, s.source) for s in seen}
    missing = [SourceFreshness(k, s, None, None, 0) for k, s in expected if (k, s) not in known]
    return StoreStatus(sources=missing + seen, window_days=window_days,
                       last_seal=store.last_seal_time(), sealed_through=seals[-1].day if seals else None,
                       last_purge=store.last_purge_time())
