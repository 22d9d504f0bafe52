"""/metrics exposition at scale: the fast path against prometheus_client's generate_latest, same data, same run.

    .venv/bin/python benchmarks/exposition.py [--devices 1000] [--ports 48] [--runs 5]

Prints medians of: the scrape as Prometheus asks for it (gzip: the kept gzip members joined, what
/metrics does in steady state) and as plain text (each member unpacked), the per-poll render of every
device with every counter changed (warm label prefixes: the cost moved off the scrape path, paid in the
poll loop; unchanged metrics are not rendered again), a cold render (first poll, no cached prefixes),
prometheus_client's generate_latest of a custom collector holding the same samples, with the gzip
level-1 compression a scrape asking for gzip would add to it, and the store + exposition memory per
1,000 devices.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prometheus_client import CollectorRegistry, generate_latest  # noqa: E402

from collector.model import DeviceState, PollResult, Sample  # noqa: E402
from collector.store import Store  # noqa: E402
from exporters import exposition  # noqa: E402
from exporters.exposition import DeviceExposition, DeviceRenderer  # noqa: E402
from metrics.identity import identity_labels  # noqa: E402
from metrics.series import Series  # noqa: E402
from tests.unit.exporter.reference import ReferenceCollector  # noqa: E402

COMMUNES = ["Saint-Denis", "Aubervilliers", "Épinay-sur-Seine", "Bobigny", "Montreuil", "Noisy-le-Grand"]


def device_samples(d: int, ports: int, tick: int) -> list[Sample]:
    """A realistic access switch: per port 4 counters + 2 gauges and its info, plus system and sensors."""
    out: list[Sample] = [Sample("thdmon_device_uptime_seconds", (), 86400.0 * d + tick, 0.0)]
    for p in range(1, ports + 1):
        labels = (("ifname", f"GigabitEthernet1/0/{p}"),)
        base = float(d * 1_000_003 + p * 7919 + tick * 12345)
        out += [
            Sample("thdmon_interface_receive_bytes_total", labels, base * 1500.0, 0.0),
            Sample("thdmon_interface_transmit_bytes_total", labels, base * 900.0, 0.0),
            Sample("thdmon_interface_receive_errors_total", labels, float(p % 3), 0.0),
            Sample("thdmon_interface_receive_packets_total", labels, base, 0.0),
            Sample("thdmon_interface_oper_up", labels, float(p % 2), 0.0),
            Sample("thdmon_interface_speed_bits_per_second", labels, 1e9, 0.0),
            Sample("thdmon_interface_info", (*labels, ("ifalias", f"Salle {p} - Collège Jean-Jaurès"), ("iftype", "6"),
                                             ("ifindex", str(p))), 1.0, 0.0),
        ]
    out += [Sample("thdmon_temperature_celsius", (("sensor", f"sensor {i}"),), 40.5 + i, 0.0) for i in range(3)]
    return out


def populate(store: Store, devices: int, ports: int, tick: int) -> dict[str, tuple[tuple[str, str], ...]]:
    identities = {}
    for d in range(devices):
        name = f"sw-col-{d:05d}-acc1"
        identities[name] = identity_labels(f"col-{d:05d}", "college", COMMUNES[d % len(COMMUNES)], name,
                                           "access_switch")
        state = DeviceState(device=name, up=True, last_poll=1_700_000_000.0 + tick, poll_duration=0.8,
                            varbinds=ports * 12)
        store.update(name, PollResult(device_samples(d, ports, tick), state))
    return identities


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_speed(devices_n: int, ports: int, runs: int) -> dict[str, float]:
    store = Store(clock=lambda: 1_700_000_000.0)
    identities = populate(store, devices_n, ports, 0)
    devices = DeviceExposition(store, identities)
    populate(store, devices_n, ports, 1)  # a second poll: rendered through the store listener
    body, _ = exposition.render(devices, None)
    zipped, _ = exposition.render(devices, None, gzipped=True)
    assert gzip.decompress(zipped) == body, "gzip members and plain text differ"
    series = sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))

    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReferenceCollector(store.snapshot(), identities))
    assert generate_latest(registry) == body, "fast path and prometheus_client differ"

    entries = store.snapshot()
    renderers = {e.device: DeviceRenderer(identities[e.device]) for e in entries}
    for e in entries:
        renderers[e.device].render(e.series)
    ticks = iter(range(2, 10_000))

    def next_poll() -> list[tuple[DeviceRenderer, Series]]:  # every counter moved on, as on a busy network
        tick = next(ticks)
        return [(renderers[e.device], Series.of(device_samples(d, ports, tick))) for d, e in enumerate(entries)]

    polls = [next_poll() for _ in range(runs)]
    return {
        "series": series, "bytes": len(body), "gzip_bytes": len(zipped),
        "scrape": median_time(lambda: exposition.render(devices, None, gzipped=True), runs),
        "plain": median_time(lambda: exposition.render(devices, None), runs),
        "reference": median_time(lambda: generate_latest(registry), max(3, runs // 2)),
        "reference_gzip": median_time(lambda: gzip.compress(body, compresslevel=1), max(3, runs // 2)),
        "warm": median_time(lambda: [r.render(s) for r, s in polls.pop()], runs),
        "cold": median_time(lambda: [DeviceRenderer(identities[e.device]).render(e.series) for e in entries], runs),
    }


def measure_memory(devices_n: int, ports: int) -> int:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    store = Store(clock=lambda: 1_700_000_000.0)
    devices = DeviceExposition(store, populate(store, devices_n, ports, 0))
    populate(store, devices_n, ports, 1)
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert devices.body()
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--ports", type=int, default=32)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    m = measure_speed(args.devices, args.ports, args.runs)
    used = measure_memory(args.devices, args.ports)
    series, scrape, reference, warm, cold = m["series"], m["scrape"], m["reference"], m["warm"], m["cold"]

    print(f"series exposed: {series:,.0f} ({args.devices} devices x {args.ports} ports), "
          f"body {m['bytes'] / 1e6:.1f} MB, {m['gzip_bytes'] / 1e6:.1f} MB as gzip members")
    print(f"scrape asking for gzip (Prometheus; members joined): median {scrape * 1e3:8.1f} ms "
          f"({scrape / series * 1e6:.2f} us/series)")
    print(f"scrape of plain text (members unpacked):            median {m['plain'] * 1e3:8.1f} ms "
          f"({m['plain'] / series * 1e6:.2f} us/series)")
    print(f"prometheus_client generate_latest, same data:       median {reference * 1e3:8.1f} ms "
          f"({reference / series * 1e6:.2f} us/series), + {m['reference_gzip'] * 1e3:.1f} ms to gzip it (level 1)")
    print(f"ratio generate_latest (+ gzip) / gzip scrape: {(reference + m['reference_gzip']) / scrape:.0f}x")
    print(f"per-poll render of every device, warm prefixes:  median {warm * 1e3:8.1f} ms "
          f"({warm / series * 1e6:.2f} us/series; paid in the poll loop, spread over the interval)")
    print(f"first render, cold prefixes:                     median {cold * 1e3:8.1f} ms "
          f"({cold / series * 1e6:.2f} us/series)")
    print(f"ratio generate_latest / (warm render + scrape): {reference / (warm + scrape):.1f}x")
    per_1000 = used / args.devices * 1000
    print(f"memory, store + exposition: {used / 1e6:.0f} MB for {args.devices} devices = "
          f"{per_1000 / 1e6:.0f} MB per 1,000 devices ({used / series:.0f} bytes/series)")


if __name__ == "__main__":
    main()
