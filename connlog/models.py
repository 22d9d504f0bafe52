"""The connlog tables as SQLAlchemy 2 typed models.

The Alembic migrations in `connlog/migrations/versions/` are the only source of the schema; these
models mirror them (a test runs Alembic's autogenerate compare and expects no difference).

- `connlog_record`: the technical data (one year), one row per spooled Record, hash-chained in `seq`
  order. On PostgreSQL it is range-partitioned by `day` (one partition a UTC day, created on demand)
  so the purge drops whole partitions; `day` is the sealing day (the UTC day of arrival, never going
  back along `seq`), hence it is part of the primary key.
- `connlog_identity`: identity collected by a captive portal (`user_name`, five years), kept apart so
  it outlives the technical row it came with.
- `connlog_journal`: the access journal (who searched or exported what), hash-chained like records.
- `connlog_seal`: one signed daily seal per stream (records, journal); kept forever.
- `connlog_checkpoint`: signed interim checkpoints of days not sealed yet (what today's exports are
  proven against); the day's seal is checked to agree with each.
- `connlog_day_bound`: per day of arrival, the earliest event time it holds (PostgreSQL: which later
  partitions hold late records about an instant).
- `connlog_state`: per stream, the head of the chain (last seq, last hash) and the sealing cursor.
- `connlog_purge`: what each purge removed, with the chain anchor it leaves behind.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import BigInteger, Date, Float, Index, Integer, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

RECORD_PARTITION = re.compile(r"^connlog_record_p\d{8}$")


class Base(DeclarativeBase):
    metadata = MetaData()


class RecordRow(Base):
    __tablename__ = "connlog_record"
    __table_args__ = (
        Index("ix_connlog_record_day", "day", "seq"),  # a day's rows in chain order (seal, verify, export)
        Index("ix_connlog_record_nat", "public_ip", "public_port_start", "event_time"),
        Index("ix_connlog_record_private_ip", "private_ip", "event_time"),
        Index("ix_connlog_record_mac", "client_mac", "event_time"),
        Index("ix_connlog_record_session", "session_id"),
        Index("ix_connlog_record_site", "site", "event_time"),
        Index("ix_connlog_record_ap", "ap", "event_time"),
        {"postgresql_partition_by": "RANGE (day)"},
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[float] = mapped_column(Float)
    event_time: Mapped[float] = mapped_column(Float)
    site: Mapped[str | None] = mapped_column(String(255))
    session_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(32))
    client_mac: Mapped[str | None] = mapped_column(String(17))
    private_ip: Mapped[str | None] = mapped_column(String(45))
    private_port: Mapped[int | None] = mapped_column(Integer)
    public_ip: Mapped[str | None] = mapped_column(String(45))
    public_port_start: Mapped[int | None] = mapped_column(Integer)
    public_port_end: Mapped[int | None] = mapped_column(Integer)
    ap: Mapped[str | None] = mapped_column(String(255))
    ssid: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[float | None] = mapped_column(Float)
    stop: Mapped[float | None] = mapped_column(Float)
    duration: Mapped[float | None] = mapped_column(Float)
    input_octets: Mapped[int | None] = mapped_column(BigInteger)
    output_octets: Mapped[int | None] = mapped_column(BigInteger)
    terminate_cause: Mapped[str | None] = mapped_column(String(64))
    lease_seconds: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary)
    chain_hash: Mapped[bytes] = mapped_column(LargeBinary)


class IdentityRow(Base):
    __tablename__ = "connlog_identity"
    __table_args__ = (
        Index("ix_connlog_identity_user", "user_name"),
        Index("ix_connlog_identity_day", "day"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[dt.date] = mapped_column(Date)
    user_name: Mapped[str] = mapped_column(String(255))


class JournalRow(Base):
    __tablename__ = "connlog_journal"
    __table_args__ = (Index("ix_connlog_journal_day", "day"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[float] = mapped_column(Float)
    operator: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    requisition: Mapped[str | None] = mapped_column(String(255))
    criteria: Mapped[str] = mapped_column(Text)
    result_count: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary)
    chain_hash: Mapped[bytes] = mapped_column(LargeBinary)


class SealRow(Base):
    __tablename__ = "connlog_seal"

    stream: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    sealed_at: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)  # the exact canonical JSON that was signed
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class CheckpointRow(Base):
    """A signed interim checkpoint: the Merkle root of a day's first `count` records, made so that records
    of a day not sealed yet (today) can be exported with proofs; the day's seal must agree with it."""

    __tablename__ = "connlog_checkpoint"

    stream: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    made_at: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)  # the exact canonical JSON that was signed
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class DayBoundRow(Base):
    """Per day of arrival (a PostgreSQL partition), the earliest event time among its records: the search
    reads a partition after the instant asked only if it holds records about that instant (late ones)."""

    __tablename__ = "connlog_day_bound"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    min_event_time: Mapped[float] = mapped_column(Float)


class StateRow(Base):
    __tablename__ = "connlog_state"

    stream: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[bytes] = mapped_column(LargeBinary)
    head_day: Mapped[dt.date | None] = mapped_column(Date)
    sealed_through: Mapped[dt.date | None] = mapped_column(Date)


class PurgeRow(Base):
    __tablename__ = "connlog_purge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(16))
    before_day: Mapped[dt.date] = mapped_column(Date)
    rows: Mapped[int] = mapped_column(BigInteger)
    anchor_seq: Mapped[int | None] = mapped_column(BigInteger)
    anchor_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    dropped_partitions: Mapped[int] = mapped_column(Integer)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic filter: daily partitions are created at run time, not by migrations."""
    if type_ == "table" and name is not None and RECORD_PARTITION.match(name):
        return False
    return True
