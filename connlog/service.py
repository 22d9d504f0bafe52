"""The ingest process: RADIUS and syslog listeners, the spool writer and the feeder, in one asyncio loop.

Listeners and the spool never wait for the database: the feeder thread moves records to the sink and
retries with backoff while it is down. Stopping closes the listeners first, waits for records already
received to be durable (and answered), then stops the feeder and closes the spool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from collector.errors import CollectorError
from connlog import health
from connlog.errors import ConnlogError
from connlog.feeder import Backoff, Feeder
from connlog.health import IngestMetrics
from connlog.ingest.parsers import LineParser, load_patterns
from connlog.ingest.radius import RadiusAccountingProtocol
from connlog.ingest.sources import Sources
from connlog.ingest.syslog import SYSLOG, SyslogIngest, SyslogTcpProtocol, SyslogUdpProtocol
from connlog.ingest.writer import SpoolWriter
from connlog.interfaces import RecordSink
from connlog.quarantine import Quarantine
from connlog.spool import DEFAULT_SEGMENT_BYTES, DiskSpool
from exporters.http import BasicAuth, MetricsServer, Tls, check_exposure, is_loopback

log = logging.getLogger(__name__)

Address = tuple[str, int]


def parse_address(text: str, what: str) -> Address:
    """"127.0.0.1:1813" or "[::1]:1813" -> (host, port), with a message naming the option."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConnlogError(f"{what}: {text!r} is not ADDRESS:PORT")
    return host, int(port)


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    spool_dir: Path
    radius: Address | None = ("127.0.0.1", 1813)
    syslog: Address | None = ("127.0.0.1", 5514)  # UDP and TCP on the same port
    metrics: Address | None = None
    quarantine: Path | None = None  # default: <spool_dir>/quarantine.log
    patterns: Path | None = None  # default: connlog/ingest/patterns.yaml
    rfc3164_timezone: str = "Europe/Paris"  # BSD syslog timestamps carry no zone
    segment_bytes: int = DEFAULT_SEGMENT_BYTES
    batch_size: int = 5000
    backoff: Backoff = field(default_factory=Backoff)
    fsync: bool = True
    # The one listener rule (exporters.http): loopback unless configured; beyond it /metrics needs basic
    # auth, RADIUS needs a known NAS and its secret (always), syslog takes inventory senders only.
    metrics_auth: BasicAuth | None = None
    metrics_tls: Tls | None = None


