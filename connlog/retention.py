"""Retention: erase each category once its legal period is over, keeping what verification needs.

CPCE R10-13 makes both keeping too short and keeping too long an offence. Technical connection data
(`connlog_record`) is kept `technical_retention_days` (365), identity collected by a captive portal
(`connlog_identity`) `identity_retention_days` (5 years). The unit is the UTC day of arrival: a day is
erased once all of it is older than the period, so a record lives between the period and the period
plus one day (run the daily job just after midnight UTC).

Before erasing, every closed day is sealed; the seals (roots, signatures) are kept forever, and the
last erased record's chain hash is written as the anchor the remaining chain starts from. On
PostgreSQL whole daily partitions are dropped. Each purge is written to `connlog_purge` and to the
access journal (when, up to what, how many).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, insert, select, text

from connlog import journal, seal
from connlog.errors import ConnlogError
from connlog.models import DayBoundRow, IdentityRow, PurgeRow, RecordRow
from connlog.store import RECORDS, Store, partition_name, utc_day


@dataclass(frozen=True)
class PurgeReport:
    now: float
    dry_run: bool
    technical_before: dt.date  # days strictly before were (or would be) erased
    identity_before: dt.date
    technical_rows: int
    identity_rows: int
    dropped_partitions: int
    anchor_seq: int | None
    anchor_hash: str | None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["technical_before"] = self.technical_before.isoformat()
        d["identity_before"] = self.identity_before.isoformat()
        return d


def cutoffs(now: float, technical_days: int, identity_days: int) -> tuple[dt.date, dt.date]:
    if identity_days < technical_days:
        raise ConnlogError(f"identity_retention_days ({identity_days}) is shorter than technical_retention_days "
                           f"({technical_days}): identity is part of the technical records it came with")
    return (utc_day(now - technical_days * 86400), utc_day(now - identity_days * 86400))


def purge(store: Store, key: Ed25519PrivateKey, *, technical_days: int, identity_days: int,
          now: float | None = None, dry_run: bool = False, operator: str | None = None) -> PurgeReport:
    now = time.time() if now is None else now
    technical_before, identity_before = cutoffs(now, technical_days, identity_days)
    if not dry_run:
        seal.seal(store, key, now=now)  # never erase an unsealed day: its root is what stays
    with store.write() as conn:
        anchor = _anchor(store, conn, technical_before)
        identity_rows = int(conn.execute(select(func.count()).select_from(IdentityRow)
                                         .where(IdentityRow.day < identity_before)).scalar() or 0)
        technical_rows, dropped = 0, 0
        if store.is_postgresql:
            doomed = {d: n for d, n in store.partitions(conn).items() if d < technical_before}
            for day in sorted(doomed):
                name = partition_name(day)  # rebuilt from a date: DDL takes no bind parameters
                technical_rows += int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar() or 0)  # noqa: S608
                if not dry_run:
                    conn.exec_driver_sql(f"DROP TABLE {name}")
            dropped = 0 if dry_run else len(doomed)
            if not dry_run:
                conn.execute(delete(DayBoundRow).where(DayBoundRow.day < technical_before))
            store.forget_partitions(doomed)
        elif dry_run:  # nothing sealed yet perhaps, so no anchor: count by day (a scan, fine for a dry run)
            technical_rows = int(conn.execute(select(func.count()).select_from(RecordRow)
                                              .where(RecordRow.day < technical_before)).scalar() or 0)
        elif anchor is not None:
            # Days follow seq, so "every day before the cutoff" is "every seq up to the anchor": a PK range.
            technical_rows = conn.execute(delete(RecordRow).where(RecordRow.seq <= anchor[0])).rowcount
        if not dry_run:
            conn.execute(delete(IdentityRow).where(IdentityRow.day < identity_before))
            for category, before, rows, anchor_values, partitions in (
                    ("technical", technical_before, technical_rows, anchor, dropped),
                    ("identity", identity_before, identity_rows, None, 0)):
                conn.execute(insert(PurgeRow).values(
                    at=now, category=category, before_day=before, rows=rows, dropped_partitions=partitions,
                    anchor_seq=anchor_values[0] if anchor_values else None,
                    anchor_hash=anchor_values[1] if anchor_values else None))
    report = PurgeReport(now, dry_run, technical_before, identity_before, technical_rows, identity_rows, dropped,
                         anchor[0] if anchor else None, anchor[1].hex() if anchor else None)
    if not dry_run:
        journal.write(store, action="purge", criteria={"technical_before": technical_before.isoformat(),
                                                       "identity_before": identity_before.isoformat(),
                                                       "identity_rows": identity_rows},
                      result_count=technical_rows, operator=operator, now=now)
    return report


def _anchor(store: Store, conn: Any, before: dt.date) -> tuple[int, bytes] | None:
    """The last record before the cutoff (seq, chain hash), from the seals: no scan of the big table."""
    last: tuple[int, bytes] | None = None
    for row in store.seals(conn, RECORDS):
        if row.day >= before:
            break
        message = seal.SealMessage.from_json(row.message)
        if message.last_seq is not None:
            last = (message.last_seq, message.last_hash)
    return last


def daily_job(store: Store, key: Ed25519PrivateKey, *, technical_days: int, identity_days: int,
              now: float | None = None) -> PurgeReport:
    """What the service runs once a day, just after midnight UTC: seal the closed days, then purge."""
    return purge(store, key, technical_days=technical_days, identity_days=identity_days, now=now,
                 operator="thdmon-logs-serve")
