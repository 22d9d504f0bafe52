#!/usr/bin/env python3
"""Decode cost of the SNMP modules on the 12 real recordings (../shared/snmprec), CPU only, no network.

    .venv/bin/python benchmarks/snmp_decode.py [--runs N]

For each recording: the modules a poll would choose (inventory sample profiles + sysObjectID) decode
the recording's varbinds into catalogue samples. Reference measured in the same run: indexing the same
varbinds into `decode.Walked` (a dict and a sorted key list: the floor any decoder pays). Prints the
median of N runs in varbinds per CPU-second and the ratio decode/reference (how many times the floor).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from collector.snmp.decode import Walked, decode
from collector.snmp.poll import SYS_OBJECT_ID
from collector.snmp.profile import Module, modules
from collector.snmp.select import select_modules
from inventory import load_inventory
from tests.unit.snmp_profiles import snmprec
from tests.unit.snmp_profiles.snmprec import RecVarbind


def _cpu(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    if not snmprec.SNMPREC.is_dir():
        sys.exit(f"{snmprec.SNMPREC}: recordings not found")
    profiles = load_inventory(Path("inventory/sample/data"), check_secrets=False).profiles
    mods = modules()
    total_vb = total_decode = total_ref = 0.0
    print(f"{'recording':34} {'varbinds':>8} {'modules':>7} {'samples':>7} {'decode vb/s':>12} {'x floor':>8}")
    for path in sorted(snmprec.SNMPREC.glob("*.snmprec")):
        varbinds = snmprec.read(path)
        sys_oid = next((str(v.value) for v in varbinds if v.oid == SYS_OBJECT_ID), None)
        chosen = select_modules(None, sys_oid, profiles, mods)

        def run(vbs: list[RecVarbind] = varbinds, chosen: list[Module] = chosen) -> int:
            walked = Walked(vbs)
            return sum(len(decode(m, walked, 0.0).samples) for m in chosen)

        def reference(vbs: list[RecVarbind] = varbinds) -> Walked:
            return Walked(vbs)

        samples = run()
        t_decode = _cpu(run, args.runs)
        t_ref = _cpu(reference, args.runs)
        total_vb += len(varbinds)
        total_decode += t_decode
        total_ref += t_ref
        print(f"{path.stem:34} {len(varbinds):8d} {len(chosen):7d} {samples:7d} {len(varbinds) / t_decode:12,.0f} "
              f"{t_decode / t_ref:8.1f}")
    print(f"{'all':34} {int(total_vb):8d} {'':7} {'':7} {total_vb / total_decode:12,.0f} "
          f"{total_decode / total_ref:8.1f}")


if __name__ == "__main__":
    main()
