"""The polling service: inventory -> shard -> scheduler -> store, reloaded without a restart.

It owns the process lifecycle: SIGTERM/SIGINT stop it gracefully (running polls get a grace period,
then are cancelled; engines are closed), SIGHUP or a change of the inventory's files reloads the
inventory. A reload that fails validation is logged and changes nothing: the previous inventory keeps
being polled. Both interval classes are scheduled (fast and slow modules; the store merges them).
The optional trap receiver re-polls a device at once when it sends a trap. The exporter side (HTTP,
exposition) is wired by `thdmon serve` through `on_inventory` hooks: this package never imports the
exporter.
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

from collector import loop
from collector.model import PollResult
from collector.schedule import Defaults, IntervalClass, PollObserver, Scheduler
from collector.shard import ALL, Shard, devices_of_shard
from collector.snmp.limits import DeviceBackoff
from collector.store import Store
from collector.traps import Trap, TrapReceiver, V3TrapUser
from inventory.errors import InventoryError
from inventory.model import Device, Inventory, SnmpV2cCredential, SnmpV3Credential

log = logging.getLogger(__name__)

InventoryLoader = Callable[[], Inventory]
InventoryHook = Callable[[Inventory, Mapping[str, Device]], None]


class ClosablePoller(Protocol):
    async def __call__(self, device: Device, cls: IntervalClass) -> PollResult: ...

    def set_inventory(self, inventory: Inventory) -> None: ...

    def forget(self, hostname: str) -> None: ...

    async def engine_id(self, device: Device) -> str | None: ...

    async def close(self) -> None: ...


class ReloadObserver(Protocol):
    def reloaded(self, ok: bool) -> None: ...


@dataclass(slots=True)
class ServiceOptions:
    shard: Shard = ALL
    defaults: Defaults = field(default_factory=Defaults)
    classes: tuple[IntervalClass, ...] = ("fast", "slow")
    concurrency: int = 64
    reload_interval: float = 5.0  # seconds between checks of the inventory files' mtimes
    shutdown_grace: float = 5.0
    watch_paths: tuple[Path, ...] = ()
    on_inventory: list[InventoryHook] = field(default_factory=list)
    backoff: DeviceBackoff | None = None  # None: DeviceBackoff's defaults (30 s doubling up to 900 s)
    trap_listen: tuple[str, int] | None = None  # None: no trap receiver
    engine_id_retry: float = 300.0  # seconds between attempts to read an SNMPv3 device's snmpEngineID


@dataclass(frozen=True, slots=True)
class TrapConfig:
    """What the trap receiver accepts, derived from this shard's enabled devices."""

    by_address: dict[str, tuple[str, ...]]  # source address -> hostnames (lab agents may share one)
    communities: tuple[str, ...] = field(repr=False)  # secrets: never in a repr or a log line
    v3_users: tuple[V3TrapUser, ...] = field(repr=False)


