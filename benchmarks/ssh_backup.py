#!/usr/bin/env python3
"""Time to back up N lab devices over SSH, by pool size, against plain OpenSSH `ssh` in the same run.

The lab's real sshd (one `sshd -i` per connection, emulated IOS / AOS-CX / FortiOS CLIs) serves N devices
of the sample département, 100 by default, in the proportions of the sample (about 70 % AOS-CX, 30 %
IOS, the FortiGates). Everything runs on this machine: the client, sshd, and the emulated CLIs share the
CPU, so the figures are an upper bound of what thdmon itself costs.

  thdmon pool=P   SshPoller.poll(device, "config") for every device at once, P sessions at a time
                  (netmiko: connect, pin the host key, prepare the session, show running-config, clean,
                  mask, write into the history; one commit). A fresh state directory per repeat.
  ssh -P          OpenSSH's `ssh DEVICE show-running-config` (exec channel: no PTY, no prompt, no session
                  preparation), P processes at a time, with the key exchange paramiko negotiates
                  (curve25519-sha256; OpenSSH's default sntrup761 hybrid costs far more CPU, which would
                  flatter thdmon): the floor of an SSH backup on this machine.

Medians over repeats, and the ratio thdmon / ssh at the same concurrency.

Run as root:  .venv/bin/python benchmarks/ssh_backup.py [--devices 100] [--pools 4,8,16,32] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collector.poller import PollerOptions  # noqa: E402
from collector.ssh.poller import SshPoller  # noqa: E402
from inventory import load_inventory  # noqa: E402
from lab import secrets as lab_secrets  # noqa: E402
from lab.sample import DATA  # noqa: E402
from lab.sample.lab_secrets import LAB_SECRETS  # noqa: E402
from lab.supervisor import Lab, _free_tcp_port  # noqa: E402

COMMAND = {"ios": "show running-config", "aoscx": "show running-config", "fortios": "show"}


def pick(inv, n: int) -> list[str]:
    """n SSH devices in the sample's proportions (every k-th of the sorted list)."""
    ssh = sorted(h for h, d in inv.devices.items() if d.ssh and d.profile in ("aruba-cx", "cisco-iosxe", "fortigate"))
    step = max(1, len(ssh) // n)
    chosen = ssh[::step][:n]
    fortigates = [h for h in ssh if inv.devices[h].profile == "fortigate"]
    return sorted(set(chosen[: n - len(fortigates)]) | set(fortigates))[:n]


def thdmon_run(inv, devices, pool: int, state_dir: Path) -> tuple[float, int]:
    async def run() -> tuple[float, int]:
        poller = SshPoller(inv, PollerOptions(state_dir=str(state_dir), ssh_pool=pool, config_batch=3600))
        started = time.perf_counter()
        results = await asyncio.gather(*(poller.poll(d, "config") for d in devices))
        await poller.flush()
        elapsed = time.perf_counter() - started
        await poller.close()
        return elapsed, sum(r.state.up for r in results)
    return asyncio.run(run())


def ssh_run(targets: list[tuple[str, int, str]], pool: int, askpass: Path) -> tuple[float, int]:
    env = {**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}

    def one(target: tuple[str, int, str]) -> bool:
        address, port, command = target
        done = subprocess.run(["ssh", "-q", "-p", str(port), "-o", "StrictHostKeyChecking=no", "-o",
                               "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no", "-o",
                               "PreferredAuthentications=password", "-o", "ConnectTimeout=10",
                               "-o", "KexAlgorithms=curve25519-sha256",
                               f"thdmon@{address}", command], env=env, capture_output=True, stdin=subprocess.DEVNULL,
                              timeout=60, check=False)
        return done.returncode == 0 and len(done.stdout) > 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(pool) as executor:
        ok = sum(executor.map(one, targets))
    return time.perf_counter() - started, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--pools", default="4,8,16,32")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("ssh") is None:
        sys.exit("OpenSSH's ssh client is needed for the reference (Debian package openssh-client)")
    pools = [int(p) for p in args.pools.split(",")]
    with tempfile.TemporaryDirectory(prefix="thdmon-ssh-bench-") as tmp:
        work = Path(tmp)
        inv0 = load_inventory(DATA, lab_secrets.provision(work))
        names = pick(inv0, args.devices)
        port = _free_tcp_port()
        devices = {h: inv0.devices[h].model_copy(update={"ssh_port": port}) for h in names}
        inv = inv0.model_copy(update={"devices": {**inv0.devices, **devices}})
        lab = Lab(work / "lab")
        state = lab.start(inv0, DATA, processes=1, port=_free_tcp_port(), only=set(names), ssh_port=port)
        askpass = work / "askpass"
        askpass.write_text(f"#!/bin/sh\necho '{LAB_SECRETS['lab_ssh_password']}'\n")
        askpass.chmod(0o700)
        targets = [(d["address"], d["port"], COMMAND[d["platform"]]) for d in state["ssh_devices"].values()]
        try:
            print(f"{len(names)} lab devices over SSH, {os.cpu_count()} CPUs shared by client, sshd and the CLIs; "
                  f"medians of {args.repeats}")
            print(f"{'pool':>5} {'thdmon s':>9} {'ok':>4} {'ssh s':>7} {'ok':>4} {'thdmon/ssh':>10} "
                  f"{'devices/s':>9}")
            for pool in pools:
                ours, theirs, ok_ours, ok_theirs = [], [], 0, 0
                for k in range(args.repeats):
                    t, ok_ours = thdmon_run(inv, list(devices.values()), pool, work / f"state-{pool}-{k}")
                    ours.append(t)
                    t, ok_theirs = ssh_run(targets, pool, askpass)
                    theirs.append(t)
                a, b = statistics.median(ours), statistics.median(theirs)
                print(f"{pool:>5} {a:>9.2f} {ok_ours:>4} {b:>7.2f} {ok_theirs:>4} {a / b:>10.2f} "
                      f"{len(names) / a:>9.1f}")
        finally:
            lab.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