class IngestService:
    def __init__(self, config: ServiceConfig, sources: Sources,
                 sink: RecordSink | Callable[[], RecordSink] | None = None,
                 metrics: IngestMetrics | None = None) -> None:
        self.config = config
        self.sources = sources
        self._sink = sink
        self.metrics = metrics or IngestMetrics()
        self.spool: DiskSpool | None = None
        self.feeder: Feeder | None = None
        self.writer: SpoolWriter | None = None
        self.radius: RadiusAccountingProtocol | None = None
        self.syslog: SyslogIngest | None = None
        self.quarantine: Quarantine | None = None
        self.radius_address: Address | None = None
        self.syslog_address: Address | None = None
        self.metrics_address: Address | None = None
        self._transports: list[asyncio.BaseTransport] = []
        self._tcp: asyncio.Server | None = None
        self._http: Any = None

    async def start(self) -> None:
        cfg = self.config
        patterns = load_patterns(cfg.patterns)  # validate config before binding anything
        if cfg.metrics is not None:
            try:
                check_exposure(cfg.metrics[0], cfg.metrics_auth, cfg.metrics_tls)
            except CollectorError as exc:  # the shared HTTP rule's error, told as this command's
                raise ConnlogError(f"--metrics {cfg.metrics[0]}:{cfg.metrics[1]}: {exc}") from None
        try:
            bsd_tz = ZoneInfo(cfg.rfc3164_timezone)
        except Exception:
            raise ConnlogError(f"rfc3164_timezone: unknown time zone {cfg.rfc3164_timezone!r}") from None
        self.spool = DiskSpool(cfg.spool_dir, cfg.segment_bytes, fsync=cfg.fsync)
        if self.spool.torn_lines:
            log.warning("event=spool_recovered torn_lines=%d", self.spool.torn_lines)
        if self._sink is not None:
            self.feeder = Feeder(self.spool, self._sink, self.metrics, cfg.batch_size, backoff=cfg.backoff)
        notify = self.feeder.notify if self.feeder else None
        self.writer = SpoolWriter(self.spool, self.metrics, notify, cfg.batch_size)
        loop = asyncio.get_running_loop()
        try:
            if cfg.radius is not None:
                self.radius = RadiusAccountingProtocol(self.sources, self.writer, self.metrics)
                warmed = self.radius.warm(await asyncio.to_thread(self.spool.tail))
                if warmed:
                    log.warning("event=radius_dedup_warmed records=%d", warmed)
                transport, _ = await loop.create_datagram_endpoint(lambda: self.radius, local_addr=cfg.radius)
                _large_receive_buffer(transport)
                self._transports.append(transport)
                self.radius_address = transport.get_extra_info("sockname")[:2]
            if cfg.syslog is not None:
                self.quarantine = Quarantine(
                    cfg.quarantine or cfg.spool_dir.parent / "connlog-quarantine.log",
                    on_dropped=lambda n: self.metrics.drop(SYSLOG, health.QUARANTINE_ROTATED, n))
                self.syslog = SyslogIngest(self.sources, LineParser(patterns), self.writer, self.quarantine,
                                           self.metrics, bsd_tz, accept_unknown=is_loopback(cfg.syslog[0]))
                await self._bind_syslog(cfg.syslog)
            if cfg.metrics is not None:
                registry = self.metrics.registry
                self._http = MetricsServer(_fmt(cfg.metrics), lambda _accept: (generate_latest(registry),
                                                                                CONTENT_TYPE_LATEST),
                                           lambda: (True, "ok"), auth=cfg.metrics_auth, tls=cfg.metrics_tls)
                self._http.start()
                self.metrics_address = self._http.address
        except OSError as exc:
            await self.stop()
            raise ConnlogError(f"cannot listen: {exc.strerror or exc}") from None
        except CollectorError as exc:  # MetricsServer: port taken, TLS files unreadable
            await self.stop()
            raise ConnlogError(str(exc)) from None
        self.metrics.set_spool_depth(self.spool.depth(0) if self.feeder is None else 0)
        if self.feeder is not None:
            self.feeder.start()
        log.info("event=connlog_ingest_started radius=%s syslog=%s metrics=%s spool=%s",
                    _fmt(self.radius_address), _fmt(self.syslog_address), _fmt(self.metrics_address), cfg.spool_dir)

    async def _bind_syslog(self, address: Address) -> None:
        loop = asyncio.get_running_loop()
        assert self.syslog is not None
        ingest = self.syslog
        # Port 0: UDP picks a port, TCP takes the same number (retried if someone holds it).
        for _ in range(20):
            udp, _ = await loop.create_datagram_endpoint(lambda: SyslogUdpProtocol(ingest), local_addr=address)
            _large_receive_buffer(udp)
            host, port = udp.get_extra_info("sockname")[:2]
            try:
                self._tcp = await loop.create_server(lambda: SyslogTcpProtocol(ingest), host, port,
                                                     family=socket.AF_INET6 if ":" in host else socket.AF_INET,
                                                     reuse_address=True)
            except OSError:
                udp.close()
                if address[1] != 0:
                    raise
                continue
            self._transports.append(udp)
            self.syslog_address = (host, port)
            return
        raise ConnlogError("could not find a free port for syslog UDP and TCP")

    async def stop(self) -> None:
        # Syslog first (no answers owed), then RADIUS: refuse new requests, answer the pending ones.
        if self._tcp is not None:
            self._tcp.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._tcp.wait_closed(), 2)
        for t in self._transports:
            if isinstance(t.get_protocol(), SyslogUdpProtocol):
                t.close()
        if self.syslog is not None:
            await self.syslog.drain()
        if self.radius is not None:
            await self.radius.drain()
        for t in self._transports:
            t.close()
        self._transports.clear()
        if self.writer is not None:
            await self.writer.flush()
            self.writer.close()
        if self.feeder is not None:
            await asyncio.to_thread(self.feeder.stop)
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self.quarantine is not None:
            self.quarantine.close()
        if self.spool is not None:
            self.spool.close()

    async def serve_forever(self, stop: asyncio.Event | None = None,
                            started: Callable[[IngestService], None] | None = None,
                            background: Sequence[Callable[[asyncio.Event], Awaitable[None]]] = ()) -> None:
        """Run until SIGTERM/SIGINT (or `stop` is set), then shut down cleanly.

        `background` duties (e.g. the daily seal and purge) run beside the listeners and get the same
        stop event; they end before the listeners close.
        """
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
        await self.start()
        tasks = [asyncio.create_task(duty(stop)) for duty in background]
        try:
            if started is not None:
                started(self)
            await stop.wait()
        finally:
            stop.set()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            await self.stop()


def _large_receive_buffer(transport: asyncio.BaseTransport, size: int = 4 * 1024 * 1024) -> None:
    # Bursts (a controller rebooting, a firewall flushing) must wait in the kernel, not be dropped there;
    # the kernel caps the size at net.core.rmem_max.
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


def describe(service: IngestService) -> str:
    """One line for people: where the service listens."""
    return (f"radius={_fmt(service.radius_address)} syslog={_fmt(service.syslog_address)} (udp+tcp) "
            f"metrics={_fmt(service.metrics_address)}")


def _fmt(address: Address | None) -> str:
    if address is None:
        return "-"
    return f"[{address[0]}]:{address[1]}" if ":" in address[0] else f"{address[0]}:{address[1]}"
