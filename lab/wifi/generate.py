"""Play a realistic park Wi-Fi day through the real network paths, and return its ground truth.

A day is planned deterministically from a seed: clients arrive at the park (more at lunchtime and in
the afternoon, Europe/Paris), get a DHCP lease, open a RADIUS accounting session on one of the park's
APs, get a NAT port block on the firewall, send Interim-Updates every `interim` seconds, then leave
(Stop, block released). Private addresses and port blocks are reused, as on a real network, so a
requisition must use the time. Events are sent as real packets: RADIUS Accounting-Requests over UDP
(retransmitted until answered, like a NAS), syslog frames over TCP with octet counting (RFC 6587),
from the source addresses of the controller, the firewall and the DHCP server. `speed` compresses
time (3600: an hour per second; 0: as fast as the listeners answer).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import heapq
import ipaddress
import math
import random
import socket
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pyrad.packet import AcctPacket

from connlog.ingest.radius import load_dictionary
from lab.errors import LabError

PARIS = ZoneInfo("Europe/Paris")
# Relative arrivals per local hour (park open 07:00-21:00): lunchtime and after-school peaks.
HOUR_WEIGHTS = {7: 1, 8: 2, 9: 3, 10: 4, 11: 5, 12: 8, 13: 8, 14: 6, 15: 6, 16: 9, 17: 10, 18: 8, 19: 5, 20: 2}


@dataclass(frozen=True, slots=True)
class Park:
    site: str = "parc-sausset"
    ssid: str = "Parc-Sausset-WiFi"
    controller: str = "127.0.0.1"  # source address of RADIUS accounting (the NAS)
    firewall: str = "127.0.0.1"  # source address of NAT syslog
    firewall_name: str = "fw-parc-sausset"
    dhcp_server: str = "127.0.0.1"  # source address of DHCP syslog
    dhcp_name: str = "dhcp-parc-sausset"
    dhcp_format: str = "isc"  # isc | kea | dnsmasq
    aps: int = 6
    private_net: str = "10.20.0.0/22"
    public_ips: tuple[str, ...] = ("203.0.113.10", "203.0.113.11")
    port_block: int = 64
    lease_seconds: int = 3600


@dataclass(frozen=True, slots=True)
class Session:
    """One client's visit: what a requisition must find."""

    session_id: str
    client_mac: str
    user_name: str | None
    private_ip: str
    public_ip: str
    port_start: int
    port_end: int
    ap: str
    start: float
    stop: float


@dataclass(slots=True)
class Truth:
    sessions: list[Session] = field(default_factory=list)
    radius_sent: int = 0
    radius_answered: int = 0
    radius_retransmissions: int = 0
    syslog_sent: int = 0

    def who(self, public_ip: str, port: int, at: float) -> Session | None:
        """The session that held public_ip:port at instant `at` (what the police ask)."""
        for s in self.sessions:
            if s.public_ip == public_ip and s.port_start <= port <= s.port_end and s.start <= at < s.stop:
                return s
        return None

    def to_json(self) -> dict[str, Any]:
        return {"sessions": [asdict(s) for s in self.sessions], "radius_sent": self.radius_sent,
                "radius_answered": self.radius_answered, "radius_retransmissions": self.radius_retransmissions,
                "syslog_sent": self.syslog_sent}


@dataclass(order=True, slots=True)
class Event:
    t: float
    order: int
    channel: str = field(compare=False)  # radius | syslog-nat | syslog-dhcp
    payload: Any = field(compare=False)


def _random_mac(rng: random.Random) -> str:
    first = (rng.randrange(256) & 0xFC) | 0x02  # locally administered, unicast: phones randomise MACs
    return ":".join(f"{b:02x}" for b in [first] + [rng.randrange(256) for _ in range(5)])


def _rfc5424(pri: int, t: float, host: str, app: str, msgid: str, msg: str) -> str:
    stamp = dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return f"<{pri}>1 {stamp} {host} {app} - {msgid} - {msg}"


