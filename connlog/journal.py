"""The access journal: who searched, exported or purged what, when, and how many records it gave.

Entries are hash-chained and sealed daily exactly like records (stream "journal"), so an entry
removed to hide a consultation is caught by `thdmon logs verify`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select

from connlog.chain import chain_hash
from connlog.models import JournalRow
from connlog.store import JOURNAL, Store, journal_payload, utc_day


@dataclass(frozen=True)
class Entry:
    seq: int
    day: dt.date
    at: float
    operator: str
    action: str
    requisition: str | None
    criteria: dict[str, Any]
    result_count: int


def default_operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still say something true
        return "unknown"


def write(store: Store, *, action: str, criteria: dict[str, Any], result_count: int,
          operator: str | None = None, requisition: str | None = None, now: float | None = None) -> Entry:
    at = float(time.time() if now is None else now)
    values = SimpleNamespace(at=at, operator=operator or default_operator(), action=action,
                             requisition=requisition, criteria=json.dumps(criteria, sort_keys=True, default=str),
                             result_count=int(result_count))
    with store.write() as conn:
        st = store.state(conn, JOURNAL, lock=True)
        seq = st.last_seq + 1
        day = st.day_for(utc_day(at))
        digest = chain_hash(st.last_hash, journal_payload(values), seq)
        conn.execute(insert(JournalRow).values(seq=seq, day=day, prev_hash=st.last_hash, chain_hash=digest,
                                               **vars(values)))
        st.last_seq, st.last_hash, st.head_day = seq, digest, day
        store.save_state(conn, JOURNAL, st)
    return Entry(seq, day, at, values.operator, action, requisition, json.loads(values.criteria), values.result_count)


def entries(store: Store, *, since: float | None = None, until: float | None = None) -> list[Entry]:
    query = select(JournalRow.__table__).order_by(JournalRow.seq)
    if since is not None:
        query = query.where(JournalRow.at >= since)
    if until is not None:
        query = query.where(JournalRow.at < until)
    with store.read() as conn:
        return [Entry(r.seq, r.day, r.at, r.operator, r.action, r.requisition, json.loads(r.criteria),
                      r.result_count) for r in conn.execute(query)]
