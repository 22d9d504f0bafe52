#!/usr/bin/env python3
"""Decode cost of the SNMP modules, CPU only, no network: the 12 real recordings (../shared/snmprec)
and the IF-MIB walk of a 50-interface snmpd (the walk benchmarks/snmp_poll.py polls).

    .venv/bin/python benchmarks/snmp_decode.py [--runs N] [--interfaces 50]

For each recording: the modules a poll would choose (inventory sample profiles + sysObjectID) decode
the recording's varbinds into catalogue samples, as `collector.snmp.poll` does (one `Walked`, every
module). The IF-MIB line decodes ifTable + ifXTable (40 columns per interface, tags as gufo_snmp returns
them) with the `if_mib` module, as benchmarks/snmp_poll.py does after each walk. Reference measured in
the same run: a dict of the same varbinds by OID, the floor any decoder pays. Prints median CPU per
decode, per varbind, and the ratio decode / floor.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collector.snmp.decode import Walked, decode
from collector.snmp.engine import Varbind
from collector.snmp.poll import SYS_OBJECT_ID
from collector.snmp.profile import Module, modules
from collector.snmp.select import select_modules
from inventory import load_inventory
from lab.snmp import snmprec

SNMPREC = Path(__file__).resolve().parents[2] / "shared" / "snmprec"  # read in place, never copied

IF_TABLE, IF_X_TABLE = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"


def if_mib_walk(interfaces: int) -> list[Varbind]:
    """ifTable (22 columns) + ifXTable (18) of `interfaces` Linux interfaces, as net-snmp answers and
    gufo_snmp returns them (every integer tagged `int`), in walk order."""
    rng = random.Random(interfaces)
    names = ["lo", "br0", *[f"ge{i // 2}{'ab'[i % 2]}" for i in range(interfaces - 2)]][:interfaces]
    rows = []
    for i, name in enumerate(names, start=1):
        octets_in, octets_out = rng.randrange(2**34), rng.randrange(2**34)
        packets_in, packets_out = rng.randrange(2**26), rng.randrange(2**26)
        rows.append((i, name, octets_in, octets_out, packets_in, packets_out))
    mac = bytes(rng.randrange(256) for _ in range(6))
    if_table: dict[int, Callable[[tuple], object]] = {
        1: lambda r: r[0], 2: lambda r: r[1].encode(), 3: lambda r: 24 if r[1] == "lo" else 6,
        4: lambda r: 65536 if r[1] == "lo" else 1500, 5: lambda r: 4294967295, 6: lambda r: b"" if r[0] == 1 else mac,
        7: lambda r: 1, 8: lambda r: 1, 9: lambda r: 0, 10: lambda r: r[2] % 2**32, 11: lambda r: r[4] % 2**32,
        12: lambda r: 0, 13: lambda r: 0, 14: lambda r: 0, 15: lambda r: 0, 16: lambda r: r[3] % 2**32,
        17: lambda r: r[5] % 2**32, 18: lambda r: 0, 19: lambda r: 0, 20: lambda r: 0, 21: lambda r: 0,
        22: lambda r: "0.0",
    }
    if_x_table: dict[int, Callable[[tuple], object]] = {
        1: lambda r: r[1].encode(), 2: lambda r: 0, 3: lambda r: 0, 4: lambda r: 0, 5: lambda r: 0,
        6: lambda r: r[2], 7: lambda r: r[4], 8: lambda r: 0, 9: lambda r: 0, 10: lambda r: r[3],
        11: lambda r: r[5], 12: lambda r: 0, 13: lambda r: 0, 15: lambda r: 10000, 16: lambda r: 2,
        17: lambda r: 1, 18: lambda r: b"", 19: lambda r: 0,
    }
    out = []
    for table, columns in ((IF_TABLE, if_table), (IF_X_TABLE, if_x_table)):
        for column, value_of in columns.items():
            for row in rows:
                value = value_of(row)
                tag = "octets" if isinstance(value, bytes) else "oid" if isinstance(value, str) else "int"
                out.append(Varbind(f"{table}.{column}.{row[0]}", value, tag))
    return out


def _cpu(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def _measure(name: str, varbinds: Sequence[Varbind | snmprec.RecVarbind], chosen: list[Module], runs: int) -> tuple[
        float, float]:
    def run() -> int:
        walked = Walked(varbinds)
        return sum(len(decode(m, walked, 0.0).samples) for m in chosen)

    def floor() -> dict[str, object]:
        return {vb.oid: vb for vb in varbinds}

    samples = run()  # warm-up: compiles the modules' plans once, as a long-running poller does
    t_decode, t_floor = _cpu(run, runs), _cpu(floor, runs)
    print(f"{name:34} {len(varbinds):8d} {len(chosen):7d} {samples:7d} {t_decode * 1e3:9.2f} "
          f"{t_decode / len(varbinds) * 1e6:9.2f} {len(varbinds) / t_decode:12,.0f} {t_decode / t_floor:8.1f}")
    return t_decode, t_floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--interfaces", type=int, default=50, help="interfaces of the IF-MIB walk (default 50)")
    args = parser.parse_args()
    if not SNMPREC.is_dir():
        sys.exit(f"{SNMPREC}: recordings not found")
    profiles = load_inventory(Path("lab/sample/data"), check_secrets=False).profiles
    mods = modules()
    print(f"{'recording':34} {'varbinds':>8} {'modules':>7} {'samples':>7} {'CPU ms':>9} {'us/vb':>9} "
          f"{'varbinds/s':>12} {'x floor':>8}")
    total_vb = total_decode = total_floor = 0.0
    for path in sorted(SNMPREC.glob("*.snmprec")):
        varbinds = snmprec.read(path)
        sys_oid = next((str(v.value) for v in varbinds if v.oid == SYS_OBJECT_ID), None)
        t_decode, t_floor = _measure(path.stem, varbinds, select_modules(None, sys_oid, profiles, mods), args.runs)
        total_vb += len(varbinds)
        total_decode += t_decode
        total_floor += t_floor
    print(f"{'all recordings':34} {int(total_vb):8d} {'':7} {'':7} {total_decode * 1e3:9.2f} "
          f"{total_decode / total_vb * 1e6:9.2f} {total_vb / total_decode:12,.0f} {total_decode / total_floor:8.1f}")
    print()
    _measure(f"IF-MIB walk, {args.interfaces} interfaces", if_mib_walk(args.interfaces), [mods["if_mib"]], args.runs)
    print(f"(medians of {args.runs} runs; floor = a dict of the varbinds by OID, measured in the same run)")


if __name__ == "__main__":
    main()
