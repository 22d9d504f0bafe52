"""A few devices of the sample département served by the lab, their inventory written, and `thdmon serve`
over them: the set-up every end-to-end test and the benchmarks that drive a serve share.

The lab answers for `devices` only, on a free UDP port; `work/inventory` holds those devices' inventory
(`lab.inventory_files.write_sample_subset`, secrets provisioned by the lab). `start_serve` runs the
real CLI as a subprocess, settings given as the environment variables an operator would set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory import load_inventory
from inventory.model import Inventory
from lab.inventory_files import write_sample_subset
from lab.sample import generate
from lab.snmp.snmpd import free_udp_port
from lab.supervisor import REPO_ROOT, Lab, lab_running


def sample_inventory() -> Inventory:
    """The whole sample département (secrets unchecked: the lab provisions its own)."""
    return load_inventory(generate.DATA_DIR, check_secrets=False)


@dataclass(frozen=True, slots=True)
class Subset:
    lab: Lab
    devices: list[str]
    inventory: Path  # the subset's inventory directory
    secrets: Path
    snmp_port: int  # the lab's


@contextmanager
def sample_subset(work: Path, inv: Inventory, devices: Collection[str], **lab_options: Any) -> Iterator[Subset]:
    """The lab serving `devices` of `inv` (the sample département) and their inventory, until the block ends."""
    port = free_udp_port()
    options = {"processes": 1, "timeout": 120, **lab_options}
    with lab_running(work / "lab", inv, generate.DATA_DIR, port=port, only=set(devices), **options) as (lab, _):
        secrets = write_sample_subset(work / "inventory", sorted(devices), snmp_port=port).secrets
        yield Subset(lab, sorted(devices), work / "inventory", secrets, port)


def start_serve(work: Path, subset: Subset, port: int, settings: Mapping[str, str], *, log: Path | None = None,
                args: Sequence[str] = (), code: Path = REPO_ROOT) -> subprocess.Popen[bytes]:
    """`thdmon serve` on 127.0.0.1:`port` over the subset, state in `work/state`, traps off; `code`: the
    source tree to run (a benchmark may measure another checkout)."""
    env = {**os.environ, "THDMON_STATE_DIR": str(work / "state"), "PYTHONPATH": str(code), **settings}
    with (log or work / "serve.log").open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "thdmon", "--inventory", str(subset.inventory), "--secrets",
                                 str(subset.secrets), "serve", "--listen", f"127.0.0.1:{port}", "--traps", "off",
                                 *args], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work)


def stop(*procs: subprocess.Popen[bytes]) -> None:
    """Kill and reap, in the order given."""
    for proc in procs:
        proc.kill()
        proc.wait()
