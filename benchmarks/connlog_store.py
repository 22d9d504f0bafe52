"""Benchmark of the connlog store (a script, not a test). Prints medians and ratios.

1. Sustained insert rate (one process, one core) through `Store.append` (canonical JSON, hash chain,
   identity split, one transaction per batch), against the reference of the same rows inserted raw
   with the driver's executemany (no hashing, no identity) in the same run: the ratio is the price of
   integrity.
2. Search latency "who had public X, port Y, at T" on a large store (default 10 million records,
   built with `Store.append` in 20,000-record transactions), median and p95 of random requisitions
   whose answer is known; the ratio is against a lookup of one record by primary key.
3. Seal time of one day and purge time of one day (median of 3 consecutive days).

Usage: .venv/bin/python benchmarks/connlog_store.py [--records 10000000] [--pg-records 2000000]
       [--skip-pg] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from connlog import keys, retention, seal  # noqa: E402
from connlog.models import RecordRow  # noqa: E402
from connlog.record import Kind, Record  # noqa: E402
from connlog.search import Criteria, run  # noqa: E402
from connlog.store import Store  # noqa: E402

DAY0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()
PUBLIC_IPS = [f"198.51.100.{i}" for i in range(1, 17)]
BLOCK = 64
BLOCKS = [(ip, start) for ip in PUBLIC_IPS for start in range(1024, 65536 - BLOCK + 1, BLOCK)]
VISIT_RECORDS = 5


def visits(n_records: int, days: int, seed: int = 1) -> Iterator[tuple[list[Record], tuple]]:
    """Visits (DHCP lease, RADIUS Start/Stop, NAT allocate/release) spread evenly over `days` days.

    Blocks are handed out round-robin, so each block is reused every len(BLOCKS) visits (~minutes)."""
    rng = random.Random(seed)
    n_visits = n_records // VISIT_RECORDS
    step = days * 86400 / n_visits
    for n in range(n_visits):
        t = DAY0 + n * step
        minutes = rng.uniform(2, 9)
        end = t + minutes * 60
        ip, block = BLOCKS[n % len(BLOCKS)]
        mac = f"02:{n >> 24 & 255:02x}:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}:01"
        private = f"10.{n >> 16 & 63}.{n >> 8 & 255}.{n & 255}"
        site = f"PARC-{n % 40:02d}"
        user = f"user{n % 5000}@portal" if n % 3 == 0 else None
        sid = f"s{n:010d}"
        records = [
            Record(kind=Kind.dhcp, source="dhcp1", received_at=t, event_time=t, status="lease", site=site,
                   client_mac=mac, private_ip=private, lease_seconds=int(minutes * 60)),
            Record(kind=Kind.radius, source="nas1", received_at=t + 0.002, event_time=t, status="Start", site=site,
                   session_id=sid, client_mac=mac, private_ip=private, user_name=user, ap=f"ap-{n % 400}",
                   ssid="SSD-WiFi", start=t),
            Record(kind=Kind.nat, source="fw1", received_at=t + 0.003, event_time=t, status="allocate", site=site,
                   private_ip=private, public_ip=ip, public_port_start=block, public_port_end=block + BLOCK - 1),
            Record(kind=Kind.radius, source="nas1", received_at=end, event_time=end, status="Stop", site=site,
                   session_id=sid, client_mac=mac, private_ip=private, user_name=user, ap=f"ap-{n % 400}",
                   ssid="SSD-WiFi", start=t, stop=end, duration=end - t, input_octets=1000, output_octets=2000),
            Record(kind=Kind.nat, source="fw1", received_at=end + 0.001, event_time=end, status="release",
                   site=site, private_ip=private, public_ip=ip, public_port_start=block,
                   public_port_end=block + BLOCK - 1),
        ]
        yield records, (ip, block, t, end, mac, private)


def spooled(n_records: int, days: int) -> Iterator[tuple[list[tuple[int, Record]], list[tuple]]]:
    """Batches in arrival order with their seq; a visit's Stop arrives minutes later, so sort a window."""
    seq = 0
    pending: list[Record] = []
    truths: list[tuple] = []
    for records, truth in visits(n_records, days):
        pending.extend(records)
        truths.append(truth)
        if len(pending) >= 20_000:
            pending.sort(key=lambda r: r.received_at)
            cut = len(pending) - 500  # keep the tail: later visits' records may arrive before it
            batch, pending = pending[:cut], pending[cut:]
            yield [(seq + i + 1, r) for i, r in enumerate(batch)], truths
            seq += len(batch)
            truths = []
    pending.sort(key=lambda r: r.received_at)
    yield [(seq + i + 1, r) for i, r in enumerate(pending)], truths


def insert_rate(url_factory, n: int) -> tuple[float, float, float]:
    """(records/s wall, records/s CPU) through Store.append, and raw driver rate for the same rows."""
    batches = [b for b, _ in spooled(n, 1)]
    store = Store.open(url_factory())
    t0, c0 = time.perf_counter(), time.process_time()
    for batch in batches:
        for i in range(0, len(batch), 5000):
            store.append(batch[i:i + 5000])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    store.close()
    raw = Store.open(url_factory())
    rows = [(s, "2026-01-05", r.kind.value, r.source, r.received_at, r.event_time, r.site, r.session_id, r.status,
             r.client_mac, r.private_ip, r.private_port, r.public_ip, r.public_port_start, r.public_port_end, r.ap,
             r.ssid, r.start, r.stop, r.duration, r.input_octets, r.output_octets, r.terminate_cause,
             r.lease_seconds, b"\0" * 32, b"\1" * 32) for batch in batches for s, r in batch]
    sql = raw._sql("INSERT INTO connlog_record (seq, day, kind, source, received_at, event_time, site, session_id, "
                   "status, client_mac, private_ip, private_port, public_ip, public_port_start, public_port_end, ap, "
                   "ssid, start, stop, duration, input_octets, output_octets, terminate_cause, lease_seconds, "
                   "prev_hash, chain_hash) VALUES (" + ", ".join(["?"] * 26) + ")")
    if raw.is_postgresql:
        with raw.write() as conn:
            raw.ensure_partitions(conn, [dt.date(2026, 1, 5)])
    t0 = time.perf_counter()
    for i in range(0, len(rows), 5000):
        with raw.write() as conn:
            conn.exec_driver_sql(sql, rows[i:i + 5000])
    raw_wall = time.perf_counter() - t0
    raw.close()
    return n / wall, n / cpu, n / raw_wall


