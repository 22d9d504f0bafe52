"""The polling service: inventory -> shard -> scheduler -> store, reloaded without a restart.

It owns the process lifecycle: SIGTERM/SIGINT stop it gracefully (running polls get a grace period,
then are cancelled; engines are closed), SIGHUP or a change of the inventory's files reloads the
inventory. A reload that fails validation is logged and changes nothing: the previous inventory keeps
being polled. The exporter side (HTTP, exposition) is wired by `thdmon serve` through `on_inventory`
hooks: this package never imports the exporter.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from collector.collect import CollectOptions, target_for
from collector.collect import _new_engine as new_engine
from collector.errors import CollectorError
from collector.model import DeviceState, DownReason, PollResult
from collector.schedule import Defaults, IntervalClass, PollObserver, Scheduler
from collector.shard import ALL, Shard, devices_of_shard
from collector.snmp.engine import SnmpEngine, choose_engine
from collector.snmp.poll import DeviceMemory, poll_device
from collector.snmp.profile import Module
from collector.snmp.profile import modules as load_modules
from collector.store import Store
from inventory.model import Device, Inventory

log = logging.getLogger(__name__)

InventoryLoader = Callable[[], Inventory]
InventoryHook = Callable[[Inventory, Mapping[str, Device]], None]


class ClosablePoller(Protocol):
    async def __call__(self, device: Device, cls: IntervalClass) -> PollResult: ...

    def forget(self, hostname: str) -> None: ...

    async def close(self) -> None: ...


class ReloadObserver(Protocol):
    def reloaded(self, ok: bool) -> None: ...


@dataclass(slots=True)
class ServiceOptions:
    shard: Shard = ALL
    defaults: Defaults = field(default_factory=Defaults)
    classes: tuple[IntervalClass, ...] = ("fast",)
    concurrency: int = 64
    reload_interval: float = 5.0  # seconds between checks of the inventory files' mtimes
    shutdown_grace: float = 5.0
    watch_paths: tuple[Path, ...] = ()
    on_inventory: list[InventoryHook] = field(default_factory=list)


def fingerprint(paths: tuple[Path, ...]) -> frozenset[tuple[str, int, int]]:
    """(path, mtime_ns, size) of every file under `paths`: any edit, addition or removal changes it."""
    out: set[tuple[str, int, int]] = set()
    for root in paths:
        candidates = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            try:
                st = path.stat()
            except OSError:
                continue  # removed between listing and stat: the next check sees it gone
            out.add((str(path), st.st_mtime_ns, st.st_size))
    return frozenset(out)


class PollingService:
    def __init__(self, load: InventoryLoader, poller: ClosablePoller, options: ServiceOptions, *,
                 store: Store | None = None, observer: PollObserver | None = None,
                 reload_observer: ReloadObserver | None = None) -> None:
        self._load = load
        self._poller = poller
        self.options = options
        self.store = store or Store()
        self._reload_observer = reload_observer
        self.scheduler = Scheduler(poller, self.store, defaults=options.defaults, classes=options.classes,
                                   observer=observer, concurrency=options.concurrency)
        self.inventory: Inventory | None = None
        self.running = False
        self._reload_requested: asyncio.Event | None = None
        self._fingerprint: frozenset[tuple[str, int, int]] = frozenset()

    def apply(self, inventory: Inventory) -> None:
        """Reconcile the schedule (and hooks) with `inventory`, keeping unchanged devices' state."""
        mine = devices_of_shard(inventory, self.options.shard)
        enabled = {h: d for h, d in mine.items() if d.enabled}
        for hook in self.options.on_inventory:
            hook(inventory, enabled)
        self.inventory = inventory
        report = self.scheduler.sync(enabled, inventory.profiles)
        for hostname in report.removed:
            self._poller.forget(hostname)
        log.info("event=inventory_applied shard=%s devices=%d disabled=%d added=%d removed=%d changed=%d",
                 self.options.shard, len(enabled), len(mine) - len(enabled), len(report.added),
                 len(report.removed), len(report.changed))

    async def reload(self) -> bool:
        """Load the inventory again; on error keep the current one (and say why)."""
        try:
            # Parsing YAML and resolving secrets happens off the event loop, so polls keep their time.
            inventory = await asyncio.to_thread(self._load)
        except Exception as exc:  # an InventoryError names file:line; anything else is not fatal either
            log.error("event=inventory_reload_failed kept=previous error=%s", str(exc).replace("\n", " | "))
            ok = False
        else:
            self.apply(inventory)
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
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        self.scheduler.start()
        self.running = True
        watcher = asyncio.create_task(self._watch(stop))
        try:
            await stop.wait()
        finally:
            self.running = False
            watcher.cancel()
            if install_signals:
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    loop.remove_signal_handler(sig)
            await self.scheduler.shutdown(self.options.shutdown_grace)
            await self._poller.close()
            log.info("event=stopped")

    async def _watch(self, stop: asyncio.Event) -> None:
        assert self._reload_requested is not None
        while not stop.is_set():
            try:
                await asyncio.wait_for(self._reload_requested.wait(), self.options.reload_interval)
                reason = "signal"
            except TimeoutError:
                reason = ""
            self._reload_requested.clear()
            current = await asyncio.to_thread(fingerprint, self.options.watch_paths)
            if reason or current != self._fingerprint:
                self._fingerprint = current
                log.info("event=inventory_reload trigger=%s", reason or "files_changed")
                await self.reload()

    def health(self) -> tuple[bool, str]:
        if not self.running:
            return False, "not running"
        return True, f"ok: {len(self.scheduler.devices)} devices, shard {self.options.shard}"


class SnmpPoller:
    """The SNMP poll of one device (collector.snmp.poll), with per-device memory and shared engines."""

    def __init__(self, inventory: Callable[[], Inventory | None], *, engine: str = "gufo", timeout: float = 2.0,
                 retries: int = 1, max_repetitions: int = 25) -> None:
        self._inventory = inventory
        self._options = CollectOptions(engine=engine, timeout=timeout, retries=retries,
                                       max_repetitions=max_repetitions)
        self._modules: dict[str, Module] = load_modules()
        self._engines: dict[str, SnmpEngine] = {}
        self._memories: dict[str, DeviceMemory] = {}

    async def __call__(self, device: Device, cls: IntervalClass) -> PollResult:
        inventory = self._inventory()
        if inventory is None:
            raise CollectorError("no inventory loaded")
        try:
            target = target_for(device, inventory, self._options)
        except CollectorError as exc:
            return PollResult([], DeviceState(device=device.hostname, up=False, reason=DownReason.error,
                                              detail=str(exc), last_poll=time.time()))
        name = "pysnmp" if choose_engine(target) == "pysnmp" else self._options.engine
        engine = self._engines.get(name) or self._engines.setdefault(name, new_engine(name))
        return await poll_device(engine, target, profile=device.profile, profiles=inventory.profiles,
                                 modules=self._modules, memory=self._memories.setdefault(device.hostname,
                                                                                         DeviceMemory()),
                                 max_repetitions=self._options.max_repetitions)

    def forget(self, hostname: str) -> None:
        self._memories.pop(hostname, None)

    async def close(self) -> None:
        for engine in self._engines.values():
            await engine.close()
        self._engines.clear()


def default_watch_paths(inventory_path: Path, secrets_file: Path | None) -> tuple[Path, ...]:
    paths = [inventory_path]
    if secrets_file is not None and os.path.exists(secrets_file):
        paths.append(secrets_file)
    return tuple(paths)
