"""The polling service: inventory -> shard -> scheduler (every registered protocol) -> store, reloaded
without a restart.

It owns the process lifecycle: SIGTERM/SIGINT stop it gracefully (running polls get a grace period,
then are cancelled; pollers are closed), SIGHUP or a change of the inventory's files reloads the
inventory. A reload that fails validation is logged and changes nothing: the previous inventory keeps
being polled. Protocol-specific helpers that live beside the schedule (the SNMP trap receiver) are
companions: they get each applied inventory and run until stop. The exporter side (HTTP, exposition)
is wired by `thdmon serve` through `on_inventory` hooks: this package never imports the exporter.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from collector import capacity, loop
from collector.limits import DEFAULT_CONCURRENCY, DeviceBackoff
from collector.poller import Poller
from collector.schedule import Defaults, PollObserver, Scheduler
from collector.shard import ALL, Shard, devices_of_shard
from collector.store import Store
from inventory.errors import InventoryError
from inventory.model import Device, Inventory

MEASURED_PERIOD = 2  # the summary period whose load the capacity check measures

log = logging.getLogger(__name__)

InventoryLoader = Callable[[], Inventory]
InventoryHook = Callable[[Inventory, Mapping[str, Device]], None]


class Companion(Protocol):
    def apply(self, inventory: Inventory, devices: Mapping[str, Device], changed: list[str]) -> None: ...

    def start(self) -> None: ...

    async def run(self, stop: asyncio.Event) -> None: ...

    def close(self) -> None: ...


class ReloadObserver(Protocol):
    def reloaded(self, ok: bool) -> None: ...


@dataclass(slots=True)
class ServiceOptions:
    shard: Shard = ALL
    defaults: Defaults = field(default_factory=Defaults)
    concurrency: int = DEFAULT_CONCURRENCY
    reload_interval: float = 5.0  # seconds between checks of the inventory files' mtimes
    shutdown_grace: float = 5.0
    watch_paths: tuple[Path, ...] = ()
    on_inventory: list[InventoryHook] = field(default_factory=list)
    backoff: DeviceBackoff | None = None  # None: DeviceBackoff's defaults (30 s doubling up to 900 s)
    trigger_interval: float = 10.0  # seconds between two triggered polls of one device (traps)
    summary_interval: float = 60.0  # seconds between two poll_summary log lines


def fingerprint(paths: tuple[Path, ...]) -> frozenset[tuple[str, int, int]]:
    """(path, mtime_ns, size) of every entry but directories under `paths`: any edit, addition or removal
    changes it, a FIFO or device node dropped in too (the reload then refuses it by name)."""
    out: set[tuple[str, int, int]] = set()
    for root in paths:
        candidates = [root] if not root.is_dir() else (p for p in root.rglob("*") if not p.is_dir())
        for path in candidates:
            try:
                st = path.stat()
            except OSError:
                continue  # removed between listing and stat: the next check sees it gone
            out.add((str(path), st.st_mtime_ns, st.st_size))
    return frozenset(out)


class PollingService:
    def __init__(self, load: InventoryLoader, pollers: list[Poller], options: ServiceOptions, *,
                 store: Store | None = None, observer: PollObserver | None = None,
                 reload_observer: ReloadObserver | None = None) -> None:
        self._load = load
        self._pollers = pollers
        self.options = options
        self.store = store or Store()
        self._reload_observer = reload_observer
        self.scheduler = Scheduler(pollers, self.store, defaults=options.defaults, observer=observer,
                                   concurrency=options.concurrency, backoff=options.backoff,
                                   trigger_interval=options.trigger_interval)
        self.companions: list[Companion] = []
        self.inventory: Inventory | None = None
        self.running = False
        self._reload_requested: asyncio.Event | None = None
        self._fingerprint: frozenset[tuple[str, int, int]] = frozenset()

    def apply(self, inventory: Inventory) -> None:
        """Reconcile the schedule (and hooks) with `inventory`, keeping unchanged devices' state.

        The pollers validate the inventory first (e.g. its profiles' SNMP modules): if one refuses,
        nothing changed.
        """
        for poller in self._pollers:
            poller.set_inventory(inventory)
        mine = devices_of_shard(inventory, self.options.shard)
        enabled = {h: d for h, d in mine.items() if d.enabled}
        for hook in self.options.on_inventory:
            hook(inventory, enabled)
        self.inventory = inventory
        report = self.scheduler.sync(enabled, inventory.profiles, inventory.sites)
        for hostname in report.removed:
            for poller in self._pollers:
                poller.forget(hostname)
        for companion in self.companions:
            companion.apply(inventory, self.scheduler.devices, report.changed)
        log.info("event=inventory_applied shard=%s devices=%d disabled=%d added=%d removed=%d changed=%d",
                 self.options.shard, len(enabled), len(mine) - len(enabled), len(report.added),
                 len(report.removed), len(report.changed))

    async def reload(self) -> bool:
        """Load the inventory again; on error keep the current one (and say why)."""
        try:
            # Parsing YAML and resolving secrets happens off the event loop, so polls keep their time.
            inventory = await asyncio.to_thread(self._load)
            self.apply(inventory)
            loop.resettle_heap()
        except InventoryError as exc:  # names file:line and field; its reasons never quote a secret
            log.error("event=inventory_reload_failed kept=previous error=%s",
                      str(exc).replace("\n", " | "))
            ok = False
        except Exception as exc:  # not fatal either; its message could quote anything read, so not logged
            log.error("event=inventory_reload_failed kept=previous error_type=%s (an unexpected error: "
                      "run `thdmon inventory check` to see it)", type(exc).__name__)
            ok = False
        else:
            ok = True
        if self._reload_observer is not None:
            self._reload_observer.reloaded(ok)
        return ok

    def request_reload(self) -> None:
        if self._reload_requested is not None:
            self._reload_requested.set()

    async def run(self, stop: asyncio.Event, *, install_signals: bool = True) -> None:
        """Poll until `stop` is set (or SIGTERM/SIGINT); the first inventory must load, later ones may fail."""
        loop = asyncio.get_running_loop()
        self._reload_requested = asyncio.Event()
        self._fingerprint = fingerprint(self.options.watch_paths)
        if self.inventory is None:
            self.apply(self._load())
        for companion in self.companions:
            companion.start()
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        self.scheduler.start()
        self.running = True
        capacity.report(capacity.plan(self.scheduler.intervals()), self.options.concurrency, "start")
        tasks = [asyncio.create_task(self._watch(stop)), asyncio.create_task(self._summaries(stop))]
        tasks += [asyncio.create_task(c.run(stop)) for c in self.companions]
        try:
            await stop.wait()
        finally:
            self.running = False
            for task in tasks:
                task.cancel()
            if install_signals:
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    loop.remove_signal_handler(sig)
            for companion in self.companions:
                companion.close()
            await self.scheduler.shutdown(self.options.shutdown_grace)
            for poller in self._pollers:
                await poller.close()
            log.info("event=stopped")

    async def _watch(self, stop: asyncio.Event) -> None:
        assert self._reload_requested is not None
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._reload_requested.wait(), self.options.reload_interval)
            except TimeoutError:
                pass
            # Asked by the event, not by how the wait ended: a SIGHUP handled in the loop turn that timed the
            # wait out would otherwise be cleared unseen, and a FIFO dropped in changes no fingerprint.
            reason = "signal" if self._reload_requested.is_set() else ""
            self._reload_requested.clear()
            current = await asyncio.to_thread(fingerprint, self.options.watch_paths)
            if reason or current != self._fingerprint:
                self._fingerprint = current
                log.info("event=inventory_reload trigger=%s", reason or "files_changed")
                await self.reload()

    async def _summaries(self, stop: asyncio.Event) -> None:
        """One poll_summary line per period; after the first, the load check again with measured poll times."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.options.summary_interval)
            except TimeoutError:
                pass
            if stop.is_set():
                return
            down = sum(1 for e in self.store.snapshot() if not e.state.up)
            seconds, load, misfires = self.scheduler.events.flush(len(self.scheduler.devices), down,
                                                                  len(self.scheduler.backoff))
            # The first period began with every job's first poll at once and ends with the slowest still
            # running (not yet counted): the second is the first to show the steady load.
            if self.scheduler.events.periods == MEASURED_PERIOD:
                capacity.report(capacity.plan(self.scheduler.intervals(), load, seconds), self.options.concurrency,
                                "measured", misfires)

    def health(self) -> tuple[bool, str]:
        if not self.running:
            return False, "not running"
        return True, f"ok: {len(self.scheduler.devices)} devices, shard {self.options.shard}"


def default_watch_paths(inventory_path: Path, secrets_file: Path | None) -> tuple[Path, ...]:
    paths = [inventory_path]
    if secrets_file is not None and os.path.exists(secrets_file):
        paths.append(secrets_file)
    return tuple(paths)
