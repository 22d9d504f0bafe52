#!/usr/bin/env python3
"""Where one device-poll's CPU goes inside thdmon, against the floor of the same walk.

N snmpd agents of ~50 interfaces (benchmarks/snmp_poll.py's network namespace), polled one device at a
time with the `if_mib` profile (system group + ifTable + ifXTable, ~2,000 varbinds, ~85 requests at
max-repetitions 25). CPU per device-poll (process_time: user + system of this process) of:

  floor        the same requests on gufo_snmp's socket from a blocking loop (send, select, receive),
               the answers kept as gufo's own tuples: what any Python client of gufo must pay
  walk         collector.snmp.gufo_engine.GufoEngine.bulk_walk of the same roots (Varbinds built)
  poll         collector.snmp.poll.poll_device through SnmpPoller: walk + decode + device memory
  store        collector.store.Store.update + the exposition's pre-rendering of the device

each printed with its ratio to the floor measured in the same run. Medians over --repeats rounds.
`--gc off` disables the cyclic garbage collector for the whole run; `--gc serve` applies what `thdmon
serve` does once started (collector.loop.settle_heap).

Run as root:  .venv/bin/python benchmarks/poll_breakdown.py [--agents 16] [--rounds 10] [--repeats 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gufo.snmp._fast import GetIter, SnmpV2cClientSocket  # noqa: E402
from gufo.snmp.utils import format_sock_addr  # noqa: E402

from benchmarks.serve_vs_snmp_exporter import write_inventory  # noqa: E402
from benchmarks.snmp_poll import run_in_netns  # noqa: E402
from collector import loop  # noqa: E402
from collector.model import PollResult  # noqa: E402
from collector.poller import PollerOptions  # noqa: E402
from collector.snmp.poll import walk_roots  # noqa: E402
from collector.snmp.poller import SnmpPoller  # noqa: E402
from collector.store import Store  # noqa: E402
from exporters.exposition import DeviceExposition, device_identities  # noqa: E402
from inventory.loader import load_inventory  # noqa: E402
from lab.snmp.snmpd import SnmpdAgent, snmpd_agents  # noqa: E402

MAX_REPETITIONS = 25


def floor_walk(sock: SnmpV2cClientSocket, root: str) -> int:
    """Walk `root` with blocking calls; the number of varbinds."""
    it, fd, count = GetIter(root, MAX_REPETITIONS), sock.get_fd(), 0
    while True:
        sock.send_get_bulk(it)
        if not select.select([fd], [], [], 2.0)[0]:
            raise TimeoutError(root)
        try:
            batch = sock.recv_get_bulk(it)
        except StopAsyncIteration:
            return count
        for item in batch:
            if item is None:
                return count
            count += 1


async def measure(args: argparse.Namespace, agents: list[SnmpdAgent], work: Path) -> dict[str, list[float]]:
    write_inventory(work / "inventory", agents)
    os.environ["THDMON_BENCH_COMMUNITY"] = agents[0].community
    inventory = load_inventory(work / "inventory")
    devices = list(inventory.devices.values())
    poller = SnmpPoller(inventory, PollerOptions())
    store = Store()
    DeviceExposition(store, device_identities(inventory, devices))
    roots = walk_roots([poller.modules["system"], poller.modules["if_mib"]])
    targets = [poller.target(d) for d in devices]
    engine = poller.engine_for(targets[0])
    socks = [SnmpV2cClientSocket(format_sock_addr(a.host, a.port), a.community, 0, 0, 0, 0) for a in agents]
    for device in devices:  # warm-up: sessions, compiled plans, first store entries
        store.update(device.hostname, await poller.poll(device, "fast"))
    if args.gc == "serve":
        loop.settle_heap()
    elif args.gc == "off":
        gc.disable()

    async def floor() -> None:
        for sock in socks:
            for root in roots:
                floor_walk(sock, root)

    async def walk() -> None:
        for target in targets:
            for root in roots:
                await engine.bulk_walk(target, root, MAX_REPETITIONS)

    polled: list[tuple[str, PollResult]] = []

    async def poll() -> None:
        polled.clear()
        for device in devices:
            polled.append((device.hostname, await poller.poll(device, "fast")))

    async def update() -> None:
        for hostname, result in polled:
            store.update(hostname, result)

    # "store" replays the results of the last "poll" round: the same shapes serve's store sees each poll.
    steps: dict[str, Callable[[], Awaitable[None]]] = {"floor": floor, "walk": walk, "poll": poll, "store": update}
    out: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.repeats):
        for name, step in steps.items():
            t0 = time.process_time()
            for _ in range(args.rounds):
                await step()
            out[name].append((time.process_time() - t0) / (args.rounds * len(devices)) * 1e3)
    await poller.close()
    return out


def run(args: argparse.Namespace) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="thdmon-bench-breakdown-") as tmp:
        work = Path(tmp)
        with snmpd_agents(args.agents, work / "agents") as agents:
            results = loop.run(measure(args, agents, work))
    floor = statistics.median(results["floor"])
    print(f"{args.agents} snmpd agents, if_mib profile, one device at a time, {args.rounds} rounds x "
          f"{args.repeats} repeats, gc {args.gc}; CPU per device-poll (median, range), ratio to the floor:")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"  {name:<6} {med:7.2f} ms  ({min(values):.2f}-{max(values):.2f})  {med / floor:5.2f}x")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=10, help="polls of every agent per measurement")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--gc", choices=("on", "off", "serve"), default="serve")
    parser.add_argument("--veth-pairs", type=int, default=24, help="48 interfaces + lo + br0 = 50")
    parser.add_argument("--no-netns", action="store_true", help="use the host's interfaces")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    return run_in_netns(parser.parse_args(), run, __file__, "thdmon-bench-breakdown")


if __name__ == "__main__":
    sys.exit(main())
