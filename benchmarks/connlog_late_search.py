"""Benchmark: what answering late data costs the requisition search on PostgreSQL (a script, not a test).

The search reads every daily partition from the day of T - lookback - 1 up to today (no upper bound,
so records that arrived days after their event are found); before issue 10 it read only the partitions
from T - lookback to T + 1 (day of arrival), missing late records. Both are timed here on the same store
and the same requisitions (on-time data, so both give the same answers): the ratio is the price of
correctness for late data, for requisitions about days far back (many partitions after T) and recent
ones. The price of checking the chain of every record returned (connlog.integrity) is measured the same way.

Usage: .venv/bin/python benchmarks/connlog_late_search.py [--records 365000] [--days 365]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connlog import integrity, search  # noqa: E402
from connlog.models import RecordRow  # noqa: E402
from connlog.search import Criteria, run  # noqa: E402
from connlog.store import Store, utc_day  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from connlog_store import DAY0, spooled  # noqa: E402


def _bounded_window(store: Store, _conn: object, at: float, lookback_days: int, _tolerance: float):  # before issue 10
    if not store.is_postgresql:
        return True
    day = utc_day(at)
    return RecordRow.day.between(day - dt.timedelta(days=lookback_days), day + dt.timedelta(days=1))


def _timed(store: Store, cases: list[tuple], rounds: int = 3) -> tuple[float, int]:
    times, right = [], 0
    for _ in range(rounds):
        for ip, block, at, mac in cases:
            t0 = time.perf_counter()
            result = run(store, Criteria(public_ip=ip, port=block + 3, at=at))
            times.append(time.perf_counter() - t0)
            right += [a.client_mac for a in result.attributions] == [mac]
    return statistics.median(times), right // rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=365_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requisitions", type=int, default=100)
    args = parser.parse_args()
    from lab.postgres import throwaway_postgresql

    with throwaway_postgresql() as server:
        store = Store.open(server.new_database())
        truths: list[tuple] = []
        t0 = time.perf_counter()
        for batch, batch_truths in spooled(args.records, args.days):
            store.append(batch)
            truths.extend(batch_truths)
        print(f"PostgreSQL: {args.records:,} records over {args.days} days ({args.days} partitions) built in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        rng = random.Random(5)
        last = DAY0 + args.days * 86400
        groups = {"old (first 30 days: ~335 partitions after T)": [t for t in truths if t[2] < DAY0 + 30 * 86400],
                  "recent (last 30 days)": [t for t in truths if t[2] > last - 30 * 86400]}
        for name, pool in groups.items():
            cases = [(ip, block, rng.uniform(t + 1, end - 1), mac)
                     for ip, block, t, end, mac, _ in rng.sample(pool, args.requisitions)]
            new, right_new = _timed(store, cases)
            original = search._arrival_days
            search._arrival_days = _bounded_window  # type: ignore[assignment]
            try:
                ref, right_ref = _timed(store, cases)
            finally:
                search._arrival_days = original
            faults = integrity.faults
            integrity.faults = lambda conn, records: {}  # type: ignore[assignment]
            try:
                unchecked, _ = _timed(store, cases)
            finally:
                integrity.faults = faults
            print(f"{name}: median {new * 1000:.2f} ms ({right_new}/{len(cases)} right) vs bounded window "
                  f"{ref * 1000:.2f} ms ({right_ref}/{len(cases)}): ratio {new / ref:.2f}; without the chain "
                  f"check {unchecked * 1000:.2f} ms: ratio {new / unchecked:.2f}", flush=True)
        store.close()


if __name__ == "__main__":
    main()
