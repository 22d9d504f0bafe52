"""The store against real SQLite and PostgreSQL: exactly-once append, schema, partitions, health."""

from __future__ import annotations

import dataclasses

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from connlog.chain import GENESIS, chain_hash
from connlog.models import Base, IdentityRow, RecordRow, include_name
from connlog.record import Kind, Record
from connlog.store import Store, health, normalise

from .scenario import DAY0, generate


def test_migrations_and_models_agree(store: Store) -> None:
    store.append(generate(days=2, visits_per_day=4)[0])  # partitions exist on PostgreSQL: they must be ignored
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": include_name, "compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_append_is_exactly_once_and_chained(store: Store) -> None:
    batch, _ = generate(days=1, visits_per_day=10)
    assert store.last_seq() == 0
    assert store.append(batch[:20]) == 20
    # A replay after a crash overlaps what is committed: only the new part is stored.
    assert store.append(batch[10:]) == len(batch) - 20
    assert store.append(batch) == 0
    assert store.last_seq() == len(batch)
    with store.read() as conn:
        rows = store.records(conn, RecordRow.seq > 0)
        assert [r.seq for r in rows] == [s for s, _ in batch]
        prev = GENESIS
        for stored, (_, original) in zip(rows, batch, strict=True):
            assert stored.record == normalise(original)
            assert stored.chain_hash == chain_hash(prev, original.to_json(), stored.seq)
            prev = stored.chain_hash
        identities = conn.execute(select(func.count()).select_from(IdentityRow)).scalar()
    assert identities == sum(1 for _, r in batch if r.user_name)


def test_integer_times_are_chained_as_stored(store: Store) -> None:
    # A parser may hand integers for float fields: the chain must cover what the database gives back.
    record = Record(kind=Kind.dhcp, source="dhcp1", received_at=int(DAY0), event_time=int(DAY0),
                    client_mac="02:00:00:00:00:01", private_ip="10.0.0.1", lease_seconds=3600)
    store.append([(1, record)])
    with store.read() as conn:
        (stored,) = store.records(conn, RecordRow.seq == 1)
    assert stored.record == dataclasses.replace(record, received_at=DAY0, event_time=DAY0)
    assert stored.chain_hash == chain_hash(GENESIS, stored.record.to_json(), 1)


def test_postgresql_partitions_by_day(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        store.append(generate(days=3, visits_per_day=5)[0])
        if not store.is_postgresql:
            with store.read() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            return
        with store.read() as conn:
            names = sorted(store.partitions(conn).values())
            assert names == ["connlog_record_p20261120", "connlog_record_p20261121", "connlog_record_p20261122"]
            per_day = dict(conn.execute(text("SELECT tableoid::regclass::text, count(*) FROM connlog_record "
                                             "GROUP BY 1")).all())
        assert sum(per_day.values()) == 75 and set(per_day) == set(names)
    finally:
        store.close()


def test_reopening_keeps_the_head_and_health(db_url: str) -> None:
    batch, _ = generate(days=1, visits_per_day=4)
    with Store.open(db_url) as first:
        first.append(batch)
    with Store.open(db_url) as again:  # migrations are idempotent; the head survives
        assert again.last_seq() == len(batch)
        values = health(again)
    assert values["thdmon_connlog_database_size_bytes"] > 10_000
    assert "thdmon_connlog_last_seal_timestamp_seconds" not in values  # never sealed yet
