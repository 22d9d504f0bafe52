"""The one normalised connection fact that connlog keeps, whatever its source.

Only what French law (CPCE R10-13) asks a public Wi-Fi operator to keep: addresses, ports, terminal
identifier, times and durations, and optionally the identity collected by a captive portal. Never a
destination, a URL or content: parsers drop those before a Record is built.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, fields


class Kind(enum.StrEnum):
    radius = "radius"  # a RADIUS accounting session (Start/Interim-Update/Stop)
    nat = "nat"  # a NAT allocation: private ip[:port] -> public ip:port range
    dhcp = "dhcp"  # a DHCP lease: mac -> private ip


@dataclass(slots=True, frozen=True)
class Record:
    kind: Kind
    source: str  # NAS, firewall or DHCP server that reported it (hostname from the inventory if known)
    received_at: float  # UTC epoch seconds when thdmon received it
    event_time: float  # UTC epoch seconds the fact refers to (start of a session, time of an allocation)
    site: str | None = None
    session_id: str | None = None  # Acct-Session-Id
    status: str | None = None  # Start | Interim-Update | Stop | allocate | release | lease | expire
    client_mac: str | None = None  # aa:bb:cc:dd:ee:ff, normalised
    user_name: str | None = None
    private_ip: str | None = None
    private_port: int | None = None
    public_ip: str | None = None
    public_port_start: int | None = None
    public_port_end: int | None = None
    ap: str | None = None  # Called-Station-Id BSSID / AP name
    ssid: str | None = None
    start: float | None = None
    stop: float | None = None
    duration: float | None = None
    input_octets: int | None = None
    output_octets: int | None = None
    terminate_cause: str | None = None
    lease_seconds: int | None = None

    def to_json(self) -> str:
        # Canonical form (sorted keys, no spaces): what the spool stores and the hash chain covers.
        # getattr over the field names, not dataclasses.asdict, which deep-copies (70% of an append).
        d = {k: v for k in _FIELD_NAMES if (v := getattr(self, k)) is not None}
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Record:
        d = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown record fields: {sorted(unknown)}")
        d["kind"] = Kind(d["kind"])
        return cls(**d)


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Record))
