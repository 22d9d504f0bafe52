#!/usr/bin/env python3
"""Scrape time and body size of `thdmon serve` for the whole sample département, per the scrape contract.

The full lab (every sample device, free port) -> `thdmon serve` of the whole département (1/1) ->
Debian's prometheus with the shipped `exporters/prometheus.yml` as is (bulk 60 s / 45 s, liveness 15 s / 10 s) and
`--enable-feature=extra-scrape-metrics`. The page does not depend on the intervals, the load on the lab
does: both classes poll every --interval s (600: 5 polls/s, what two snmpsim processes serve on a busy
2-core machine). Once every device has been polled in both classes it waits for --scrapes scrapes and
prints Prometheus's scrape_duration_seconds (max over the scrapes), samples, body size, and a direct
fetch (raw and gzip bytes and seconds, lines); then the share of the page of each of N shards
(--shards, by the devices `thdmon serve --shard K/N` would poll), from the same page.

Starts the full lab: run it under the lab lock.
  flock /tmp/thdmon-lab.lock .venv/bin/python benchmarks/scrape_size.py [--processes 2] [--interval 600]
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from inventory.shard import devices_of_shard, parse  # noqa: E402
from lab.sample import generate  # noqa: E402
from lab.subset import sample_inventory, sample_subset, start_serve, stop  # noqa: E402
from tests.peers import free_tcp_port, prometheus_query, until  # noqa: E402
from thdmon.cli import main as thdmon  # noqa: E402


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
    parser.add_argument("--interval", type=int, default=600, help="fast and slow interval of serve (s)")
    parser.add_argument("--shards", type=int, default=2, help="split the page as N shards would")
    parser.add_argument("--scrapes", type=int, default=3, help="Prometheus scrapes to wait for once full")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="thdmon-scrape-"))
    inv = sample_inventory()
    recordings = generate.DATA_DIR / "lab-recordings.yaml"
    replayed = {d["hostname"] for d in (yaml.safe_load(recordings.read_text()) or {}).get("devices", [])} \
        if recordings.exists() else set()
    devices = sorted(h for h in inv.devices if h not in replayed and inv.devices[h].enabled)
    procs: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()
    with sample_subset(work, inv, devices, processes=args.processes, timeout=900) as subset:
        print(f"lab up: {len(devices)} devices in {time.monotonic() - started:.0f} s", flush=True)
        serve_port = free_tcp_port()
        try:
            procs.append(start_serve(work, subset, serve_port, {
                "THDMON_COLLECTOR__FAST_INTERVAL": str(args.interval),
                "THDMON_COLLECTOR__SLOW_INTERVAL": str(args.interval), "THDMON_COLLECTOR__PROTOCOLS": "snmp"}))
            prom, prom_port = start_prometheus(work, "whole", [serve_port])
            procs.append(prom)
            full_at = time.monotonic() + args.interval + 30  # every device polled in both classes by then
            until("every device polled", lambda: prometheus_query(
                prom_port, 'sum(thdmon_collector_devices{state="pending"}) == 0'), timeout=args.interval + 600)
            time.sleep(max(0.0, full_at - time.monotonic()))
            print(f"pages full after {time.monotonic() - started:.0f} s; waiting {args.scrapes} scrapes", flush=True)
            time.sleep(60 * args.scrapes)
            # the bulk part's job: the big page (the liveness part's is reported on its own line below)
            inst = f'job="thdmon", instance="127.0.0.1:{serve_port}"'
            live = f'job="thdmon_liveness", instance="127.0.0.1:{serve_port}"'

            def one(expr: str) -> str:
                result = prometheus_query(prom_port, expr)
                return f"{float(result[0]['value'][1]):,.3f}".rstrip("0").rstrip(".") if result else "-"

            raw_bytes, raw_s, body = fetch(serve_port, gzipped=False)
            lines = body.count(b"\n")
            gz_bytes, gz_s, _ = fetch(serve_port, gzipped=True)
            print("\n| collector | devices | Prometheus scrape s (max) | samples | body bytes (Prometheus) | "
                  "fetch raw MB / s | fetch gzip MB / s | lines |")
            print("|---|---|---|---|---|---|---|---|")
            print(f"| 1/1 | {one(f'sum(thdmon_collector_devices{{{inst}}})')} | "
                  f"{one(f'max_over_time(scrape_duration_seconds{{{inst}}}[{args.scrapes + 1}m])')} | "
                  f"{one(f'scrape_samples_scraped{{{inst}}}')} | {one(f'scrape_body_size_bytes{{{inst}}}')} | "
                  f"{raw_bytes / 1e6:.1f} / {raw_s:.2f} | {gz_bytes / 1e6:.1f} / {gz_s:.2f} | "
                  f"{lines:,} |", flush=True)
            print(f"liveness part: Prometheus scrape s (max) "
                  f"{one(f'max_over_time(scrape_duration_seconds{{{live}}}[{args.scrapes + 1}m])')}, "
                  f"samples {one(f'scrape_samples_scraped{{{live}}}')}, "
                  f"body bytes {one(f'scrape_body_size_bytes{{{live}}}')}", flush=True)
            per_device: dict[str, int] = {}
            for family in text_string_to_metric_families(body.decode()):
                for sample in family.samples:
                    if "device" in sample.labels:
                        per_device[sample.labels["device"]] = per_device.get(sample.labels["device"], 0) + 1
            total = sum(per_device.values())
            for k in range(1, args.shards + 1):
                mine = devices_of_shard(inv, parse(f"{k}/{args.shards}"))
                series = sum(n for d, n in per_device.items() if d in mine)
                print(f"shard {k}/{args.shards}: {len([d for d in per_device if d in mine])} devices, {series:,} "
                      f"device series ({series / total:.0%} of the page)", flush=True)
        finally:
            stop(*procs)
    print(f"\nwork directory (logs): {work}")


if __name__ == "__main__":
    main()