def trap_config(inventory: Inventory, devices: Mapping[str, Device], engine_ids: Mapping[str, str]) -> TrapConfig:
    """Sources, v2c communities and v3 users (those whose snmpEngineID is known) of `devices`."""
    by_address: dict[str, list[str]] = {}
    communities: dict[str, None] = {}
    users: dict[V3TrapUser, None] = {}
    for hostname in sorted(devices):
        device = devices[hostname]
        by_address.setdefault(str(device.address), []).append(hostname)
        credential = inventory.credentials.get(device.snmp) if device.snmp else None
        try:
            if isinstance(credential, SnmpV2cCredential):
                communities[inventory.secret(credential.community).get_secret_value()] = None
            elif isinstance(credential, SnmpV3Credential) and hostname in engine_ids:
                users[V3TrapUser(
                    credential.user, engine_ids[hostname], credential.auth_protocol,
                    inventory.secret(credential.auth_key).get_secret_value() if credential.auth_key else None,
                    credential.priv_protocol,
                    inventory.secret(credential.priv_key).get_secret_value() if credential.priv_key else None,
                )] = None
        except KeyError:
            continue  # an unresolved reference: the poller reports that device down with the reason
    return TrapConfig({a: tuple(h) for a, h in by_address.items()}, tuple(communities), tuple(users))


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
                                   observer=observer, concurrency=options.concurrency, backoff=options.backoff)
        self.inventory: Inventory | None = None
        self.running = False
        self._reload_requested: asyncio.Event | None = None
        self._fingerprint: frozenset[tuple[str, int, int]] = frozenset()
        self.traps: TrapReceiver | None = None
        self._trap_config = TrapConfig({}, (), ())
        self.engine_ids: dict[str, str] = {}  # hostname -> snmpEngineID (hex) of SNMPv3 devices
        self._learn_engine_ids: asyncio.Event | None = None

    def apply(self, inventory: Inventory) -> None:
        """Reconcile the schedule (and hooks) with `inventory`, keeping unchanged devices' state.

        The poller validates the inventory first (its profiles' modules): if it refuses, nothing changed.
        """
        self._poller.set_inventory(inventory)
        mine = devices_of_shard(inventory, self.options.shard)
        enabled = {h: d for h, d in mine.items() if d.enabled}
        for hook in self.options.on_inventory:
            hook(inventory, enabled)
        self.inventory = inventory
        report = self.scheduler.sync(enabled, inventory.profiles)
        for hostname in report.removed:
            self._poller.forget(hostname)
        for hostname in [*report.removed, *report.changed]:
            self.engine_ids.pop(hostname, None)  # a changed device may be another agent now
        self._configure_traps()
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
        self._learn_engine_ids = asyncio.Event()
        self._fingerprint = fingerprint(self.options.watch_paths)
        if self.inventory is None:
            self.apply(self._load())
        if self.options.trap_listen is not None:
            config = self._trap_config
            self.traps = TrapReceiver(self.options.trap_listen, self._on_trap,
                                      {a: hs[0] for a, hs in config.by_address.items()},
                                      config.communities, config.v3_users)
            self.traps.start()  # a port already taken is a CollectorError, before any poll starts
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        self.scheduler.start()
        self.running = True
        tasks = [asyncio.create_task(self._watch(stop))]
        if self.traps is not None:
            tasks.append(asyncio.create_task(self._engine_id_loop(stop)))
        try:
            await stop.wait()
        finally:
            self.running = False
            for task in tasks:
                task.cancel()
            if install_signals:
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    loop.remove_signal_handler(sig)
            if self.traps is not None:
                self.traps.close()
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

    # -- traps -------------------------------------------------------------------------------------
    def _configure_traps(self, *, learn: bool = True) -> None:
        if self.inventory is None or self.options.trap_listen is None:
            return
        self._trap_config = config = trap_config(self.inventory, self.scheduler.devices, self.engine_ids)
        if self.traps is not None:
            self.traps.reconfigure({a: hs[0] for a, hs in config.by_address.items()}, config.communities,
                                   config.v3_users)
        if learn and self._learn_engine_ids is not None:
            self._learn_engine_ids.set()  # new or changed SNMPv3 devices: read their engine ids

    def _on_trap(self, trap: Trap) -> None:
        """A trap from a device: poll it now (every device at that address: lab agents share one)."""
        for hostname in self._trap_config.by_address.get(trap.source, ()):
            self.scheduler.trigger(hostname)

    def trap_counts(self) -> dict[str, int]:
        return dict(self.traps.counts) if self.traps is not None else {}

    def _v3_devices_without_engine_id(self) -> list[Device]:
        if self.inventory is None:
            return []
        return [d for h, d in sorted(self.scheduler.devices.items())
                if h not in self.engine_ids and d.snmp is not None
                and isinstance(self.inventory.credentials.get(d.snmp), SnmpV3Credential)]

    async def _engine_id_loop(self, stop: asyncio.Event) -> None:
        """SNMPv3 traps are authenticated with the sender's engine id: read each v3 device's snmpEngineID
        once (one get), again after a reload changed the device, and retry the silent ones periodically."""
        assert self._learn_engine_ids is not None
        while not stop.is_set():
            self._learn_engine_ids.clear()
            devices = self._v3_devices_without_engine_id()
            # Concurrent gets, bounded by the poller's limiter: dead devices cost one timeout, not one each.
            found = await asyncio.gather(*(self._poller.engine_id(d) for d in devices))
            learnt = False
            for device, engine_id in zip(devices, found, strict=True):
                if engine_id and device.hostname in self.scheduler.devices:
                    self.engine_ids[device.hostname] = engine_id
                    learnt = True
                    log.info("event=engine_id_learnt device=%s engine_id=%s", device.hostname, engine_id)
            if learnt:
                self._configure_traps(learn=False)
            try:
                await asyncio.wait_for(self._learn_engine_ids.wait(), self.options.engine_id_retry)
            except TimeoutError:
                pass

    def health(self) -> tuple[bool, str]:
        if not self.running:
            return False, "not running"
        return True, f"ok: {len(self.scheduler.devices)} devices, shard {self.options.shard}"


def default_watch_paths(inventory_path: Path, secrets_file: Path | None) -> tuple[Path, ...]:
    paths = [inventory_path]
    if secrets_file is not None and os.path.exists(secrets_file):
        paths.append(secrets_file)
    return tuple(paths)
