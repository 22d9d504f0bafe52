#!/usr/bin/env python3
"""Scrape time and body size of `thdmon serve` for the whole sample département, per the scrape contract.

The full lab (every sample device, free port) -> `thdmon serve` three times at once: the whole
département (1/1) and its two shards (1/2, 2/2) -> two of Debian's prometheus with the shipped
`exporters/prometheus.yml` as is (60 s / 45 s), one scraping 1/1, the other both shards, with
`--enable-feature=extra-scrape-metrics`. Once every device has been polled in both classes (the slow
interval is shortened to --slow: the page then holds what it holds after 300 s), it waits for
--scrapes scrapes and prints, per collector: Prometheus's scrape_duration_seconds (max over the
scrapes), samples, body size, and a direct fetch (raw and gzip bytes and seconds, lines).

Starts the full lab: run it under the lab lock.
  flock /tmp/thdmon-lab.lock .venv/bin/python benchmarks/scrape_size.py [--processes 2] [--slow 120]
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from inventory import load_inventory  # noqa: E402
from lab.sample import generate  # noqa: E402
from lab.snmp.snmpd import free_udp_port  # noqa: E402
from lab.supervisor import lab_running  # noqa: E402
from tests.e2e.conftest import write_serve_inventory  # noqa: E402
from tests.peers import free_tcp_port, prometheus_query, until  # noqa: E402
from thdmon.cli import main as thdmon  # noqa: E402

SHARDS = ("1/1", "1/2", "2/2")


def fetch(port: int, gzipped: bool) -> tuple[int, float, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers={"Accept-Encoding": "gzip"} if gzipped else {})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as r:
        body = r.read()
    return len(body), time.perf_counter() - started, gzip.decompress(body) if gzipped else body


def start_prometheus(work: Path, name: str, collectors: list[int]) -> tuple[subprocess.Popen[bytes], int]:
    targets = work / f"{name}.json"
    args = [a for p in collectors for a in ("--collector", f"127.0.0.1:{p}")]
    assert thdmon(["inventory", "export", "--format", "file_sd", "--group-by", "collector", *args,
                   "-o", str(targets)]) == 0
    config = work / f"{name}.yml"
    config.write_text((ROOT / "exporters" / "prometheus.yml").read_text(encoding="utf-8").replace(
        "/etc/prometheus/thdmon-collectors.json", str(targets)), encoding="utf-8")
    port = free_tcp_port()
    with (work / f"{name}.log").open("wb") as out:
        proc = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work / name}",
                                 f"--web.listen-address=127.0.0.1:{port}", "--enable-feature=extra-scrape-metrics"],
                                stdout=out, stderr=subprocess.STDOUT)
    return proc, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=2, help="lab processes")
    parser.add_argument("--slow", type=int, default=120, help="slow_interval of serve (s)")
    parser.add_argument("--scrapes", type=int, default=3, help="Prometheus scrapes to wait for once full")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="thdmon-scrape-"))
    inv = load_inventory(generate.DATA_DIR, check_secrets=False)
    recordings = generate.DATA_DIR / "lab-recordings.yaml"
    replayed = {d["hostname"] for d in (yaml.safe_load(recordings.read_text()) or {}).get("devices", [])} \
        if recordings.exists() else set()
    devices = sorted(h for h in inv.devices if h not in replayed and inv.devices[h].enabled)
    port = free_udp_port()
    procs: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()
    with lab_running(work / "lab", inv, generate.DATA_DIR, processes=args.processes, port=port,
                     only=set(devices), timeout=900):
        print(f"lab up: {len(devices)} devices in {time.monotonic() - started:.0f} s", flush=True)
        secrets = write_serve_inventory(work / "inventory", inv, devices, port)
        env = {**os.environ, "THDMON_STATE_DIR": str(work / "state"), "PYTHONPATH": str(ROOT),
               "THDMON_COLLECTOR__SLOW_INTERVAL": str(args.slow), "THDMON_COLLECTOR__PROTOCOLS": "snmp"}
        serves: dict[str, int] = {}
        try:
            for shard in SHARDS:
                serves[shard] = free_tcp_port()
                with (work / f"serve-{shard.replace('/', 'of')}.log").open("wb") as out:
                    procs.append(subprocess.Popen(
                        [sys.executable, "-m", "thdmon", "--inventory", str(work / "inventory"), "--secrets",
                         str(secrets), "serve", "--listen", f"127.0.0.1:{serves[shard]}", "--shard", shard,
                         "--traps", "off"], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work))
            whole, whole_port = start_prometheus(work, "whole", [serves["1/1"]])
            halves, halves_port = start_prometheus(work, "shards", [serves["1/2"], serves["2/2"]])
            procs += [whole, halves]
            full_at = time.monotonic() + args.slow + 30  # every device polled in both classes by then
            until("every device polled", lambda: all(
                prometheus_query(p, 'sum(thdmon_collector_devices{state="pending"}) == 0')
                for p in (whole_port, halves_port)), timeout=args.slow + 600)
            time.sleep(max(0.0, full_at - time.monotonic()))
            print(f"pages full after {time.monotonic() - started:.0f} s; waiting {args.scrapes} scrapes", flush=True)
            time.sleep(60 * args.scrapes)
            print("\n| collector | devices | Prometheus scrape s (max) | samples | body bytes (Prometheus) | "
                  "fetch raw MB / s | fetch gzip MB / s | lines |")
            print("|---|---|---|---|---|---|---|---|")
            for shard, prom in (("1/1", whole_port), ("1/2", halves_port), ("2/2", halves_port)):
                inst = f'instance="127.0.0.1:{serves[shard]}"'

                def one(expr: str, prom: int = prom) -> str:
                    result = prometheus_query(prom, expr)
                    return f"{float(result[0]['value'][1]):,.3f}".rstrip("0").rstrip(".") if result else "-"

                raw_bytes, raw_s, body = fetch(serves[shard], gzipped=False)
                gz_bytes, gz_s, _ = fetch(serves[shard], gzipped=True)
                lines = body.count(b"\n")
                print(f"| {shard} | {one(f'sum(thdmon_collector_devices{{{inst}}})')} | "
                      f"{one(f'max_over_time(scrape_duration_seconds{{{inst}}}[{args.scrapes + 1}m])')} | "
                      f"{one(f'scrape_samples_scraped{{{inst}}}')} | {one(f'scrape_body_size_bytes{{{inst}}}')} | "
                      f"{raw_bytes / 1e6:.1f} / {raw_s:.2f} | {gz_bytes / 1e6:.1f} / {gz_s:.2f} | {lines:,} |",
                      flush=True)
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
    print(f"\nwork directory (logs): {work}")


if __name__ == "__main__":
    main()