def build(store: Store, n: int, days: int) -> list[tuple]:
    sample: list[tuple] = []
    rng = random.Random(2)
    t0 = time.perf_counter()
    done = 0
    for batch, truths in spooled(n, days):
        store.append(batch)
        done += len(batch)
        sample.extend(t for t in truths if rng.random() < 400 / (n / VISIT_RECORDS))
        if done % 1_000_000 < len(batch):
            print(f"  built {done:,} records, {done / (time.perf_counter() - t0):,.0f}/s", flush=True)
    print(f"  built {done:,} records in {time.perf_counter() - t0:.0f} s", flush=True)
    return sample


def search_latency(store: Store, sample: list[tuple]) -> tuple[float, float, float, int]:
    rng = random.Random(3)
    times, right = [], 0
    for ip, block, t, end, mac, _private in sample[:200]:
        at = rng.uniform(t + 1, end - 1)
        t0 = time.perf_counter()
        result = run(store, Criteria(public_ip=ip, port=block + rng.randrange(BLOCK), at=at))
        times.append(time.perf_counter() - t0)
        right += [a.client_mac for a in result.attributions] == [mac]
    ref = []
    with store.read() as conn:
        for ip, *_ in sample[:200]:
            seq = rng.randrange(1, 1000)
            t0 = time.perf_counter()
            conn.execute(select(RecordRow.seq).where(RecordRow.seq == seq, RecordRow.public_ip != ip)).all()
            ref.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95)], statistics.median(ref), right


def seal_and_purge(store: Store, key, days: int) -> tuple[float, float, int]:
    last_day = DAY0 + days * 86400
    t0 = time.perf_counter()
    sealed = seal.seal(store, key, now=last_day + 86400)
    seal_per_day = (time.perf_counter() - t0) / max(1, sum(1 for s in sealed if s.stream == "records"))
    purge_times, rows = [], 0
    for d in range(1, 4):
        now = DAY0 + 365 * 86400 + d * 86400
        seal.seal(store, key, now=now)  # the quiet days until then: not part of the purge's cost
        t0 = time.perf_counter()
        report = retention.purge(store, key, technical_days=365, identity_days=5 * 365, now=now, operator="bench")
        purge_times.append(time.perf_counter() - t0)
        rows = report.technical_rows
    return seal_per_day, statistics.median(purge_times), rows


def scenario(name: str, url: str, n: int, days: int, key) -> None:
    print(f"\n== {name}: building {n:,} records over {days} days", flush=True)
    store = Store.open(url)
    sample = build(store, n, days)
    size = store.database_size_bytes()
    med, p95, ref, right = search_latency(store, sample)
    print(f"{name}: database {size / 2**30:.2f} GiB ({size / n:.0f} B/record)")
    print(f"{name}: search public ip+port+instant at {n:,} records: median {med * 1000:.2f} ms, p95 "
          f"{p95 * 1000:.2f} ms ({right}/{min(200, len(sample))} answers right); reference lookup by key "
          f"{ref * 1000:.3f} ms; ratio {med / ref:.0f}x", flush=True)
    seal_day, purge_day, rows = seal_and_purge(store, key, days)
    print(f"{name}: seal of one day ({n // days:,} records): {seal_day:.2f} s; purge of one day "
          f"({rows:,} records): median {purge_day:.2f} s", flush=True)
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--pg-records", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--insert-records", type=int, default=100_000)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="work directory to keep (default: a temp dir)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="thdmon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    key = keys.load_or_create(work / "seal.key")
    print(f"work dir {work}; sqlite {sqlite3.sqlite_version}")
    counter = iter(range(10**6))

    def sqlite_url() -> str:
        return f"sqlite:///{work / f'insert-{next(counter)}.sqlite'}"

    rates = [insert_rate(sqlite_url, args.insert_records) for _ in range(3)]
    wall, cpu, raw = (statistics.median(r[i] for r in rates) for i in range(3))
    print(f"SQLite insert: median {wall:,.0f} records/s wall, {cpu:,.0f} records/s per CPU-second "
          f"(raw executemany without integrity: {raw:,.0f}/s; ratio {wall / raw:.2f})", flush=True)

    with ExitStack() as stack:  # the server is stopped whatever fails
        server = None
        if not args.skip_pg:
            from lab.postgres import throwaway_postgresql

            server = stack.enter_context(throwaway_postgresql())
            rates = [insert_rate(server.new_database, args.insert_records) for _ in range(3)]
            wall, cpu, raw = (statistics.median(r[i] for r in rates) for i in range(3))
            print(f"PostgreSQL insert: median {wall:,.0f} records/s wall, {cpu:,.0f} records/s per client "
                  f"CPU-second (raw executemany: {raw:,.0f}/s; ratio {wall / raw:.2f})", flush=True)
        if args.records:
            scenario("SQLite", f"sqlite:///{work / 'big.sqlite'}", args.records, args.days, key)
        if server is not None and args.pg_records:
            scenario("PostgreSQL", server.new_database(), args.pg_records, args.days, key)


if __name__ == "__main__":
    main()
