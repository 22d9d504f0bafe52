"""Syslog receiver (UDP and TCP) for NAT and DHCP logs: frames -> header -> named patterns -> spool.

TCP frames follow RFC 6587, decided frame by frame: octet counting (`LEN SP MSG`) when the frame starts
with a digit, else non-transparent framing ended by LF (or NUL). A frame longer than `max_frame`, or a
bad count, is counted as malformed and the connection closed (the stream cannot be re-synchronised).
UDP: one datagram, one message. Lines a pattern declares `ignore` are counted (reason `ignored`);
lines no pattern matches go to the quarantine; lines whose values do not convert are malformed.
Syslog has no acknowledgement, so records are spooled in batches without blocking the reader.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

from connlog import health, validate
from connlog.health import IngestMetrics
from connlog.ingest.parsers import Ignored, LineParser, ParseError, Unparsed, parse_syslog
from connlog.ingest.sources import Sources
from connlog.ingest.throttle import ThrottledLog
from connlog.ingest.writer import SpoolWriter
from connlog.quarantine import Quarantine
from connlog.record import Record

log = logging.getLogger(__name__)

SYSLOG = "syslog"  # source_kind label of drops before the kind (nat, dhcp) is known
MAX_FRAME = 64 * 1024


class SyslogIngest:
    """What to do with one syslog frame, whatever the transport."""

    def __init__(self, sources: Sources, parser: LineParser, writer: SpoolWriter, quarantine: Quarantine,
                 metrics: IngestMetrics, bsd_tz: dt.tzinfo = dt.UTC, clock: Callable[[], float] = time.time,
                 accept_unknown: bool = True) -> None:
        self.sources = sources
        self.parser = parser
        self.writer = writer
        self.quarantine = quarantine
        self.metrics = metrics
        self.bsd_tz = bsd_tz
        self.clock = clock
        # Beyond loopback a sender is known by the inventory or refused: syslog has no other authentication.
        self.accept_unknown = accept_unknown
        self._pending: set[asyncio.Future[int]] = set()
        self.log = ThrottledLog(log)
        metrics.set_quarantine_lines(quarantine.lines)

    def frame(self, data: bytes, address: str) -> None:
        received_at = self.clock()
        text = data.decode("utf-8", errors="replace").rstrip("\r\n\x00")
        if not text.strip():
            self.metrics.drop(SYSLOG, health.MALFORMED)
            return
        if not self.accept_unknown and address not in self.sources.senders:
            self.metrics.drop(SYSLOG, health.UNKNOWN_SENDER)
            self.log.warning(f"unknown:{address}", "event=syslog_unknown_sender from=%s", address)
            return
        msg = parse_syslog(text, received_at, self.bsd_tz)
        sender = self.sources.sender(address)
        try:
            result = self.parser.parse(msg, sender.hostname, sender.site, received_at)
        except ParseError as exc:
            self.metrics.drop(SYSLOG, health.MALFORMED)
            self.log.warning(f"malformed:{address}", "event=syslog_malformed from=%s error=%s", address, exc)
            return
        if isinstance(result, Ignored):
            self.metrics.drop(SYSLOG, health.IGNORED)
        elif isinstance(result, Unparsed):
            self.quarantine.add(received_at, sender.hostname, msg.app, msg.message)
            self.metrics.set_quarantine_lines(self.quarantine.lines)
        else:
            invalid = validate.problem(result)
            if invalid is not None:
                self.metrics.drop(SYSLOG, invalid.reason)
                self.log.warning(f"invalid:{address}", "event=syslog_invalid from=%s error=%s", address, invalid)
                return
            self._spool(result)

    def _spool(self, record: Record) -> None:
        fut = asyncio.ensure_future(self.writer.append(record))
        self._pending.add(fut)
        fut.add_done_callback(self._done)

    def _done(self, fut: asyncio.Future[int]) -> None:
        self._pending.discard(fut)
        if not fut.cancelled() and fut.exception() is not None:
            self.metrics.drop(SYSLOG, health.SPOOL_ERROR)

    async def drain(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)


class SyslogUdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, ingest: SyslogIngest) -> None:
        self.ingest = ingest

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.ingest.frame(data, addr[0])


class SyslogTcpProtocol(asyncio.Protocol):
    def __init__(self, ingest: SyslogIngest, max_frame: int = MAX_FRAME) -> None:
        self.ingest = ingest
        self.max_frame = max_frame
        self._buf = bytearray()
        self._transport: asyncio.Transport | None = None
        self._peer = "?"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self._peer = peer[0] if peer else "?"

    def data_received(self, data: bytes) -> None:
        self._buf += data
        try:
            self._frames()
        except ValueError as exc:
            reason = health.TOO_LONG if "long" in str(exc) else health.MALFORMED
            self.ingest.metrics.drop(SYSLOG, reason)
            self.ingest.log.warning(f"framing:{self._peer}", "event=syslog_framing_error from=%s error=%s",
                                    self._peer, exc)
            self._buf.clear()
            if self._transport is not None:
                self._transport.close()

    def _frames(self) -> None:
        buf = self._buf
        pos = 0
        while pos < len(buf):
            if buf[pos] in b"\r\n\x00":  # stray trailers between frames
                pos += 1
                continue
            if 0x30 <= buf[pos] <= 0x39:  # octet counting: MSG-LEN SP MSG
                sp = buf.find(b" ", pos, pos + 8)
                if sp < 0:
                    if len(buf) - pos >= 8:
                        raise ValueError("octet count without a space")
                    break
                try:
                    n = int(buf[pos:sp])
                except ValueError:
                    raise ValueError("octet count is not a number") from None
                if n == 0 or n > self.max_frame:
                    raise ValueError(f"frame too long or empty ({n} octets)")
                if len(buf) < sp + 1 + n:
                    break
                self.ingest.frame(bytes(buf[sp + 1:sp + 1 + n]), self._peer)
                pos = sp + 1 + n
            else:
                end = _find_trailer(buf, pos)
                # Whether the LF came in this read or a later one, the frame is measured the same way.
                if (end if end >= 0 else len(buf)) - pos > self.max_frame:
                    raise ValueError(f"frame too long (over {self.max_frame} octets without LF)")
                if end < 0:
                    break
                self.ingest.frame(bytes(buf[pos:end]), self._peer)
                pos = end + 1
        del buf[:pos]

    def eof_received(self) -> bool | None:
        # A last newline-framed message without its LF is still a message.
        if len(self._buf) > self.max_frame:
            self.ingest.metrics.drop(SYSLOG, health.TOO_LONG)
        elif self._buf.strip(b"\r\n\x00") and not (0x30 <= self._buf[0] <= 0x39):
            self.ingest.frame(bytes(self._buf), self._peer)
        elif self._buf.strip(b"\r\n\x00"):
            self.ingest.metrics.drop(SYSLOG, health.MALFORMED)  # truncated octet-counted frame
        self._buf.clear()
        return None


def _find_trailer(buf: bytearray, start: int) -> int:
    lf = buf.find(b"\n", start)
    nul = buf.find(b"\x00", start)
    if nul >= 0 and (lf < 0 or nul < lf):
        return nul
    return lf
