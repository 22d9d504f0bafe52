"""Measure lab layouts: `python -m lab.snmp.measure [--processes 1,2,4,8] [--walk-devices 100]`.

For each number of snmpsim processes, on the whole sample département and a free port: cold start
(data generation + indexing), warm restart (cached indexes), a GET of sysUpTime on every v2c device
(first pass opens every data file, second pass is steady state), and an ifXTable walk of N devices with
net-snmp's snmpbulkwalk as the client. Prints one line per layout and ratios against the first layout.
Bounded: every request has a timeout, every run stops its processes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from inventory import load_inventory
from lab.sample import generate
from lab.sample.lab_secrets import LAB_SECRETS
from lab.snmp import probe
from lab.snmp.snmpd import free_udp_port
from lab.supervisor import Lab

COMMUNITY = LAB_SECRETS["lab_snmp_community"]


def _sweep(devices: list[dict], port: int, concurrency: int) -> tuple[float, float, int]:
    def one(d: dict) -> tuple[bool, float]:
        t = time.perf_counter()
        ok = probe.answers(d["address"], port, COMMUNITY, timeout=5.0)
        return ok, time.perf_counter() - t

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, devices))
    wall = time.perf_counter() - t0
    return wall, statistics.median(r[1] for r in results), sum(r[0] for r in results)


def _walk(devices: list[dict], port: int, concurrency: int) -> tuple[float, int]:
    def one(d: dict) -> int:
        out = subprocess.run(["snmpbulkwalk", "-v2c", "-c", COMMUNITY, "-Cr25", "-On", "-t", "10", "-r", "0",
                              f"{d['address']}:{port}", "1.3.6.1.2.1.31.1.1.1"], capture_output=True, text=True,
                             timeout=120).stdout
        return out.count("\n")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        varbinds = sum(pool.map(one, devices))
    return time.perf_counter() - t0, varbinds


def measure(processes: int, walk_devices: int, concurrency: int) -> dict[str, float]:
    inv = load_inventory(generate.DATA_DIR, check_secrets=False)  # the lab resolves its own secrets
    port = free_udp_port()
    with tempfile.TemporaryDirectory(prefix="thdmon-lab-measure-") as tmp:
        lab = Lab(Path(tmp) / "lab")
        t0 = time.perf_counter()
        state = lab.start(inv, generate.DATA_DIR, processes=processes, port=port, timeout=600)
        cold = time.perf_counter() - t0
        lab.stop()
        t0 = time.perf_counter()
        state = lab.start(inv, generate.DATA_DIR, processes=processes, port=port, timeout=600)
        warm = time.perf_counter() - t0
        try:
            devices = [d for d in state["devices"].values() if not d["v3"] and not d["recording"]]
            first = _sweep(devices, port, concurrency)
            steady = _sweep(devices, port, concurrency)
            walk_wall, varbinds = _walk(devices[:walk_devices], port, 8)
        finally:
            lab.stop()
    return {"processes": processes, "devices": len(state["devices"]), "cold_s": cold, "warm_s": warm,
            "first_sweep_s": first[0], "steady_sweep_s": steady[0], "steady_get_median_ms": steady[1] * 1000,
            "answered": steady[2], "walk_varbinds_per_s": varbinds / walk_wall}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2,4,8")
    parser.add_argument("--walk-devices", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    rows = [measure(int(p), args.walk_devices, args.concurrency) for p in args.processes.split(",")]
    ref = rows[0]
    for row in rows:
        print(f"processes={row['processes']} devices={row['devices']} cold={row['cold_s']:.1f}s "
              f"warm={row['warm_s']:.1f}s first_sweep={row['first_sweep_s']:.1f}s "
              f"steady_sweep={row['steady_sweep_s']:.2f}s get_median={row['steady_get_median_ms']:.1f}ms "
              f"answered={row['answered']} walk={row['walk_varbinds_per_s']:.0f} varbinds/s "
              f"(warm x{row['warm_s'] / ref['warm_s']:.2f}, "
              f"steady x{row['steady_sweep_s'] / ref['steady_sweep_s']:.2f}, "
              f"walk x{row['walk_varbinds_per_s'] / ref['walk_varbinds_per_s']:.2f} vs processes={ref['processes']})",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
