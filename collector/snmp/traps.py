"""SNMP trap receiver (pysnmp): link, restart and authentication traps trigger an immediate re-poll.

Only traps from the inventory's devices are acted upon: the source address is looked up in the
inventory; anything else is counted as `unknown_source` and dropped (a trap is cheap to forge, so it
may only ever cause a poll, never change a state by itself). SNMPv2c communities and SNMPv3 users come
from the inventory credentials; SNMPv3 traps need the sender's engine id (authoritative for traps).
`reconfigure()` applies a reloaded inventory (addresses, communities, users) without rebinding.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv
from pysnmp.proto.api import v2c

from collector.errors import CollectorError

log = logging.getLogger(__name__)

SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1."
STANDARD_TRAPS = {
    "1.3.6.1.6.3.1.1.5.1": "coldStart",
    "1.3.6.1.6.3.1.1.5.2": "warmStart",
    "1.3.6.1.6.3.1.1.5.3": "linkDown",
    "1.3.6.1.6.3.1.1.5.4": "linkUp",
    "1.3.6.1.6.3.1.1.5.5": "authenticationFailure",
}
# Traps that mean the device's state changed: poll it now rather than at its next interval.
REPOLL_TRAPS = frozenset(STANDARD_TRAPS.values())

_AUTH = {
    None: config.USM_AUTH_NONE, "MD5": config.USM_AUTH_HMAC96_MD5, "SHA": config.USM_AUTH_HMAC96_SHA,
    "SHA224": config.USM_AUTH_HMAC128_SHA224, "SHA256": config.USM_AUTH_HMAC192_SHA256,
    "SHA384": config.USM_AUTH_HMAC256_SHA384, "SHA512": config.USM_AUTH_HMAC384_SHA512,
}
_PRIV = {
    None: config.USM_PRIV_NONE, "DES": config.USM_PRIV_CBC56_DES, "AES": config.USM_PRIV_CFB128_AES,
    "AES128": config.USM_PRIV_CFB128_AES, "AES192": config.USM_PRIV_CFB192_AES,
    "AES256": config.USM_PRIV_CFB256_AES,
}


@dataclass(frozen=True, slots=True)
class Trap:
    source: str  # sender address
    device: str | None  # inventory hostname, None if unknown
    name: str  # coldStart, linkDown, ... or the trap OID for vendor traps
    oid: str
    if_index: int | None
    received_at: float


@dataclass(frozen=True)
class V3TrapUser:
    """An SNMPv3 user allowed to send traps, with the engine id of the device that sends them."""

    user: str
    engine_id: str  # hex, as configured on the device (snmpEngineID)
    auth_protocol: str | None = None
    auth_key: str | None = None
    priv_protocol: str | None = None
    priv_key: str | None = None

    def __repr__(self) -> str:  # keys never printed
        return f"V3TrapUser(user={self.user!r}, engine_id={self.engine_id!r})"


class TrapReceiver:
    def __init__(self, listen: tuple[str, int], on_trap: Callable[[Trap], None],
                 devices_by_address: Mapping[str, str], communities: Iterable[str] = (),
                 v3_users: Iterable[V3TrapUser] = ()) -> None:
        self._listen = listen
        self._on_trap = on_trap
        self._devices = dict(devices_by_address)
        self._communities = list(dict.fromkeys(communities))
        self._v3_users = list(dict.fromkeys(v3_users))
        self._engine: engine.SnmpEngine | None = None
        self.counts: dict[str, int] = {}

    def start(self) -> None:
        """Bind and register; must be called with a running asyncio loop."""
        snmp_engine = engine.SnmpEngine()
        ipv6 = ":" in self._listen[0]
        transport = udp6 if ipv6 else udp
        # Bound here, synchronously: pysnmp binds in a background task, where a port already taken would
        # only be logged by asyncio while the service believed it was receiving traps.
        sock = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(self._listen)
            sock.setblocking(False)
            config.add_transport(snmp_engine, transport.DOMAIN_NAME,
                                 transport.UdpAsyncioTransport().open_server_mode(sock=sock))
        except Exception as exc:
            sock.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise CollectorError(f"trap receiver cannot listen on {self._listen[0]}:{self._listen[1]}: "
                                 f"{reason}") from None
        self._listen = sock.getsockname()[:2]  # the real port when 0 was asked
        self._register(snmp_engine, self._communities, self._v3_users)
        ntfrcv.NotificationReceiver(snmp_engine, self._received)
        self._engine = snmp_engine
        log.info("event=trap_receiver_started listen=%s:%s", *self._listen)

    @staticmethod
    def _register(snmp_engine: engine.SnmpEngine, communities: list[str], v3_users: list[V3TrapUser]) -> None:
        for i, community in enumerate(communities):
            config.add_v1_system(snmp_engine, f"trap-area-{i}", community)
        for u in v3_users:
            config.add_v3_user(snmp_engine, u.user, _AUTH[u.auth_protocol], u.auth_key,
                               _PRIV[u.priv_protocol], u.priv_key,
                               securityEngineId=v2c.OctetString(hexValue=u.engine_id))

    def reconfigure(self, devices_by_address: Mapping[str, str], communities: Iterable[str] = (),
                    v3_users: Iterable[V3TrapUser] = ()) -> None:
        """A reloaded inventory: new sources, communities and users apply to the next trap."""
        self._devices = dict(devices_by_address)  # replaced whole: a trap sees the old or the new map
        new_communities = list(dict.fromkeys(communities))
        new_users = list(dict.fromkeys(v3_users))
        if self._engine is not None and (new_communities, new_users) != (self._communities, self._v3_users):
            for i in range(len(self._communities)):
                config.delete_v1_system(self._engine, f"trap-area-{i}")
            for u in self._v3_users:
                config.delete_v3_user(self._engine, u.user, v2c.OctetString(hexValue=u.engine_id))
            self._register(self._engine, new_communities, new_users)
        self._communities, self._v3_users = new_communities, new_users

    @property
    def port(self) -> int:
        return self._listen[1]

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def _received(self, snmp_engine: engine.SnmpEngine, state_reference: object, context_engine_id: object,
                  context_name: object, varbinds: list, cb_ctx: object) -> None:
        _domain, address = snmp_engine.message_dispatcher.get_transport_info(state_reference)
        source = str(address[0])
        trap_oid = ""
        if_index: int | None = None
        for name, value in varbinds:
            oid = str(name)
            if oid == SNMP_TRAP_OID:
                trap_oid = str(value)
            elif oid.startswith(IF_INDEX):
                try:
                    if_index = int(value)
                except (TypeError, ValueError):
                    if_index = None
        device = self._devices.get(source)
        trap_name = STANDARD_TRAPS.get(trap_oid, trap_oid or "unknown")
        if device is None:
            self._count("unknown_source")
            log.info("event=trap_dropped reason=unknown_source source=%s trap=%s", source, trap_name)
            return
        self._count(trap_name if trap_name in REPOLL_TRAPS else "other")
        trap = Trap(source, device, trap_name, trap_oid, if_index, time.time())
        log.info("event=trap device=%s trap=%s if_index=%s", device, trap_name, if_index)
        try:
            self._on_trap(trap)
        except Exception:  # a faulty consumer must not kill the receiver
            log.exception("event=trap_callback_failed device=%s", device)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
