"""SNMP traps beside the schedule: a trap from a device re-polls it at once over SNMP.

`TrapWatch` is a companion of the polling service (collector.service): it receives the inventory the
service applies, keeps the trap receiver's sources and credentials in step with it, and learns the
snmpEngineID of each SNMPv3 device (SNMPv3 traps are authenticated with the sender's engine id): one
get per device, again after a reload changed it, and periodically for the silent ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from collector.snmp.traps import Trap, TrapReceiver, V3TrapUser
from inventory.model import Device, Inventory, SnmpV2cCredential, SnmpV3Credential

log = logging.getLogger(__name__)

EngineIdReader = Callable[[Device], Awaitable[str | None]]
Trigger = Callable[[str], bool]


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
        if device.snmp is None:
            continue  # not polled over SNMP: its traps would re-poll nothing
        credential = inventory.credentials.get(device.snmp)
        by_address.setdefault(str(device.address), []).append(hostname)
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


class TrapWatch:
    def __init__(self, listen: tuple[str, int], trigger: Trigger, engine_id: EngineIdReader, *,
                 engine_id_retry: float = 300.0) -> None:
        self._listen = listen
        self._trigger = trigger
        self._engine_id = engine_id
        self._retry = engine_id_retry
        self._inventory: Inventory | None = None
        self._devices: dict[str, Device] = {}
        self._config = TrapConfig({}, (), ())
        self.engine_ids: dict[str, str] = {}  # hostname -> snmpEngineID (hex) of SNMPv3 devices
        self.receiver: TrapReceiver | None = None
        self._learn = asyncio.Event()

    def apply(self, inventory: Inventory, devices: Mapping[str, Device], changed: list[str]) -> None:
        """The service applied `inventory`; `devices` are this shard's enabled ones."""
        for hostname in changed:
            self.engine_ids.pop(hostname, None)  # a changed device may be another agent now
        for hostname in [h for h in self.engine_ids if h not in devices]:
            del self.engine_ids[hostname]
        self._inventory, self._devices = inventory, dict(devices)
        self._configure()
        self._learn.set()  # new or changed SNMPv3 devices: read their engine ids

    def start(self) -> None:
        """Bind the receiver (a port already taken is a CollectorError, before any poll starts)."""
        config = self._config
        self.receiver = TrapReceiver(self._listen, self._on_trap, {a: hs[0] for a, hs in config.by_address.items()},
                                     config.communities, config.v3_users)
        self.receiver.start()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._learn.clear()
            devices = self._v3_devices_without_engine_id()
            found = await asyncio.gather(*(self._engine_id(d) for d in devices))
            learnt = False
            for device, engine_id in zip(devices, found, strict=True):
                if engine_id and device.hostname in self._devices:
                    self.engine_ids[device.hostname] = engine_id
                    learnt = True
                    log.info("event=engine_id_learnt device=%s engine_id=%s", device.hostname, engine_id)
            if learnt:
                self._configure()
            try:
                await asyncio.wait_for(self._learn.wait(), self._retry)
            except TimeoutError:
                pass

    def close(self) -> None:
        if self.receiver is not None:
            self.receiver.close()

    def counts(self) -> dict[str, int]:
        return dict(self.receiver.counts) if self.receiver is not None else {}

    def _configure(self) -> None:
        if self._inventory is None:
            return
        self._config = config = trap_config(self._inventory, self._devices, self.engine_ids)
        if self.receiver is not None:
            self.receiver.reconfigure({a: hs[0] for a, hs in config.by_address.items()}, config.communities,
                                      config.v3_users)

    def _on_trap(self, trap: Trap) -> None:
        """A trap from a device: poll it now (every device at that address: lab agents share one)."""
        for hostname in self._config.by_address.get(trap.source, ()):
            self._trigger(hostname)

    def _v3_devices_without_engine_id(self) -> list[Device]:
        if self._inventory is None:
            return []
        return [d for h, d in sorted(self._devices.items())
                if h not in self.engine_ids and d.snmp is not None
                and isinstance(self._inventory.credentials.get(d.snmp), SnmpV3Credential)]