def plan_day(day: dt.date, clients: int, seed: int, park: Park = Park(), interim: float = 600.0,
             ) -> tuple[list[Event], Truth]:
    """Every event of the day in time order, and the truth; the same arguments give the same day."""
    rng = random.Random(f"{seed}:{day.isoformat()}:{park.site}")
    hours = list(HOUR_WEIGHTS)
    weights = [HOUR_WEIGHTS[h] for h in hours]
    closing = dt.datetime.combine(day, dt.time(21, 30), PARIS).timestamp()
    visits = []
    for _ in range(clients):
        hour = rng.choices(hours, weights)[0]
        start = dt.datetime.combine(day, dt.time(hour), PARIS).timestamp() + rng.uniform(0, 3600)
        stay = min(max(rng.lognormvariate(math.log(35 * 60), 0.7), 120.0), 4 * 3600.0)
        visits.append((start, min(start + stay, closing)))
    visits.sort()
    bssids = [f"00:1a:1e:{0x40 + i:02x}:{rng.randrange(256):02x}:{rng.randrange(256):02x}" for i in range(park.aps)]
    net = ipaddress.ip_network(park.private_net)
    free_ips: deque[str] = deque(str(h) for h in list(net.hosts())[10:])
    # The NAT hands out the lowest free block (as CGNATs commonly do): blocks are reused all day long.
    free_blocks: list[tuple[int, str]] = sorted(
        (lo, ip) for lo in range(1024, 65536 - park.port_block + 1, park.port_block) for ip in park.public_ips)
    releases: list[tuple[float, str, tuple[int, str]]] = []
    events: list[Event] = []
    truth = Truth()
    n = 0

    def add(t: float, channel: str, payload: Any) -> None:
        nonlocal n
        events.append(Event(t, n, channel, payload))
        n += 1

    for i, (start, stop) in enumerate(visits):
        # Leases and blocks freed before this arrival go back to the end of the pools (LRU reuse).
        for rel in sorted(r for r in releases if r[0] <= start):
            releases.remove(rel)
            free_ips.append(rel[1])
            heapq.heappush(free_blocks, rel[2])
        if not free_ips or not free_blocks:
            raise LabError(f"park {park.site}: address or port-block pool exhausted at client {i}")
        ip, (lo, pub) = free_ips.popleft(), heapq.heappop(free_blocks)
        hi = lo + park.port_block - 1
        releases.append((stop + 1.0, ip, (lo, pub)))  # freed when the NAT logs the release
        mac = _random_mac(rng)
        user = f"visiteur{rng.randrange(10**6):06d}@portail" if rng.random() < 0.3 else None
        sid = f"{rng.getrandbits(64):016X}"
        ap = rng.choice(bssids)
        truth.sessions.append(Session(sid, mac, user, ip, pub, lo, hi, ap, start, stop))
        add(start, "syslog-dhcp", _dhcp_line(park, start, ip, mac, rng))
        base = {"Acct-Session-Id": sid, "Calling-Station-Id": mac.upper().replace(":", "-"),
                "Called-Station-Id": f"{ap.upper().replace(':', '-')}:{park.ssid}", "Framed-IP-Address": ip,
                "NAS-IP-Address": park.controller, "NAS-Port-Type": "Wireless-802.11"}
        if user:
            base["User-Name"] = user
        add(start + 0.2, "radius", {**base, "Acct-Status-Type": "Start", "Event-Timestamp": int(start)})
        add(start + 0.5, "syslog-nat", _rfc5424(134, start + 0.5, park.firewall_name, "RT_NAT", "RT_SRC_NAT_PBA_ALLOC",
                                                f"RT_SRC_NAT_PBA_ALLOC: Subscriber {ip} used/maximum [1/8] blocks, "
                                                f"allocates port block [{lo}-{hi}] from {pub} in source pool "
                                                f"pool-{park.site} lsys_id: 0"))
        rate_in, rate_out = rng.uniform(2e3, 2e5), rng.uniform(1e3, 5e4)
        t = start + interim
        while t < stop:
            add(t, "radius", {**base, "Acct-Status-Type": "Interim-Update", "Event-Timestamp": int(t),
                              **_octets(t - start, rate_in, rate_out)})
            t += interim
        add(stop, "radius", {**base, "Acct-Status-Type": "Stop", "Event-Timestamp": int(stop),
                             "Acct-Session-Time": int(stop - start), **_octets(stop - start, rate_in, rate_out),
                             "Acct-Terminate-Cause": rng.choice(["Lost-Carrier", "Idle-Timeout", "User-Request"])})
        add(stop + 1.0, "syslog-nat", _rfc5424(134, stop + 1.0, park.firewall_name, "RT_NAT", "RT_SRC_NAT_PBA_RELEASE",
                                               f"RT_SRC_NAT_PBA_RELEASE: Subscriber {ip} used/maximum [0/8] blocks, "
                                               f"releases port block [{lo}-{hi}] from {pub} in source pool "
                                               f"pool-{park.site} lsys_id: 0"))
    events.sort()
    return events, truth


def _octets(seconds: float, rate_in: float, rate_out: float) -> dict[str, int]:
    i, o = int(seconds * rate_in), int(seconds * rate_out)
    return {"Acct-Input-Octets": i & 0xFFFFFFFF, "Acct-Input-Gigawords": i >> 32,
            "Acct-Output-Octets": o & 0xFFFFFFFF, "Acct-Output-Gigawords": o >> 32}


