"""How long sites behind a failing PoP are rolled up `down` (they would page) before `unreachable`.

    flock /tmp/thdmon-lab.lock .venv/bin/python benchmarks/uplink_skew.py [--trials 3] [--reference DIR]

At the production cadence (60 s SNMP, 30 s ICMP; 2 s timeout, 1 retry), the lab serves Coubron's sites,
the PoP of Clichy-Montfermeil they hang from and its data centre's cores; `thdmon serve` polls them. Each
trial waits a random part of a poll interval, then cuts the PoP and every site behind it at once (SNMP
silent, ICMP dropped), samples serve's /metrics every 0.5 s, and prints the seconds each site behind spent
`down` before `unreachable` (SiteDown fires after 15 s of it) and when the PoP was found down; then heals.
`--reference DIR`: a checkout of other code (e.g. `git worktree add /tmp/ref main`) measured first, in
the same run, with the same lab; serve runs from DIR's sources.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inventory.model import Inventory  # noqa: E402
from lab.inventory_files import chosen_devices  # noqa: E402
from lab.subset import Subset, sample_inventory, sample_subset, start_serve, stop  # noqa: E402
from lab.supervisor import Lab  # noqa: E402
from tests.peers import free_tcp_port, until  # noqa: E402

POP = "pop-clichy-montfermeil"
COLLEGE = "col-vaujours-jules-ferry"
BEHIND = ("cs-coubron", "pmi-coubron", COLLEGE)
Trial = tuple[float, dict[str, float]]  # (seconds to the PoP down, seconds each site behind was down)


def site_states(port: int) -> dict[str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return {}
    return {s.labels["site"]: s.labels["state"] for f in text_string_to_metric_families(text) for s in f.samples
            if s.name == "thdmon_site_state" and s.value == 1}


def trial(lab: Lab, port: int, hosts: list[str]) -> Trial:
    time.sleep(random.uniform(0, 60))  # a failure at any phase of the 60 s polls
    t0 = time.time()
    for host in hosts:
        lab.fail(host, "silent")
        lab.fail(host, "unreachable")
    down = dict.fromkeys(BEHIND, 0.0)
    pop_at: float | None = None
    last = t0
    while time.time() - t0 < 200:
        states, now = site_states(port), time.time()
        for site in BEHIND:
            if states.get(site) == "down":
                down[site] += now - last
        if pop_at is None and states.get(POP) == "down":
            pop_at = now - t0
        last = now
        if pop_at is not None and all(states.get(site) == "unreachable" for site in BEHIND):
            break
        time.sleep(0.5)
    for host in hosts:
        lab.heal(host)
    until("every site up again", lambda: all(v == "up" for v in site_states(port).values()), 300)
    return (pop_at if pop_at is not None else float("nan")), down


def measure(code: Path, subset: Subset, inv: Inventory, work: Path, trials: int) -> list[Trial]:
    """`thdmon serve` from `code`'s sources over the lab; `trials` cuts of the PoP and what is behind it."""
    work.mkdir()
    port = free_tcp_port()
    serve = start_serve(work, subset, port, {
        "THDMON_COLLECTOR__FAST_INTERVAL": "60", "THDMON_COLLECTOR__SLOW_INTERVAL": "300",
        "THDMON_COLLECTOR__ICMP_INTERVAL": "30", "THDMON_COLLECTOR__TIMEOUT": "2",
        "THDMON_COLLECTOR__RETRIES": "1", "THDMON_COLLECTOR__PROTOCOLS": "snmp,icmp",
        # as the realistic e2e: healed devices come back within seconds between trials
        "THDMON_COLLECTOR__BACKOFF_BASE": "1", "THDMON_COLLECTOR__BACKOFF_CAP": "2"}, code=code)
    lab, devices = subset.lab, subset.devices
    hosts = [h for h in devices if inv.devices[h].site in (POP, *BEHIND)]
    sites = {inv.devices[h].site for h in devices}
    results = []
    try:
        until("every site up", lambda: (lambda s: set(s) == sites and set(s.values()) == {"up"})(
            site_states(port)), 200)
        for k in range(trials):
            pop_at, down = trial(lab, port, hosts)
            results.append((pop_at, down))
            print(f"  {code}: trial {k}: PoP down after {pop_at:.1f} s; behind it down for "
                  + ", ".join(f"{site} {seconds:.1f} s" for site, seconds in down.items()), flush=True)
    finally:
        stop(serve)
    return results


def summary(name: str, results: list[Trial]) -> None:
    if not results:
        return
    worst = [max(down.values()) for _, down in results]
    paging = sum(1 for w in worst if w > 15)
    print(f"{name}: PoP found down after {statistics.median(r[0] for r in results):.1f} s (median); "
          f"longest `down` behind it per trial {', '.join(f'{w:.1f}' for w in worst)} s; "
          f"{paging}/{len(results)} trials over SiteDown's 15 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--reference", type=Path, help="a checkout of other code, measured first")
    args = parser.parse_args()
    inv = sample_inventory()
    devices = sorted(set(chosen_devices(inv, "Coubron")) | {h for h, d in inv.devices.items() if d.site == COLLEGE})
    with tempfile.TemporaryDirectory(prefix="uplink-skew-") as tmp:
        work = Path(tmp)
        with sample_subset(work, inv, devices) as subset:
            reference = (measure(args.reference.resolve(), subset, inv, work / "reference", args.trials)
                         if args.reference else [])
            current = measure(ROOT, subset, inv, work / "current", args.trials)
    if args.reference:
        summary(f"reference ({args.reference})", reference)
    summary("this tree", current)


if __name__ == "__main__":
    main()
