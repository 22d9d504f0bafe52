"""Every ICMP probe of the process through one socket, read by one reader callback of the event loop.

icmplib's `async_ping` opens a socket per probe. A raw ICMP socket receives every ICMP packet the host
gets, so with 70 probes in flight (5,000 devices every 30 s) each reply wakes 70 sockets: measured here
4.7 ms of CPU per probe against 1.1 ms with 10 in flight, 0.8 core for the département-scale fleet.
Here one socket (raw, or the kernel's unprivileged datagram ICMP socket) sends every echo request; the
loop's reader callback takes each reply and resolves the waiting probe by sequence number, so the cost
per echo stays flat whatever the concurrency (benchmarks/icmp_probe.py). icmplib still creates the
socket (raw or datagram, per privilege) and builds each request packet with its checksum.

Replies are matched by (sequence, source address), and on raw sockets by our identifier too (a raw
socket also sees other programs' echo replies; on a datagram socket the kernel owns the identifier and
delivers only our own replies).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import struct
import time

from icmplib import ICMPRequest, ICMPv4Socket
from icmplib.exceptions import ICMPLibError

ECHO_REPLY = 0
_HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence


class Prober:
    def __init__(self, privileged: bool) -> None:
        self._icmp = ICMPv4Socket(privileged=privileged)
        self._icmp.blocking = False
        self._sock: socket.socket = self._icmp.sock
        self._raw = privileged
        self._id = os.getpid() & 0xFFFF
        self._sequence = itertools.count()
        self._waiting: dict[int, tuple[str, asyncio.Future[float]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(self._sock.fileno(), self._readable)
        return self._loop

    def _readable(self) -> None:
        now = time.monotonic()
        while True:
            try:
                packet, (source, _) = self._sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # e.g. an ICMP error queued on the socket: the probe times out and says so
            offset = (packet[0] & 0x0F) * 4 if self._raw else 0  # raw sockets include the IP header
            if len(packet) < offset + _HEADER.size:
                continue
            kind, _, _, ident, sequence = _HEADER.unpack_from(packet, offset)
            if kind != ECHO_REPLY or (self._raw and ident != self._id):
                continue
            waiting = self._waiting.get(sequence)
            if waiting is not None and waiting[0] == source and not waiting[1].done():
                waiting[1].set_result(now)

    async def echo(self, address: str, count: int, interval: float, timeout: float) -> tuple[list[float], int]:
        """RTTs (seconds) of the answered echo requests among `count` sent to `address`, and how many were
        sent."""
        loop = self._start()
        rtts: list[float] = []
        for n in range(count):
            if n:
                await asyncio.sleep(interval)
            sequence = next(self._sequence) & 0xFFFF
            answered: asyncio.Future[float] = loop.create_future()
            self._waiting[sequence] = (address, answered)
            try:
                sent = time.monotonic()
                try:
                    self._icmp.send(ICMPRequest(address, self._id, sequence))
                except ICMPLibError:
                    continue  # send buffer full or no route: this echo is lost, the probe goes on
                try:
                    async with asyncio.timeout(timeout):
                        rtts.append(await answered - sent)
                except TimeoutError:
                    pass
            finally:
                self._waiting.pop(sequence, None)
        return rtts, count

    def close(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self._sock.fileno())
        self._icmp.close()
