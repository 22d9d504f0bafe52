"""RADIUS accounting server (RFC 2866) on asyncio UDP: Accounting-Request in, Record spooled, answer out.

Order of checks for each datagram: header sanity (malformed), known NAS by source address
(unknown_nas), Request Authenticator with that NAS's secret (bad_authenticator), code
(unsupported_code), decoding with our dictionary (malformed). Every drop is counted and unanswered,
so a NAS with a wrong secret sees timeouts, as with any RADIUS server. The Accounting-Response goes
out only once the record is fsync'd in the spool: a NAS that got no answer retransmits, and a
retransmission (same NAS address and port, identifier and authenticator within `dedup_window`) is
answered again without being stored twice. A NAS that updates Acct-Delay-Time when it retransmits
sends a new identifier, and after a restart the packet cache is empty: for packets carrying an
Event-Timestamp, the content (NAS, session, status, event time) is a second duplicate key, warmed
from the spool's tail at start-up, so a request made durable just before a crash is not stored again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import struct
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

from pyrad.dictionary import Dictionary
from pyrad.packet import AcctPacket

from connlog import health, validate
from connlog.health import IngestMetrics
from connlog.ingest.parsers import normalise_mac
from connlog.ingest.sources import Nas, Sources
from connlog.ingest.throttle import ThrottledLog
from connlog.ingest.writer import SpoolWriter
from connlog.record import Kind, Record

log = logging.getLogger(__name__)

ACCOUNTING_REQUEST = 4
ACCOUNTING_RESPONSE = 5
_HEADER = struct.Struct("!BBH16s")
_MAX_LENGTH = 4096  # RFC 2865 section 3
_SESSION_STATUSES = {"Start", "Stop", "Interim-Update"}
_BSSID = re.compile(r"^((?:[0-9A-Fa-f]{2}[-:.]?){5}[0-9A-Fa-f]{2})(?:[:]\s*(.*))?$")


def load_dictionary() -> Dictionary:
    with resources.as_file(resources.files("connlog.ingest") / "dictionary") as path:
        return Dictionary(str(path))


def request_authenticator_ok(data: bytes, secret: bytes) -> bool:
    expected = hashlib.md5(data[:4] + bytes(16) + data[20:] + secret, usedforsecurity=False).digest()
    return hmac.compare_digest(expected, data[4:20])


def response(identifier: int, request_authenticator: bytes, secret: bytes) -> bytes:
    head = struct.pack("!BBH", ACCOUNTING_RESPONSE, identifier, 20)
    auth = hashlib.md5(head + request_authenticator + secret, usedforsecurity=False).digest()
    return head + auth


def _one(packet: AcctPacket, name: str) -> Any:
    values = packet.get(name)
    return values[0] if values else None


def _octets(packet: AcctPacket, low: str, high: str) -> int | None:
    lo, hi = _one(packet, low), _one(packet, high)
    if lo is None and hi is None:
        return None
    return ((hi or 0) << 32) + (lo or 0)


def split_called_station(value: str | None) -> tuple[str | None, str | None]:
    """Called-Station-Id "BSSID:SSID" -> (normalised BSSID, SSID); a non-MAC value is an AP name."""
    if not value:
        return None, None
    m = _BSSID.match(value.strip())
    if m is None:
        return value.strip(), None
    return normalise_mac(m.group(1)), (m.group(2) or None)


ContentKey = tuple[str, str | None, str | None, float | None, int | None, int | None]


def _content_key(r: Record, event_timestamp: bool) -> ContentKey | None:
    """What makes two accounting requests the same report, whatever their identifier: the dedup key.

    A session's Start and Stop happen once, and an Interim-Update is told apart by its session time and
    counters, so (NAS, session, status, session time, octets) names one report whether or not it carries
    an Event-Timestamp (without one, the event time is arrival - delay, which a retransmission changes).
    Accounting-On/Off (no session) are keyed by their Event-Timestamp, and not at all without one.
    """
    if r.status in _SESSION_STATUSES and r.session_id:
        return (r.source, r.session_id, r.status, r.duration, r.input_octets, r.output_octets)
    if event_timestamp:
        return (r.source, r.session_id, r.status, r.event_time, None, None)
    return None


_FIXED_LENGTH = {"integer": 4, "ipaddr": 4, "date": 4, "ipv6addr": 16}


def attribute_problem(data: bytes, dictionary: Dictionary) -> str | None:
    """Walk the attributes of a packet (already cut to its Length): each must fit in the packet and
    have the size its type demands. pyrad silently truncates an attribute that runs past the end."""
    pos = 20
    while pos < len(data):
        if pos + 2 > len(data):
            return f"attribute header cut at octet {pos}"
        code, length = data[pos], data[pos + 1]
        if length < 2 or pos + length > len(data):
            return f"attribute {code} at octet {pos}: length {length} runs past the packet end"
        attr = dictionary.attributes.get(dictionary.attrindex.GetBackward(code)) \
            if dictionary.attrindex.HasBackward(code) else None
        size = _FIXED_LENGTH.get(attr.type) if attr is not None else None
        if size is not None and length - 2 != size:
            return f"attribute {code} ({attr.type}) has {length - 2} octets, not {size}"
        pos += length
    return None


class MalformedPacket(ValueError):
    pass


def record_from_packet(packet: AcctPacket, nas: Nas, received_at: float) -> Record:
    status_raw = _one(packet, "Acct-Status-Type")
    if status_raw is None:
        raise MalformedPacket("no Acct-Status-Type")
    status = str(status_raw)
    session_id = _one(packet, "Acct-Session-Id")
    if status in _SESSION_STATUSES and not session_id:
        raise MalformedPacket(f"{status} without Acct-Session-Id")
    event_ts = _one(packet, "Event-Timestamp")
    delay = _one(packet, "Acct-Delay-Time") or 0
    event_time = float(event_ts) if event_ts else received_at - delay
    session_time = _one(packet, "Acct-Session-Time")
    duration = float(session_time) if session_time is not None else None
    start = stop = None
    if status == "Start":
        start = event_time
    elif duration is not None:
        start = event_time - duration
    if status == "Stop":
        stop = event_time
    ap, ssid = split_called_station(_one(packet, "Called-Station-Id"))
    calling = _one(packet, "Calling-Station-Id")
    cause = _one(packet, "Acct-Terminate-Cause")
    framed = _one(packet, "Framed-IP-Address")
    return Record(
        kind=Kind.radius, source=nas.hostname, received_at=received_at, event_time=event_time, site=nas.site,
        session_id=session_id, status=status, client_mac=normalise_mac(calling) if calling else None,
        user_name=_one(packet, "User-Name") or None, private_ip=str(framed) if framed else None,
        ap=ap, ssid=ssid, start=start, stop=stop, duration=duration,
        input_octets=_octets(packet, "Acct-Input-Octets", "Acct-Input-Gigawords"),
        output_octets=_octets(packet, "Acct-Output-Octets", "Acct-Output-Gigawords"),
        terminate_cause=str(cause) if cause is not None else None,
    )


class RadiusAccountingProtocol(asyncio.DatagramProtocol):
    def __init__(self, sources: Sources, writer: SpoolWriter, metrics: IngestMetrics,
                 dictionary: Dictionary | None = None, dedup_window: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.sources = sources
        self.writer = writer
        self.metrics = metrics
        self.dictionary = dictionary or load_dictionary()
        self.dedup_window = dedup_window
        self.clock = clock
        self.transport: asyncio.DatagramTransport | None = None
        # (address, port, identifier, authenticator) -> (expiry, future seq); answered again on retransmission.
        self._seen: OrderedDict[tuple[str, int, int, bytes], tuple[float, asyncio.Future[int]]] = OrderedDict()
        # (nas, session id, status, event time) -> (expiry, future seq): same request, new identifier.
        self._content: OrderedDict[ContentKey, tuple[float, asyncio.Future[int]]] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._log = ThrottledLog(log)
        self.answered = 0
        self.closing = False

    def warm(self, recent: Iterable[tuple[int, Record]]) -> int:
        """Remember records spooled within the window (before a restart) as content duplicates."""
        now = self.clock()
        loop = asyncio.get_running_loop()
        n = 0
        for seq, r in recent:
            # Records do not say whether their event time came from an Event-Timestamp: session reports
            # need no such flag, and Accounting-On/Off are keyed as if they had one (harmless: without
            # one, a retransmission's event time differs and nothing matches).
            key = _content_key(r, True) if r.kind is Kind.radius else None
            if key is None or r.received_at + self.dedup_window <= now:
                continue
            fut: asyncio.Future[int] = loop.create_future()
            fut.set_result(seq)
            self._content[key] = (r.received_at + self.dedup_window, fut)
            n += 1
        return n

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def _drop(self, reason: str, addr: tuple[str, int], detail: str = "") -> None:
        self.metrics.drop(str(Kind.radius), reason)
        self._log.warning(f"{reason}:{addr[0]}", "event=radius_drop reason=%s from=%s:%d %s", reason, addr[0],
                          addr[1], detail)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.closing:
            return  # shutting down: unanswered, the NAS retransmits to the next instance
        received_at = self.clock()
        if len(data) < 20:
            return self._drop(health.MALFORMED, addr, "detail=short_datagram")
        code, identifier, length, authenticator = _HEADER.unpack_from(data)
        if length < 20 or length > _MAX_LENGTH or length > len(data):
            return self._drop(health.MALFORMED, addr, f"detail=bad_length length={length} got={len(data)}")
        data = data[:length]  # RFC 2865: octets beyond Length are padding
        nas = self.sources.nas.get(addr[0])
        if nas is None:
            return self._drop(health.UNKNOWN_NAS, addr)
        if code != ACCOUNTING_REQUEST:
            return self._drop(health.UNSUPPORTED, addr, f"nas={nas.hostname} code={code}")
        if not request_authenticator_ok(data, nas.secret):
            return self._drop(health.BAD_AUTHENTICATOR, addr, f"nas={nas.hostname}")
        self._expire(received_at)
        key = (addr[0], addr[1], identifier, authenticator)
        known = self._seen.get(key)
        if known is not None:
            self.metrics.drop(str(Kind.radius), health.DUPLICATE)
            fut = known[1]
        else:
            bad = attribute_problem(data, self.dictionary)
            if bad is not None:
                return self._drop(health.MALFORMED, addr, f"nas={nas.hostname} detail={bad!r}")
            try:
                packet = AcctPacket(packet=data, dict=self.dictionary, secret=nas.secret)
                record = record_from_packet(packet, nas, received_at)
            except Exception as exc:  # pyrad raises several types on bad attributes
                return self._drop(health.MALFORMED, addr, f"nas={nas.hostname} detail={type(exc).__name__}")
            invalid = validate.problem(record)
            if invalid is not None:
                return self._drop(invalid.reason, addr, f"nas={nas.hostname} detail={invalid.detail!r}")
            content = _content_key(record, bool(packet.get("Event-Timestamp")))
            same = self._content.get(content) if content else None
            if same is not None:
                self.metrics.drop(str(Kind.radius), health.DUPLICATE)
                fut = same[1]
            else:
                fut = asyncio.ensure_future(self.writer.append(record))
                if content:
                    self._content[content] = (received_at + self.dedup_window, fut)
            self._seen[key] = (received_at + self.dedup_window, fut)
        task = asyncio.ensure_future(self._answer(fut, identifier, authenticator, nas, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, fut: asyncio.Future[int], identifier: int, authenticator: bytes, nas: Nas,
                      addr: tuple[str, int]) -> None:
        try:
            await asyncio.shield(fut)
        except Exception:
            # Not durable: no answer, the NAS will retransmit; forget it so the retransmission retries.
            self.metrics.drop(str(Kind.radius), health.SPOOL_ERROR)
            for cache in (self._seen, self._content):
                for key, (_, f) in list(cache.items()):
                    if f is fut:
                        del cache[key]
            return
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(response(identifier, authenticator, nas.secret), addr)
            self.answered += 1

    def _expire(self, now: float) -> None:
        for cache in (self._seen, self._content):
            while cache:
                key, (expiry, fut) = next(iter(cache.items()))
                if expiry > now or not fut.done():
                    break
                del cache[key]

    async def drain(self) -> None:
        """Stop taking requests, then wait for pending answers (durable records still get theirs)."""
        self.closing = True
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
