"""Load + validate time of an inventory, against parsing the same files with PyYAML.

    .venv/bin/python benchmarks/inventory_load.py [DIR] [--runs N]

DIR defaults to the shipped sample (lab/sample/data); without it, a 1,500-device tree is
generated in a temporary directory. Prints medians of N runs and the ratio to two references
measured in the same run: `yaml.safe_load` (pure-Python loader, what most code calls) and
`yaml.load(..., CSafeLoader)` (libyaml, what the inventory loader builds on).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inventory import load_inventory
from inventory.loader import find_files
from lab.sample import DATA as SAMPLE_DATA


def generate(root: Path, n_sites: int = 500, per_site: int = 3) -> None:
    """One file per commune-sized group of sites, like the sample, and no secrets to resolve."""
    kinds = ["college", "lycee", "departmental_site", "park"]
    (root / "core.yaml").write_text(
        "sites:\n  - {id: pop-0, name: PoP, kind: pop, commune: Bobigny}\n"
        "credentials:\n  v2: {type: snmp_v2c, community: 'env:BENCH_COMMUNITY'}\n"
        "profiles:\n  generic: {snmp_modules: [if_mib]}\n")
    for group in range(n_sites // 25):
        lines = ["sites:"]
        devices = ["devices:"]
        for i in range(25):
            n = group * 25 + i
            lines += [f"  - id: site-{n}", f"    name: Site {n}", f"    kind: {kinds[n % 4]}",
                      f"    commune: Commune {group}", f"    insee: '93{group:03d}'", "    uplink: pop-0"]
            for d in range(per_site):
                devices += [f"  - hostname: dev-{n}-{d}", f"    address: 10.{n // 250}.{n % 250}.{d + 1}",
                            f"    site: site-{n}", "    role: access_switch", "    profile: generic",
                            "    snmp: v2"]
        (root / f"commune-{group:02d}.yaml").write_text("\n".join(lines + devices) + "\n")


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.directory
        if root is None:
            if SAMPLE_DATA.is_dir() and any(SAMPLE_DATA.rglob("*.yaml")):
                root = SAMPLE_DATA
            else:
                root = Path(tmp)
                generate(root)
        files = find_files(root)
        texts = [f.read_text() for f in files]
        inv = load_inventory(root, check_secrets=False)
        print(f"inventory {root}: {len(files)} files, {len(inv.sites)} sites, {len(inv.devices)} devices, "
              f"{sum(len(t) for t in texts) / 1024:.0f} KiB; median of {args.runs} runs")
        safe = median_ms(lambda: [yaml.safe_load(t) for t in texts], args.runs)
        csafe = median_ms(lambda: [yaml.load(t, Loader=yaml.CSafeLoader) for t in texts], args.runs)
        ours = median_ms(lambda: load_inventory(root, check_secrets=False), args.runs)
        print(f"  yaml.safe_load (reference)          {safe:8.1f} ms   1.00")
        print(f"  yaml.load CSafeLoader               {csafe:8.1f} ms   {csafe / safe:.2f}")
        print(f"  load_inventory (parse + validate)   {ours:8.1f} ms   {ours / safe:.2f}"
              f"   ({ours / csafe:.2f}x CSafeLoader)")


if __name__ == "__main__":
    main()
