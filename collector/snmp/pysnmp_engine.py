"""The reference engine and fallback: pysnmp 7 asyncio, every USM protocol, SNMPv3 contexts.

One pysnmp SnmpEngine per event loop (so one per process in production): its first request costs ~0.3 s
and it keeps the USM time and engine-id caches. MIB lookup is off on the hot path.

pysnmp drops an undecodable datagram silently and later reports a timeout. To tell a lying device from
a silent one, our UDP transport counts the datagrams each peer sent: a timeout after datagrams arrived
from the target's address is `malformed_response`.
"""

from __future__ import annotations

import asyncio
import collections
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    usmAesBlumenthalCfb192Protocol,
    usmAesBlumenthalCfb256Protocol,
    usmAesCfb128Protocol,
    usmDESPrivProtocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.proto import errind, rfc1902, rfc1905

from collector.model import DownReason
from collector.snmp.engine import (
    MAX_WALK_VARBINDS,
    WALK_DEADLINE,
    SnmpError,
    Value,
    Varbind,
    all_absent,
    check_walk_size,
    chunks,
    normalise_oid,
    oid_key,
    repeated,
    walk_deadline,
)
from collector.snmp.target import Target

_AUTH = {
    "MD5": usmHMACMD5AuthProtocol, "SHA": usmHMACSHAAuthProtocol, "SHA224": usmHMAC128SHA224AuthProtocol,
    "SHA256": usmHMAC192SHA256AuthProtocol, "SHA384": usmHMAC256SHA384AuthProtocol,
    "SHA512": usmHMAC384SHA512AuthProtocol,
}
# AES-192/256 as net-snmp and gufo_snmp do them by default (Blumenthal key extension).
_PRIV = {
    "DES": usmDESPrivProtocol, "AES128": usmAesCfb128Protocol, "AES192": usmAesBlumenthalCfb192Protocol,
    "AES256": usmAesBlumenthalCfb256Protocol,
}
_AUTH_ERRORS = (
    errind.UnknownUserName, errind.WrongDigest, errind.AuthenticationFailure, errind.AuthenticationError,
    errind.DecryptionError, errind.UnknownSecurityName, errind.UnsupportedSecurityLevel,
    errind.NotInTimeWindow, errind.UnknownEngineID,
)


def _ipaddress(v: Any) -> str:
    return ".".join(str(b) for b in v.asOctets())


_CONVERT: dict[type, tuple[str, Callable[[Any], Value]]] = {
    rfc1902.Integer32: ("int", int), rfc1902.Integer: ("int", int), univ.Integer: ("int", int),
    rfc1902.Counter32: ("counter32", int), rfc1902.Counter64: ("counter64", int),
    rfc1902.Gauge32: ("gauge32", int), rfc1902.Unsigned32: ("gauge32", int), rfc1902.TimeTicks: ("timeticks", int),
    rfc1902.OctetString: ("octets", bytes), univ.OctetString: ("octets", bytes), rfc1902.Bits: ("octets", bytes),
    rfc1902.Opaque: ("octets", bytes),
    rfc1902.ObjectIdentifier: ("oid", str), rfc1902.ObjectName: ("oid", str), univ.ObjectIdentifier: ("oid", str),
    rfc1902.IpAddress: ("ipaddress", _ipaddress),
    rfc1902.Null: ("null", lambda _v: None), univ.Null: ("null", lambda _v: None),
    rfc1905.NoSuchObject: ("nosuchobject", lambda _v: None),
    rfc1905.NoSuchInstance: ("nosuchinstance", lambda _v: None),
}


def to_varbind(name: Any, value: Any) -> Varbind:
    tag, convert = _CONVERT.get(type(value), ("octets", bytes))
    return Varbind(str(name), convert(value), tag)