def _dhcp_line(park: Park, t: float, ip: str, mac: str, rng: random.Random) -> str:
    if park.dhcp_format == "isc":
        return _rfc5424(30, t, park.dhcp_name, "dhcpd", "-", f"DHCPACK on {ip} to {mac} (phone-{rng.randrange(999)}) "
                        "via eth1")
    if park.dhcp_format == "kea":
        return _rfc5424(30, t, park.dhcp_name, "kea-dhcp4", "-",
                        f"INFO  [kea-dhcp4.leases/812.140] DHCP4_LEASE_ALLOC [hwtype=1 {mac}], cid=[no info], "
                        f"tid=0x{rng.getrandbits(32):08x}: lease {ip} has been allocated for {park.lease_seconds} "
                        "seconds")
    if park.dhcp_format == "dnsmasq":
        return _rfc5424(30, t, park.dhcp_name, "dnsmasq-dhcp", "-", f"DHCPACK(wlan0) {ip} {mac} phone")
    raise LabError(f"unknown dhcp_format {park.dhcp_format!r} (isc, kea, dnsmasq)")


# -- sending -------------------------------------------------------------------------------------------
class _RadiusNas(asyncio.DatagramProtocol):
    """A NAS's accounting client: up to 255 requests in flight, each retransmitted until answered."""

    def __init__(self, secret: bytes, timeout: float, retries: int, truth: Truth) -> None:
        self.secret = secret
        self.timeout = timeout
        self.retries = retries
        self.truth = truth
        self.dictionary = load_dictionary()
        self.transport: asyncio.DatagramTransport | None = None
        self._waiting: dict[int, tuple[bytes, asyncio.Future[None]]] = {}
        self._ids = asyncio.Queue[int]()
        for i in range(256):
            self._ids.put_nowait(i)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 20:
            return
        ident = data[1]
        waiting = self._waiting.get(ident)
        if waiting is None:
            return
        request_auth = waiting[0][4:20]
        expected = hashlib.md5(data[:4] + request_auth + data[20:] + self.secret, usedforsecurity=False).digest()
        if data[0] == 5 and expected == data[4:20] and not waiting[1].done():
            waiting[1].set_result(None)

    async def send(self, attributes: dict[str, Any]) -> bool:
        ident = await self._ids.get()
        try:
            pkt = AcctPacket(id=ident, secret=self.secret, dict=self.dictionary)
            for k, v in attributes.items():
                pkt[k] = v
            raw = pkt.RequestPacket()
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting[ident] = (raw, fut)
            self.truth.radius_sent += 1
            for attempt in range(self.retries + 1):
                assert self.transport is not None
                self.transport.sendto(raw)
                if attempt:
                    self.truth.radius_retransmissions += 1
                try:
                    await asyncio.wait_for(asyncio.shield(fut), self.timeout)
                    self.truth.radius_answered += 1
                    return True
                except TimeoutError:
                    continue
            return False
        finally:
            self._waiting.pop(ident, None)
            self._ids.put_nowait(ident)


async def _syslog_stream(source: str, target: tuple[str, int]) -> asyncio.StreamWriter:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((source, 0))
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, target)
    _, writer = await asyncio.open_connection(sock=sock)
    return writer


async def play(events: list[Event], truth: Truth, park: Park, secret: bytes, radius: tuple[str, int],
               syslog: tuple[str, int], speed: float = 0.0, timeout: float = 2.0, retries: int = 5) -> Truth:
    """Send every event; returns `truth` with the counts filled in. Raises LabError if a RADIUS request
    was never answered (the listener lost it, or the secret is wrong)."""
    loop = asyncio.get_running_loop()
    try:
        transport, nas = await loop.create_datagram_endpoint(
            lambda: _RadiusNas(secret, timeout, retries, truth), local_addr=(park.controller, 0), remote_addr=radius)
        nat = await _syslog_stream(park.firewall, syslog)
        dhcp = await _syslog_stream(park.dhcp_server, syslog)
    except OSError as exc:
        raise LabError(f"cannot reach the connlog listeners (radius {radius}, syslog {syslog}): {exc}") from None
    pending: set[asyncio.Task[bool]] = set()
    wall0, sim0 = time.monotonic(), events[0].t if events else 0.0
    try:
        for ev in events:
            if speed > 0:
                delay = (ev.t - sim0) / speed - (time.monotonic() - wall0)
                if delay > 0:
                    await asyncio.sleep(delay)
            if ev.channel == "radius":
                task = asyncio.create_task(nas.send(ev.payload))
                pending.add(task)
                task.add_done_callback(pending.discard)
                if len(pending) >= 200:  # keep the window below the 256 RADIUS identifiers
                    await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            else:
                frame = ev.payload.encode()
                (nat if ev.channel == "syslog-nat" else dhcp).write(b"%d %s" % (len(frame), frame))
                truth.syslog_sent += 1
            await asyncio.sleep(0)  # let answers in: a NAS does not queue its whole day
        results = await asyncio.gather(*pending) if pending else []
        for w in (nat, dhcp):
            await w.drain()
    finally:
        for w in (nat, dhcp):
            w.close()
            try:
                await w.wait_closed()
            except OSError:
                pass
        transport.close()
    unanswered = sum(1 for r in results if not r)
    if unanswered:
        raise LabError(f"{unanswered} RADIUS accounting requests were never answered")
    return truth

