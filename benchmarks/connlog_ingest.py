"""Sustained connlog ingest throughput: spool appends, the real listeners, spool -> SQLite.

    .venv/bin/python benchmarks/connlog_ingest.py [--runs N] [--records N]

Every figure is records per second, the median of N runs, each on a fresh spool in a temporary
directory (on the same disk as /tmp). The reference, measured in the same run, is the bare durable
write: one `write` + `fsync` per line, no encoding. Ratios > 1 mean faster than that reference.
- spool.append, 1 thread: one fsync per record (what a lone RADIUS packet costs);
- spool.append, 16 threads: group commit (concurrent appends share fsyncs);
- spool.append_many(500): a syslog batch, one fsync;
- RADIUS end to end: lab.wifi's NAS (UDP, up to 200 in flight) -> server -> spool, every packet answered;
- syslog end to end: octet-counted TCP frames -> parse -> spool;
- feeder: spool -> connlog.store (SQLite, WAL), batches of 5,000.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connlog.feeder import Feeder
from connlog.ingest.sources import from_mapping
from connlog.record import Kind, Record
from connlog.service import IngestService, ServiceConfig
from connlog.spool import DiskSpool, encode_line
from lab.wifi.generate import Park, plan_day, play


def rec(i: int) -> Record:
    return Record(kind=Kind.radius, source="ctrl-parc-sausset", received_at=1781438400.0 + i,
                  event_time=1781438400.0 + i, site="parc-sausset", session_id=f"{i:016X}", status="Interim-Update",
                  client_mac="02:11:22:33:44:55", private_ip="10.20.1.34", ap="00:1a:1e:40:01:02",
                  ssid="Parc-Sausset-WiFi", start=1781438000.0, duration=400.0 + i, input_octets=123456 * i,
                  output_octets=65432 * i)


def reference(n: int, d: Path) -> float:
    lines = [encode_line(i, rec(i)) for i in range(1, n + 1)]
    fd = os.open(d / "ref", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    t = time.perf_counter()
    for line in lines:
        os.write(fd, line)
        os.fsync(fd)
    elapsed = time.perf_counter() - t
    os.close(fd)
    return n / elapsed


def append_single(n: int, d: Path) -> float:
    with DiskSpool(d) as spool:
        t = time.perf_counter()
        for i in range(1, n + 1):
            spool.append(rec(i))
        return n / (time.perf_counter() - t)


def append_threads(n: int, d: Path, threads: int = 16) -> float:
    with DiskSpool(d) as spool:
        per = n // threads

        def work(base: int) -> None:
            for i in range(per):
                spool.append(rec(base + i))

        ts = [threading.Thread(target=work, args=(k * per,)) for k in range(threads)]
        t = time.perf_counter()
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        return per * threads / (time.perf_counter() - t)


def append_batches(n: int, d: Path, batch: int = 500) -> float:
    records = [rec(i) for i in range(1, n + 1)]
    with DiskSpool(d) as spool:
        t = time.perf_counter()
        for k in range(0, n, batch):
            spool.append_many(records[k:k + batch])
        return n / (time.perf_counter() - t)


def _service(d: Path) -> tuple[IngestService, Park]:
    park = Park()
    sources = from_mapping({"127.0.0.1": "bench"})
    return IngestService(ServiceConfig(spool_dir=d / "spool", radius=("127.0.0.1", 0), syslog=("127.0.0.1", 0),
                                       quarantine=d / "q.log"), sources), park


def radius_e2e(n: int, d: Path) -> float:
    async def go() -> float:
        svc, park = _service(d)
        await svc.start()
        events, truth = plan_day(dt.date(2026, 6, 14), max(1, n // 6), seed=1, park=park)
        events = [e for e in events if e.channel == "radius"][:n]
        t = time.perf_counter()
        await play(events, truth, park, b"bench", svc.radius_address, svc.syslog_address)
        elapsed = time.perf_counter() - t
        assert svc.spool is not None and svc.spool.last_seq == len(events) == truth.radius_answered
        await svc.stop()
        return len(events) / elapsed

    return asyncio.run(go())


def syslog_e2e(n: int, d: Path) -> float:
    async def go() -> float:
        svc, _ = _service(d)
        await svc.start()
        assert svc.syslog_address is not None and svc.spool is not None
        frames = []
        for i in range(n):
            msg = (f"<134>1 2026-06-14T12:00:00.000Z fw RT_NAT - RT_SRC_NAT_PBA_ALLOC - RT_SRC_NAT_PBA_ALLOC: "
                   f"Subscriber 10.20.{i // 250 % 250}.{i % 250} used/maximum [1/8] blocks, allocates port block "
                   f"[{1024 + 64 * (i % 1000)}-{1087 + 64 * (i % 1000)}] from 203.0.113.10 in source pool p lsys_id: 0"
                   ).encode()
            frames.append(b"%d %s" % (len(msg), msg))
        payload = b"".join(frames)
        t = time.perf_counter()
        _, writer = await asyncio.open_connection(*svc.syslog_address)
        writer.write(payload)
        await writer.drain()
        while svc.spool.last_seq < n:
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - t
        writer.close()
        await svc.stop()
        return n / elapsed

    return asyncio.run(go())


def feeder_sqlite(n: int, d: Path) -> float:
    from connlog.store import Store

    records = [rec(i) for i in range(1, n + 1)]
    with DiskSpool(d / "spool") as spool:
        for k in range(0, n, 1000):
            spool.append_many(records[k:k + 1000])
        store = Store.open(f"sqlite:///{d / 'connlog.sqlite'}")
        try:
            t = time.perf_counter()
            Feeder(spool, store, batch_size=5000).drain()
            elapsed = time.perf_counter() - t
            assert store.last_seq() == n
        finally:
            store.close()
    return n / elapsed


def once(fn: Callable[[int, Path], float], n: int) -> float:
    with tempfile.TemporaryDirectory(prefix="thdmon-bench-", dir="/tmp") as tmp:
        return fn(n, Path(tmp))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--records", type=int, default=3000)
    args = ap.parse_args()
    n, runs = args.records, args.runs
    measures: list[tuple[str, Callable[[int, Path], float], int]] = [
        ("reference: write+fsync per line", reference, n),
        ("spool.append, 1 thread", append_single, n),
        ("spool.append, 16 threads (group commit)", append_threads, n),
        ("spool.append_many(500)", append_batches, n * 10),
        ("RADIUS UDP end to end (answered)", radius_e2e, n),
        ("syslog TCP end to end (octet counting)", syslog_e2e, n * 5),
        ("feeder: spool -> SQLite store", feeder_sqlite, n * 10),
    ]
    # Rounds interleave the measures, so disk contention from other processes hits them alike.
    results: dict[str, list[float]] = {name: [] for name, _, _ in measures}
    for _ in range(runs):
        for name, fn, size in measures:
            results[name].append(once(fn, size))
    ref = statistics.median(results[measures[0][0]])
    print(f"{'measure':42} {'records/s':>12} {'x reference':>12}   (median of {runs} interleaved rounds, {n} records)")
    for name, _, _ in measures:
        value = statistics.median(results[name])
        print(f"{name:42} {value:12,.0f} {value / ref:12.2f}")


if __name__ == "__main__":
    main()
