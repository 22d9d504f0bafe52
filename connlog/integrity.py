"""The chain check of the records an answer rests on, done by search and export before they show them.

`logs verify` walks whole days; a requisition cannot wait for that, nor trust a day it did not walk.
Each record returned is checked on its own (its content against its chain hash) and against its
successor (whose prev hash must be this record's chain hash: a forger who recomputed the edited row's
own hash breaks that link). A record that fails is shown marked, never silently; export refuses to sign it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from connlog.chain import chain_hash
from connlog.models import RecordRow
from connlog.store import Store, StoredRecord, canonical_json

MODIFIED = "record modified: its content no longer matches its chain hash"
RELINKED = "chain broken after this record: the next record is not chained to it (hash recomputed?)"


def faults(conn: Connection, records: Sequence[StoredRecord]) -> dict[int, str]:
    """seq -> what is wrong, for each record that fails; empty when all hold."""
    found: dict[int, str] = {}
    for s in records:
        if chain_hash(s.prev_hash, canonical_json(s.record), s.seq) != s.chain_hash:
            found[s.seq] = MODIFIED
    successors = {s.seq + 1: s for s in records if s.seq not in found}
    # Days follow seq: a successor is on its record's day or the next (a partition or two on PostgreSQL);
    # only the last record before a quiet day, or the stream head, needs a second, unbounded look.
    days = {d for s in successors.values() for d in (s.day, s.day + dt.timedelta(days=1))}
    seen = _check_links(conn, successors, RecordRow.day.in_(sorted(days)), found)
    _check_links(conn, {k: v for k, v in successors.items() if k not in seen}, True, found)
    return found


def _check_links(conn: Connection, successors: dict[int, StoredRecord], where: Any, found: dict[int, str]) -> set[int]:
    seen: set[int] = set()
    chunks = list(successors)
    for start in range(0, len(chunks), 500):
        chunk = chunks[start:start + 500]
        for seq, prev in conn.execute(select(RecordRow.seq, RecordRow.prev_hash).where(
                RecordRow.seq.in_(chunk), where)):
            seen.add(seq)
            if bytes(prev) != successors[seq].chain_hash:
                found[seq - 1] = RELINKED
    return seen


def faults_of(store: Store, seqs: Sequence[int]) -> dict[int, str]:
    """`faults` of the records with these seqs (for callers that hold seqs, not records)."""
    with store.read() as conn:
        return faults(conn, store.records(conn, RecordRow.seq.in_(list(seqs))))
