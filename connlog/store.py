"""The connection-log database: open by URL, migrate, append spooled records exactly once.

SQLite (WAL) by default, PostgreSQL in production. `Store` implements `RecordSink`: `append` commits
the new records, their chain hashes and the stream head (last seq, last hash) in ONE transaction, so a
replayed batch is ignored and nothing is stored twice. SQLite runs with `synchronous=NORMAL`: a power
loss may drop the last commits, which the spool then replays from `last_seq()`; nothing is lost.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import typing
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from connlog import files
from connlog.chain import GENESIS, SealMessage, chain_hash
from connlog.errors import ConnlogError
from connlog.interfaces import SpooledRecord
from connlog.models import DayBoundRow, IdentityRow, JournalRow, PurgeRow, RecordRow, SealRow, StateRow
from connlog.record import Kind, Record

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
RECORDS = "records"
JOURNAL = "journal"
STREAMS = (RECORDS, JOURNAL)

_HINTS = typing.get_type_hints(Record)
FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Record))
FLOAT_FIELDS = frozenset(n for n in FIELDS if float in typing.get_args(_HINTS[n]) or _HINTS[n] is float)
INT_FIELDS = frozenset(n for n in FIELDS if int in typing.get_args(_HINTS[n]))
TECHNICAL_FIELDS = tuple(n for n in FIELDS if n != "user_name")
_ROW_FIELDS = tuple(n for n in TECHNICAL_FIELDS if n != "kind")
# Column names are constants from the model; values always travel as bind parameters.
_INSERT_RECORD = (f"INSERT INTO connlog_record (seq, day, kind, {', '.join(_ROW_FIELDS)}, prev_hash, chain_hash) "  # noqa: S608
                  f"VALUES ({', '.join(['?'] * (len(_ROW_FIELDS) + 5))})")
_INSERT_IDENTITY = "INSERT INTO connlog_identity (seq, day, user_name) VALUES (?, ?, ?)"


def utc_day(epoch: float) -> dt.date:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).date()


def normalise(record: Record) -> Record:
    """The record exactly as the database gives it back (floats as floats): what the chain covers."""
    changes: dict[str, object] = {}
    for name in FLOAT_FIELDS:
        value = getattr(record, name)
        if value is not None and type(value) is not float:
            changes[name] = float(value)
    for name in INT_FIELDS:
        value = getattr(record, name)
        if value is not None and type(value) is not int:
            changes[name] = int(value)
    if type(record.kind) is not Kind:
        changes["kind"] = Kind(record.kind)
    return dataclasses.replace(record, **changes) if changes else record


def canonical_json(record: Record) -> str:
    """What the hash chain covers: the record's canonical JSON (one implementation, in connlog.record)."""
    return record.to_json()


def record_from_row(row: typing.Any, user_name: str | None) -> Record:
    values = {n: getattr(row, n) for n in TECHNICAL_FIELDS}
    values["kind"] = Kind(values["kind"])
    return Record(user_name=user_name, **values)


