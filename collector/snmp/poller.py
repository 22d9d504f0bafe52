"""The SNMP poller: one device, one interval class (fast or slow modules), with its profile's modules.

SNMPv3 targets with a context go to pysnmp (gufo_snmp has no context), everything else to the chosen
engine. Engines are created once per poller and shared by all devices (one socket pool, one pysnmp
engine per process). Concurrency and backoff are the scheduler's, not this poller's.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from pydantic import SecretStr

from collector.errors import CollectorError
from collector.model import DeviceState, DownReason, PollResult
from collector.poller import PollerOptions
from collector.snmp.engine import SnmpEngine, choose_engine
from collector.snmp.poll import DeviceMemory, IntervalClass, poll_device
from collector.snmp.profile import Module
from collector.snmp.profile import modules as load_modules
from collector.snmp.target import Target
from inventory.model import Device, Inventory, SnmpV2cCredential, SnmpV3Credential

SNMP_ENGINE_ID = "1.3.6.1.6.3.10.2.1.1.0"  # SNMP-FRAMEWORK-MIB snmpEngineID.0


def new_engine(name: str) -> SnmpEngine:
    """A fresh engine by name (gufo or pysnmp), imported only when first used."""
    if name == "gufo":
        from collector.snmp.gufo_engine import GufoEngine
        return GufoEngine()
    if name == "pysnmp":
        from collector.snmp.pysnmp_engine import PysnmpEngine
        return PysnmpEngine()
    raise CollectorError(f"unknown SNMP engine {name!r} (gufo or pysnmp)")


def check_profiles(inventory: Inventory, modules: Mapping[str, Module]) -> None:
    """Every inventory profile names known SNMP modules: checked once, before any poll."""
    problems = []
    for name, profile in sorted(inventory.profiles.items()):
        unknown = [m for m in (*profile.snmp_modules, *profile.probe_modules) if m not in modules]
        if unknown:
            where = inventory.locations.get(("profiles", name))
            problems.append(f"{where or inventory.root}: profile {name}: unknown SNMP module(s) "
                            f"{', '.join(unknown)}")
    if problems:
        raise CollectorError("inventory profiles name SNMP modules that do not exist "
                             f"(known: {', '.join(sorted(modules))}):\n  " + "\n  ".join(problems))


def target_for(device: Device, inventory: Inventory, options: PollerOptions) -> Target:
    if device.snmp is None:
        raise CollectorError(f"{device.hostname}: no SNMP credential in the inventory")
    credential = inventory.credentials.get(device.snmp)
    if not isinstance(credential, SnmpV2cCredential | SnmpV3Credential):
        raise CollectorError(f"{device.hostname}: credential {device.snmp!r} is not an SNMP credential")

    def resolve(ref: str) -> SecretStr:
        try:
            return inventory.secret(ref)
        except KeyError:
            raise CollectorError(f"{device.hostname}: secret reference {ref} is not resolved") from None

    return Target.from_inventory(device, credential, resolve, timeout=options.timeout, retries=options.retries)


class SnmpPoller:
    """Polls one device for one interval class; keeps each device's memory between polls."""

    protocol = "snmp"
    liveness = True
    classes: tuple[str, ...] = ("fast", "slow")

    def __init__(self, inventory: Inventory, options: PollerOptions,
                 modules: Mapping[str, Module] | None = None) -> None:
        self.modules = modules if modules is not None else load_modules()
        self.options = options
        self.inventory = inventory
        check_profiles(inventory, self.modules)
        self._engines: dict[str, SnmpEngine] = {}
        self._memories: dict[tuple[str, str], DeviceMemory] = {}
        # hostname -> (device, inventory, target): secrets are resolved at inventory load, so a target
        # changes only with its Device or the inventory (a reload builds new ones); not built at every poll.
        self._targets: dict[str, tuple[Device, Inventory, Target]] = {}

    def set_inventory(self, inventory: Inventory) -> None:
        """A reloaded inventory: new credentials and profiles apply from the next poll."""
        check_profiles(inventory, self.modules)
        self.inventory = inventory
        self._targets.clear()
        for key in [k for k in self._memories if k[0] not in inventory.devices]:
            del self._memories[key]

    def wants(self, device: Device) -> bool:
        """Devices with an SNMP credential (a RADIUS-only NAS has none: it is not polled over SNMP)."""
        return device.snmp is not None

    def forget(self, hostname: str) -> None:
        """A device left the schedule: drop its memory of every interval class."""
        for key in [k for k in self._memories if k[0] == hostname]:
            del self._memories[key]
        self._targets.pop(hostname, None)

    def target(self, device: Device) -> Target:
        """The device's target, reused while the same Device of the same inventory is polled."""
        cached = self._targets.get(device.hostname)
        if cached is not None and cached[0] is device and cached[1] is self.inventory:
            return cached[2]
        target = target_for(device, self.inventory, self.options)
        self._targets[device.hostname] = (device, self.inventory, target)
        return target

    def engine_for(self, target: Target) -> SnmpEngine:
        name = "pysnmp" if choose_engine(target) == "pysnmp" else self.options.engine
        if name not in self._engines:
            self._engines[name] = new_engine(name)
        return self._engines[name]

    async def poll(self, device: Device, cls: str | None) -> PollResult:
        """One poll of `cls`'s modules (None: every module, for a one-shot pass)."""
        try:
            target = self.target(device)
        except CollectorError as exc:
            now = time.time()
            return PollResult(samples=[], state=DeviceState(device=device.hostname, up=False,
                                                            reason=DownReason.error, detail=str(exc),
                                                            since=now, last_poll=now))
        interval: IntervalClass | None = "slow" if cls == "slow" else "fast" if cls == "fast" else None
        memory = self._memories.setdefault((device.hostname, cls or "all"), DeviceMemory())
        return await poll_device(self.engine_for(target), target, profile=device.profile,
                                 profiles=self.inventory.profiles, modules=self.modules, memory=memory,
                                 interval=interval, max_repetitions=self.options.max_repetitions)

    async def engine_id(self, device: Device) -> str | None:
        """The device's snmpEngineID in hex (what its SNMPv3 traps are keyed with); None if unknown."""
        try:
            target = target_for(device, self.inventory, self.options)
            varbinds = await self.engine_for(target).get(target, [SNMP_ENGINE_ID])
        except CollectorError:  # SnmpError included: the device is down, the poll says why
            return None
        value = varbinds[0].value if varbinds else None
        return value.hex() if isinstance(value, bytes) and value else None

    async def close(self) -> None:
        for engine in self._engines.values():
            await engine.close()
        self._engines.clear()
