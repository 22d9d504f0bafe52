"""First backups now: a device never backed up is backed up when the service starts or the inventory
adds it, rather than at its phase of the day (daily backups are spread over 24 h by the scheduler, so a
new installation would otherwise wait up to a day for "what changed?" to have an answer).

A service companion (collector.service.Companion); it asks the scheduler for a triggered poll of the
device's first SSH class (`config`), which holds a slot of the global bound and of the SSH pool like any
poll, so a thousand first backups queue, they do not pile up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from collector.ssh.poller import SshPoller
from inventory.model import Device, Inventory


class FirstBackup:
    def __init__(self, poller: SshPoller, trigger: Callable[[str, str], bool]) -> None:
        self.poller, self.trigger = poller, trigger
        self._due: list[str] = []
        self._asked: set[str] = set()
        self._wake: asyncio.Event | None = None

    def apply(self, inventory: Inventory, devices: Mapping[str, Device], changed: list[str]) -> None:
        self._due = sorted(h for h, d in devices.items() if h not in self._asked and self.poller.wants(d)
                           and self.poller.history.stored(h) is None)
        if self._wake is not None:
            self._wake.set()

    def start(self) -> None:
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        assert self._wake is not None
        while not stop.is_set():
            for hostname in self._due:
                if self.trigger(hostname, "ssh"):
                    self._asked.add(hostname)
            self._due = []
            self._wake.clear()
            await self._wake.wait()

    def close(self) -> None:
        """Nothing of its own to release: the polls it asked for belong to the scheduler."""