class _CountingUdp(udp.UdpAsyncioTransport):
    """pysnmp's UDP transport, counting datagrams per peer to classify silent drops, and dropping those
    from any address and port it has no request out to: pysnmp matches answers by request id only, so
    a forged answer from elsewhere would be taken (gufo_snmp's connected sockets never see one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: collections.Counter[tuple[str, int]] = collections.Counter()
        self.asked: collections.Counter[tuple[str, int]] = collections.Counter()  # requests in flight per peer
        self.foreign = 0

    def datagram_received(self, datagram: bytes, transportAddress: Any) -> None:
        peer = (transportAddress[0], transportAddress[1])
        if not self.asked[peer]:
            self.foreign += 1
            return
        self.received[peer] += 1
        super().datagram_received(datagram, transportAddress)


_ENGINES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[SnmpEngine, _CountingUdp]] = (
    weakref.WeakKeyDictionary()
)


def _shared_engine() -> tuple[SnmpEngine, _CountingUdp]:
    loop = asyncio.get_running_loop()
    found = _ENGINES.get(loop)
    if found is None:
        engine = SnmpEngine()
        transport = _CountingUdp(loop=loop).open_client_mode()
        config.add_transport(engine, udp.DOMAIN_NAME, transport)
        found = _ENGINES[loop] = (engine, transport)
    return found


class PysnmpEngine:
    """SnmpEngine over pysnmp 7 (asyncio, lookupMib=False)."""

    def __init__(self, *, walk_seconds: float = WALK_DEADLINE, walk_varbinds: int = MAX_WALK_VARBINDS) -> None:
        """`walk_seconds` and `walk_varbinds` bound every walk, whatever the agent does."""
        self._transports: dict[Target, UdpTransportTarget] = {}
        self._proven: set[Target] = set()  # SNMPv3 targets that have answered with these credentials
        self._walk_seconds, self._walk_varbinds = walk_seconds, walk_varbinds

    async def get(self, target: Target, oids: Sequence[str]) -> list[Varbind]:
        wanted = [normalise_oid(o) for o in oids]
        varbinds: list[Varbind] = []
        for part in chunks(wanted):
            vbs = await self._request(target, "get", get_cmd, *(ObjectType(ObjectIdentity(o)) for o in part))
            got = [to_varbind(name, value) for name, value in vbs]
            repeated(target, "get", [vb.oid for vb in got])
            varbinds += got
        all_absent(wanted, varbinds, target.endpoint)
        return varbinds

    async def bulk_walk(self, target: Target, root: str, max_repetitions: int = 25) -> list[Varbind]:
        base = normalise_oid(root)
        async with walk_deadline(target, base, self._walk_seconds):
            out = await self._walk(target, base, max_repetitions)
        if not out:
            raise SnmpError(DownReason.no_such_object, f"{target.endpoint}: nothing under {base}")
        return out

    async def _walk(self, target: Target, base: str, max_repetitions: int) -> list[Varbind]:
        prefix = base + "."
        out: list[Varbind] = []
        cursor = base
        while True:
            start = cursor
            vbs = await self._request(target, "walk", bulk_cmd, 0, max_repetitions, ObjectType(ObjectIdentity(start)))
            if not vbs:
                break
            done = False
            first = len(out)
            for name, value in vbs:
                if isinstance(value, rfc1905.EndOfMibView):
                    done = True
                    break
                vb = to_varbind(name, value)
                if not vb.oid.startswith(prefix):
                    done = True
                    break
                out.append(vb)
            repeated(target, f"walk of {base}", [vb.oid for vb in out[first:]])
            check_walk_size(target, base, len(out), self._walk_varbinds)
            if done or not out:
                break
            cursor = out[-1].oid
            if oid_key(cursor) <= oid_key(start):
                raise SnmpError(DownReason.malformed_response,
                                f"{target.endpoint}: walk of {base} went backwards at {cursor}")
        return out

    async def close(self) -> None:
        """Forget the targets and close this event loop's pysnmp engine (its socket and timer).

        The engine is shared per loop: close when the process's poller stops, not per device.
        """
        self._transports.clear()
        found = _ENGINES.pop(asyncio.get_running_loop(), None)
        if found is not None:
            found[0].close_dispatcher()

    async def _request(self, target: Target, what: str, command: Callable[..., Any], *args: Any) -> Sequence[Any]:
        try:
            vbs = await self._request_once(target, what, command, *args)
        except SnmpError as exc:
            # pysnmp never re-learns a rebooted or replaced agent's engine id / boots on its own (each
            # request then fails forever): forget what it cached about the peer and try once more.
            stale = exc.reason is DownReason.auth_failure or exc.heard
            if target.version != "3" or target not in self._proven or not stale:
                raise
            self._proven.discard(target)
            _forget_peer(_shared_engine()[0], target.address, target.port)
            vbs = await self._request_once(target, what, command, *args)
        self._proven.add(target)
        return vbs

    async def _request_once(self, target: Target, what: str, command: Callable[..., Any],
                            *args: Any) -> Sequence[Any]:
        engine, counting = _shared_engine()
        transport = self._transports.get(target)
        if transport is None:
            transport = await UdpTransportTarget.create(
                (target.address, target.port), timeout=target.timeout, retries=target.retries)
            self._transports[target] = transport
        peer = (transport.transport_address[0], transport.transport_address[1])
        before = counting.received[peer]
        counting.asked[peer] += 1
        try:
            err_ind, err_stat, err_idx, vbs = await command(
                engine, _auth(target), transport, _context(target), *args, lookupMib=False)
        finally:
            counting.asked[peer] -= 1
            if not counting.asked[peer]:
                del counting.asked[peer]
        if err_ind:
            raise _classify(err_ind, target, what, counting.received[peer] > before) from None
        if err_stat:
            raise SnmpError(DownReason.error, f"{target.endpoint}: {what}: agent error {err_stat.prettyPrint()} "
                                              f"at index {int(err_idx)}")
        return vbs

    # pysnmp keys its USM table by user name: one key set per user name per process (see docs).


def _forget_peer(engine: SnmpEngine, address: str, port: int) -> None:
    """Drop pysnmp's cached engine id (message processing) and timeline (USM) for one agent.

    Both caches are private to pysnmp (name-mangled attributes of 7.1); if a future pysnmp renames them
    this does nothing and the conformance test of an agent reboot fails loudly.
    """
    mp = engine.message_processing_subsystems.get(3)
    cache: dict[Any, dict[str, Any]] = getattr(mp, "_SnmpV3MessageProcessingModel__engineIdCache", {})
    usm = engine.security_models.get(3)
    timeline: dict[Any, Any] = getattr(usm, "_SnmpUSMSecurityModel__timeline", {})
    for key in [k for k in cache if tuple(k[1][:2]) == (address, port)]:
        timeline.pop(cache.pop(key).get("securityEngineId"), None)


def _auth(target: Target) -> CommunityData | UsmUserData:
    if target.version == "2c":
        assert target.community is not None
        # The inventory decides the version per device; many access switches only do v2c.
        return CommunityData(target.community.get_secret_value(), mpModel=1)  # noqa: S508
    v3 = target.v3
    assert v3 is not None
    kwargs: dict[str, Any] = {}
    if v3.auth_protocol and v3.auth_key:
        kwargs.update(authKey=v3.auth_key.get_secret_value(), authProtocol=_AUTH[v3.auth_protocol])
    if v3.priv_protocol and v3.priv_key:
        kwargs.update(privKey=v3.priv_key.get_secret_value(), privProtocol=_PRIV[v3.priv_protocol])
    return UsmUserData(v3.user, **kwargs)  # noqa: S509  (the level is the inventory's choice)


def _context(target: Target) -> ContextData:
    if target.v3 is not None and target.v3.context:
        return ContextData(contextName=target.v3.context.encode())
    return ContextData()


def _classify(err: Any, target: Target, what: str, heard_back: bool) -> SnmpError:
    where = f"{target.endpoint}: {what}"
    if isinstance(err, errind.RequestTimedOut):
        if heard_back:
            return SnmpError(DownReason.malformed_response, f"{where}: answers arrived but none could be decoded",
                             heard=True)
        attempts = target.retries + 1
        return SnmpError(DownReason.timeout, f"{where}: no answer in {attempts} x {target.timeout:g} s")
    if isinstance(err, _AUTH_ERRORS):
        return SnmpError(DownReason.auth_failure, f"{where}: SNMPv3 {err}")
    if isinstance(err, (errind.DeserializationError, errind.InvalidMsg)):
        return SnmpError(DownReason.malformed_response, f"{where}: {err}")
    return SnmpError(DownReason.error, f"{where}: {err}")
