"""Generated Wi-Fi traffic for the store tests: DHCP leases, RADIUS sessions (captive portal users)
and port-block NAT allocations, with known answers to "who had public X:port at T"."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from connlog.record import Kind, Record

DAY0 = dt.datetime(2026, 11, 20, tzinfo=dt.UTC).timestamp()
PUBLIC = "203.0.113.5"
BLOCK = 64


@dataclass
class Truth:
    """Who held a public port block: (public ip, block start, from, until) -> (mac, user, private ip)."""

    holders: list[tuple[str, int, float, float, str, str | None, str]] = field(default_factory=list)

    def who(self, public_ip: str, port: int, at: float) -> tuple[str, str | None, str] | None:
        for ip, start, since, until, mac, user, private in self.holders:
            if ip == public_ip and start <= port < start + BLOCK and since <= at < until:
                return mac, user, private
        return None


def session(seq: int, t: float, minutes: float, mac: str, private_ip: str, block: int, user: str | None,
            site: str = "PARC-SAUSSET", ap: str = "ap-sausset-01", public_ip: str = PUBLIC,
            source: str = "nas-sausset") -> list[Record]:
    """One terminal's visit: DHCP lease, RADIUS Start/Stop, NAT allocate/release, in order of arrival."""
    end = t + minutes * 60
    sid = f"s{seq:08d}"
    common = {"site": site, "client_mac": mac, "private_ip": private_ip}
    return [
        Record(kind=Kind.dhcp, source="dhcp-sausset", received_at=t + 0.1, event_time=t, status="lease",
               lease_seconds=int(minutes * 60), **common),
        Record(kind=Kind.radius, source=source, received_at=t + 2.2, event_time=t + 2, status="Start",
               session_id=sid, user_name=user, ap=ap, ssid="SSD-WiFi", start=t + 2, **common),
        Record(kind=Kind.nat, source="fw-sausset", received_at=t + 3.3, event_time=t + 3, status="allocate",
               private_ip=private_ip, public_ip=public_ip, public_port_start=block,
               public_port_end=block + BLOCK - 1, site=site),
        Record(kind=Kind.radius, source=source, received_at=end + 0.4, event_time=end, status="Stop",
               session_id=sid, user_name=user, ap=ap, ssid="SSD-WiFi", start=t + 2, stop=end,
               duration=end - t - 2, input_octets=123456, output_octets=654321, terminate_cause="User-Request",
               **common),
        Record(kind=Kind.nat, source="fw-sausset", received_at=end + 1.5, event_time=end + 1, status="release",
               private_ip=private_ip, public_ip=public_ip, public_port_start=block,
               public_port_end=block + BLOCK - 1, site=site),
    ]


def generate(days: int = 3, visits_per_day: int = 40, seed: int = 7, start: float = DAY0
             ) -> tuple[list[tuple[int, Record]], Truth]:
    """Spooled records in arrival order (seq from 1) and the ground truth of NAT holders."""
    rng = random.Random(seed)
    events: list[Record] = []
    truth = Truth()
    free_blocks = list(range(1024, 1024 + BLOCK * 200, BLOCK))
    for n in range(days * visits_per_day):
        t = start + n * (86400 / visits_per_day) + rng.uniform(0, 60)
        minutes = rng.uniform(5, 50)
        mac = f"02:00:00:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}"
        private = f"10.20.{(n // 200) % 250}.{n % 200 + 10}"
        block = free_blocks[n % len(free_blocks)]
        user = f"user{n % 17}@portal" if n % 3 else None
        events.extend(session(n, t, minutes, mac, private, block, user))
        truth.holders.append((PUBLIC, block, t + 3, t + minutes * 60 + 1, mac, user, private))
    events.sort(key=lambda r: r.received_at)
    return list(enumerate(events, start=1)), truth
