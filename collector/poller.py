"""The seam between the scheduler and the protocols: a `Poller` per protocol, registered in `POLLERS`.

A poller knows one protocol (SNMP, ICMP, SSH): which devices it applies to (those with the credentials
it needs), its interval classes, and how to poll one device for one class. It reports a device problem
in the returned state (never by raising). The scheduler runs one job per (device, protocol, class),
bounds concurrency, backs failing devices off, and hands every result to the store, whatever the
protocol. Adding a protocol is one module and one line in `POLLERS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from collector.errors import CollectorError
from collector.model import PollResult
from inventory.model import Device, Inventory


@dataclass(frozen=True, slots=True)
class PollerOptions:
    """What the settings say about polling, for every poller (each reads what concerns it)."""

    engine: str = "gufo"  # SNMP engine: gufo | pysnmp
    timeout: float = 2.0  # seconds per request (SNMP) or per echo (ICMP)
    retries: int = 1
    max_repetitions: int = 25
    icmp_count: int = 3  # echo requests per ICMP probe
    icmp_interval: float = 0.2  # seconds between them
    state_dir: str = ""  # SSH: where the configuration history and the pinned host keys live
    ssh_pool: int = 16  # SSH sessions at once (threads: netmiko blocks); benchmarks/ssh_backup.py for the choice
    ssh_connect_timeout: float = 10.0  # seconds: TCP connect and SSH banner
    ssh_auth_timeout: float = 15.0
    ssh_command_timeout: float = 60.0  # seconds for one command's whole output
    ssh_session_timeout: float = 180.0  # seconds for a whole session (then its socket is closed)
    ssh_max_output: int = 16 * 1024 * 1024  # characters of one command's output (100x large configurations)
    config_batch: float = 5.0  # backups this close together are one commit of the history


class Poller(Protocol):
    protocol: str
    classes: tuple[str, ...]  # interval classes, in poll order; each is a field of inventory `intervals`
    # Whether this protocol's state says the device answers now (SNMP, ICMP: every minute or so), so it
    # counts in `thdmon_device_up`; SSH's daily backup does not.
    liveness: bool

    def set_inventory(self, inventory: Inventory) -> None:
        """A (re)loaded inventory: new credentials and profiles apply from the next poll. May refuse it
        (CollectorError) before anything changed."""

    def wants(self, device: Device) -> bool:
        """Whether this protocol polls `device` (it has the credentials this protocol needs)."""

    async def poll(self, device: Device, cls: str) -> PollResult: ...

    def forget(self, hostname: str) -> None:
        """The device left the schedule: drop what was kept between its polls."""

    async def close(self) -> None: ...


# protocol -> "module:factory"; a factory takes (inventory, PollerOptions) and returns a Poller.
POLLERS: Mapping[str, str] = {
    "snmp": "collector.snmp.poller:SnmpPoller",
    "icmp": "collector.icmp.poller:IcmpPoller",
    "ssh": "collector.ssh.poller:SshPoller",
}


def build_pollers(protocols: tuple[str, ...], inventory: Inventory, options: PollerOptions) -> list[Poller]:
    """The registered pollers named, in that order (imported only when used)."""
    out: list[Poller] = []
    for name in protocols:
        ref = POLLERS.get(name)
        if ref is None:
            raise CollectorError(f"unknown protocol {name!r} (known: {', '.join(POLLERS)})")
        module, _, factory = ref.partition(":")
        out.append(getattr(importlib.import_module(module), factory)(inventory, options))
    return out