def journal_payload(row: typing.Any) -> str:
    """Canonical JSON of a journal entry: what its chain hash covers."""
    entry = {"at": row.at, "operator": row.operator, "action": row.action, "requisition": row.requisition,
             "criteria": json.loads(row.criteria), "result_count": row.result_count}
    return json.dumps(entry, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class StoredRecord:
    seq: int
    day: dt.date
    record: Record
    prev_hash: bytes
    chain_hash: bytes


@dataclass(frozen=True, slots=True)
class ChainRow:
    """One link of a stream's chain, as stored: what seal and verify work on."""

    seq: int
    day: dt.date
    prev_hash: bytes
    chain_hash: bytes
    payload: str


@dataclass(slots=True)
class StreamState:
    last_seq: int
    last_hash: bytes
    head_day: dt.date | None
    sealed_through: dt.date | None

    def day_for(self, wanted: dt.date) -> dt.date:
        # Days never go back along seq and never reopen a sealed day: a late record joins the open day.
        floor = [d for d in (self.head_day, self.sealed_through and self.sealed_through + dt.timedelta(1)) if d]
        return max([wanted, *floor])


class Store:
    """A migrated connlog database. Use `Store.open(url)`; close() when done."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_postgresql = engine.dialect.name == "postgresql"
        self._partitions: set[dt.date] = set()

    # -- opening -------------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                _private_sqlite(Path(path))
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise ConnlogError(f"connlog database URL is not usable: {exc}") from None
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
        store = cls(engine)
        try:
            if migrate:
                store.upgrade()
        except SQLAlchemyError as exc:
            engine.dispose()
            raise ConnlogError(f"cannot open the connlog database ({engine.url.render_as_string()}): "
                               f"{exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}") from None
        return store

    def upgrade(self) -> None:
        from alembic import command
        from alembic.config import Config

        with self.write() as conn:
            if self.is_postgresql:  # two processes opening a fresh database must not both create it
                conn.execute(text("SELECT pg_advisory_xact_lock(7244105)"))
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock at BEGIN (no upgrade deadlocks)."""
        with self.engine.connect() as conn:
            conn.execution_options(connlog_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- stream heads --------------------------------------------------------------------------------
    def state(self, conn: Connection, stream: str, *, lock: bool = False) -> StreamState:
        query = select(StateRow.__table__).where(StateRow.stream == stream)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).first()
        if row is None:
            conn.execute(insert(StateRow).values(stream=stream, last_seq=0, last_hash=GENESIS))
            return StreamState(0, GENESIS, None, None)
        return StreamState(row.last_seq, row.last_hash, row.head_day, row.sealed_through)

    def save_state(self, conn: Connection, stream: str, st: StreamState) -> None:
        conn.execute(update(StateRow).where(StateRow.stream == stream).values(
            last_seq=st.last_seq, last_hash=st.last_hash, head_day=st.head_day, sealed_through=st.sealed_through))

    # -- RecordSink ----------------------------------------------------------------------------------
    def last_seq(self) -> int:
        with self.read() as conn:
            value = conn.execute(select(StateRow.last_seq).where(StateRow.stream == RECORDS)).scalar()
        return int(value or 0)

    def append(self, batch: Sequence[SpooledRecord]) -> int:
        if not batch:
            return 0
        with self.write() as conn:
            st = self.state(conn, RECORDS, lock=True)
            rows: list[tuple[object, ...]] = []
            identities: list[tuple[object, ...]] = []
            days: set[dt.date] = set()
            earliest: dict[dt.date, float] = {}
            as_day = dt.date.isoformat if self.engine.dialect.name == "sqlite" else (lambda d: d)
            for seq, record in sorted(batch, key=lambda item: item[0]):
                if seq <= st.last_seq:
                    continue  # a replay after a crash between commit and acknowledgement
                record = normalise(record)
                day = st.day_for(utc_day(record.received_at))
                days.add(day)
                earliest[day] = min(earliest.get(day, record.event_time), record.event_time)
                digest = chain_hash(st.last_hash, canonical_json(record), seq)
                rows.append((seq, as_day(day), record.kind.value, *(getattr(record, n) for n in _ROW_FIELDS),
                             st.last_hash, digest))
                if record.user_name is not None:
                    identities.append((seq, as_day(day), record.user_name))
                st.last_seq, st.last_hash, st.head_day = seq, digest, day
            if not rows:
                return 0
            if self.is_postgresql:
                self.ensure_partitions(conn, days)
                self._lower_day_bounds(conn, earliest)
            # Straight DBAPI executemany: Core's per-row type processing cost a third of the time.
            conn.exec_driver_sql(self._sql(_INSERT_RECORD), rows)  # type: ignore[arg-type]
            if identities:
                conn.exec_driver_sql(self._sql(_INSERT_IDENTITY), identities)  # type: ignore[arg-type]
            self.save_state(conn, RECORDS, st)
        return len(rows)

    def _sql(self, statement: str) -> str:
        return statement if self.engine.dialect.paramstyle == "qmark" else statement.replace("?", "%s")

    # -- PostgreSQL partitions -----------------------------------------------------------------------
    def ensure_partitions(self, conn: Connection, days: Iterable[dt.date]) -> None:
        for day in sorted(set(days) - self._partitions):
            # DDL takes no bind parameters; the name and bounds come from a date object, never from input.
            name = partition_name(day)
            upper = day + dt.timedelta(days=1)
            conn.exec_driver_sql(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF connlog_record "
                f"FOR VALUES FROM ('{day.isoformat()}') TO ('{upper.isoformat()}')")
            self._partitions.add(day)

    def _lower_day_bounds(self, conn: Connection, earliest: dict[dt.date, float]) -> None:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = pg_insert(DayBoundRow).values([{"day": d, "min_event_time": t} for d, t in earliest.items()])
        conn.execute(statement.on_conflict_do_update(index_elements=[DayBoundRow.day], set_={
            "min_event_time": func.least(DayBoundRow.min_event_time, statement.excluded.min_event_time)}))

    def late_days(self, conn: Connection, after: dt.date, at: float) -> list[dt.date]:
        """Days of arrival after `after` that hold records about instants up to `at` (PostgreSQL)."""
        return list(conn.execute(select(DayBoundRow.day).where(DayBoundRow.day > after,
                                                               DayBoundRow.min_event_time <= at)).scalars())

    def partitions(self, conn: Connection) -> dict[dt.date, str]:
        rows = conn.execute(text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'connlog_record'")).scalars()
        return {dt.datetime.strptime(n[len("connlog_record_p"):], "%Y%m%d").date(): n for n in rows}

    def forget_partitions(self, days: Iterable[dt.date]) -> None:
        self._partitions.difference_update(days)

    # -- reading -------------------------------------------------------------------------------------
    def records(self, conn: Connection, where: typing.Any, *, limit: int | None = None,
                order_by: typing.Any = None) -> list[StoredRecord]:
        """Records matching a SQLAlchemy condition (seq order by default), with their identity joined."""
        query = (select(RecordRow.__table__, IdentityRow.user_name)
                 .outerjoin(IdentityRow, IdentityRow.seq == RecordRow.seq).where(where)
                 .order_by(RecordRow.seq if order_by is None else order_by))
        if limit is not None:
            query = query.limit(limit)
        return [StoredRecord(r.seq, r.day, record_from_row(r, r.user_name), r.prev_hash, r.chain_hash)
                for r in conn.execute(query)]

    def chain(self, conn: Connection, stream: str, day: dt.date | None = None,
              after_day: dt.date | None = None) -> Iterator[ChainRow]:
        """A stream's links in seq order (one day, or every day after `after_day`), streamed."""
        table = RecordRow if stream == RECORDS else JournalRow
        query = select(table.__table__)
        if stream == RECORDS:
            query = select(RecordRow.__table__, IdentityRow.user_name).outerjoin(
                IdentityRow, IdentityRow.seq == RecordRow.seq)
        if day is not None:
            query = query.where(table.day == day)
        if after_day is not None:
            query = query.where(table.day > after_day)
        # Per statement: Connection.execution_options() would leave the connection streaming for good.
        result = conn.execute(query.order_by(table.seq), execution_options={"yield_per": 20_000})
        for row in result:
            payload = canonical_json(record_from_row(row, row.user_name)) if stream == RECORDS \
                else journal_payload(row)
            yield ChainRow(row.seq, row.day, row.prev_hash, row.chain_hash, payload)

    def link_before(self, conn: Connection, stream: str, day: dt.date) -> bytes:
        """The chain hash a stream's `day` must start from: the last link before it (row, else seal)."""
        table = RecordRow if stream == RECORDS else JournalRow
        # Two index seeks (previous day, then its last seq), never a scan of the days before.
        previous = conn.execute(select(func.max(table.day)).where(table.day < day)).scalar()
        if previous is not None:
            last = conn.execute(select(table.chain_hash).where(table.day == previous).order_by(table.seq.desc())
                                .limit(1)).scalar()
            return bytes(last)
        seal = conn.execute(select(SealRow.message).where(SealRow.stream == stream, SealRow.day < day)
                            .order_by(SealRow.day.desc()).limit(1)).scalar()
        return SealMessage.from_json(seal).last_hash if seal else GENESIS

    def days(self, conn: Connection, stream: str) -> list[dt.date]:
        """Days holding rows, by skip-scan on the day index: one seek per day, not a pass over every row."""
        table = RecordRow if stream == RECORDS else JournalRow
        found: list[dt.date] = []
        day = conn.execute(select(func.min(table.day))).scalar()
        while day is not None:
            found.append(day)
            day = conn.execute(select(func.min(table.day)).where(table.day > day)).scalar()
        return found

    def seals(self, conn: Connection, stream: str) -> list[typing.Any]:
        """The stream's seal rows (stream, day, sealed_at, message, signature) by day."""
        return list(conn.execute(select(SealRow.__table__).where(SealRow.stream == stream).order_by(SealRow.day)))

    # -- health (exporters: thdmon_connlog_*) ---------------------------------------------------------
    def database_size_bytes(self) -> int:
        with self.read() as conn:
            if self.is_postgresql:
                return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
            size = conn.exec_driver_sql("PRAGMA page_size").scalar() or 0
        wal = Path(f"{self.engine.url.database}-wal")
        return int(pages) * int(size) + (wal.stat().st_size if wal.is_file() else 0)

    def last_seal_time(self) -> float | None:
        with self.read() as conn:
            return conn.execute(select(func.max(SealRow.sealed_at))).scalar()

    def last_purge_time(self) -> float | None:
        with self.read() as conn:
            return conn.execute(select(func.max(PurgeRow.at))).scalar()


def health(store: Store) -> dict[str, float]:
    """Gauge values by catalogue name; an absent time (never sealed, never purged) is left out."""
    values: dict[str, float] = {"thdmon_connlog_database_size_bytes": float(store.database_size_bytes())}
    for name, value in (("thdmon_connlog_last_seal_timestamp_seconds", store.last_seal_time()),
                        ("thdmon_connlog_last_purge_timestamp_seconds", store.last_purge_time())):
        if value is not None:
            values[name] = float(value)
    return values


def _private_sqlite(path: Path) -> None:
    """The database file 0600 before SQLite opens it: SQLite gives its -wal and -shm the same mode."""
    try:
        files.private_dir(path.parent, tighten=False)
        files.private_file(path)
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            if extra.exists():
                os.chmod(extra, files.FILE_MODE)
    except OSError as exc:
        raise ConnlogError(f"connlog database {path}: {exc.strerror}") from None


def partition_name(day: dt.date) -> str:
    return f"connlog_record_p{day:%Y%m%d}"


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: typing.Any, _record: object) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below issues BEGIN itself
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "temp_store=MEMORY",
                       "cache_size=-65536"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("connlog_write") else "BEGIN")
