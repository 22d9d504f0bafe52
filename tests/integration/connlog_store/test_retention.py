"""Retention at day boundaries, per category; verification still passes across the purged boundary."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from connlog import journal, retention, seal
from connlog.models import IdentityRow, PurgeRow, RecordRow
from connlog.search import Criteria, run
from connlog.store import Store, utc_day

from .scenario import DAY0, generate

YEAR = 365 * 86400


def _counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        records = dict(conn.execute(select(RecordRow.day, func.count()).group_by(RecordRow.day)).all())
        identity = dict(conn.execute(select(IdentityRow.day, func.count()).group_by(IdentityRow.day)).all())
    return {f"r{d.day}": n for d, n in records.items()} | {f"i{d.day}": n for d, n in identity.items()}


def _purge(store: Store, key, now: float, **kw) -> retention.PurgeReport:
    return retention.purge(store, key, technical_days=365, identity_days=5 * 365, now=now, operator="cron", **kw)


def test_technical_data_goes_after_one_year_identity_stays(store: Store, key) -> None:
    batch, _ = generate(days=3, visits_per_day=10, seed=9)
    store.append(batch)
    before = _counts(store)
    assert set(before) == {"r20", "r21", "r22", "i20", "i21", "i22"}

    # One second before the end of 2026-11-20 is a year old: nothing goes (dry run or not).
    almost = DAY0 + YEAR + 86400 - 1
    assert _purge(store, key, almost, dry_run=True).technical_rows == 0
    report = _purge(store, key, almost)
    assert (report.technical_rows, report.identity_rows) == (0, 0)
    assert _counts(store) == before

    # At midnight, 2026-11-20 is entirely a year old: its technical rows go, its identity stays.
    midnight = DAY0 + YEAR + 86400
    dry = _purge(store, key, midnight, dry_run=True)
    assert dry.technical_rows == before["r20"] and _counts(store) == before
    report = _purge(store, key, midnight)
    assert report.technical_before == dt.date(2026, 11, 21)
    assert report.technical_rows == before["r20"] and report.identity_rows == 0
    assert report.dropped_partitions == (1 if store.is_postgresql else 0)
    after = _counts(store)
    assert "r20" not in after and after["r21"] == before["r21"] and after["i20"] == before["i20"]

    # The chain anchor is the last erased record; the remaining chain starts from it; all still verifies.
    with store.read() as conn:
        first_left = conn.execute(select(RecordRow.prev_hash).order_by(RecordRow.seq).limit(1)).scalar()
        purges = conn.execute(select(PurgeRow.category, PurgeRow.rows, PurgeRow.anchor_hash)
                              .order_by(PurgeRow.id)).all()
    assert purges[-2] == ("technical", before["r20"], first_left) and purges[-1][:2] == ("identity", 0)
    verdict = seal.verify(store, key.public_key())
    assert verdict.ok, [str(p) for p in verdict.problems]

    # A user search still finds the identity of the purged day, without its technical data.
    user = run(store, Criteria(user_name="user1@portal"))
    assert {d for _, d, _ in user.identities} <= {dt.date(2026, 11, 20)}

    # Identity data goes five years after its day.
    five_years = DAY0 + 5 * YEAR + 86400
    report = _purge(store, key, five_years)
    assert report.identity_before == dt.date(2026, 11, 21)
    left = _counts(store)
    assert "i20" not in left and report.identity_rows == before["i20"]
    assert not any(k.startswith("r") for k in left)  # technical long gone
    verdict = seal.verify(store, key.public_key())
    assert verdict.ok, [str(p) for p in verdict.problems]


def test_purges_are_journaled_and_chained(store: Store, key) -> None:
    store.append(generate(days=2, visits_per_day=5, seed=1)[0])
    now = DAY0 + YEAR + 2 * 86400
    _purge(store, key, now)
    (entry,) = [e for e in journal.entries(store) if e.action == "purge"]
    assert entry.operator == "cron" and entry.result_count == 50
    assert entry.criteria["technical_before"] == "2026-11-22"
    assert store.last_purge_time() == now
    assert store.last_seal_time() == now
    # The journal is sealed too: tampering with the purge entry is caught.
    seal.seal(store, key, now=now + 2 * 86400)
    from sqlalchemy import text

    with store.write() as conn:
        conn.execute(text("UPDATE connlog_journal SET result_count = 0 WHERE seq = :s"), {"s": entry.seq})
    faults = [str(p) for p in seal.verify(store, key.public_key()).problems]
    assert faults == [f"journal day {utc_day(now).isoformat()} seq {entry.seq}: record modified: its content no "
                      "longer matches its chain hash"]


def test_records_arriving_after_their_day_was_sealed_join_the_open_day(store: Store, key) -> None:
    batch, _ = generate(days=1, visits_per_day=6, seed=4)
    store.append(batch[:-3])
    seal.seal(store, key, now=DAY0 + 86400 + 60)  # 2026-11-20 sealed at 00:01 the next day
    assert store.append(batch[-3:]) == 3  # received on the 20th, spooled late
    with store.read() as conn:
        days = conn.execute(select(RecordRow.day).where(RecordRow.seq > len(batch) - 3)).scalars().all()
    assert days == [dt.date(2026, 11, 21)] * 3
    assert seal.verify(store, key.public_key()).ok
