"""What a Record must satisfy before it is spooled: a fact kept for a requisition must be plausible.

Every source (RADIUS, each syslog pattern) builds a Record, then `problem(record)` checks every field:
ports 0-65535, addresses, MAC form, times finite and near the arrival (not absurdly in the future or
the past), durations and counters in range, text that fits the database columns and holds no NUL
(PostgreSQL refuses it, which would stall the feeder on one poisoned row forever). A record with a
problem is never stored: the caller drops it and counts the reason (`thdmon_connlog_dropped_total`).
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass

from connlog.record import Kind, Record

# An event may be stamped at most this far after its arrival (clock skew of the sender); the search
# relies on it to prune PostgreSQL partitions (a record never sits in a partition before its event day - 1).
MAX_FUTURE = 86_400.0
# ... and at most this far before (a firewall's buffer, a spool drained after an outage; beyond the
# technical retention period it would be erased at once anyway).
MAX_PAST = 400 * 86_400.0
MAX_DURATION = MAX_PAST
_MAX_OCTETS = 2**63 - 1  # BIGINT
_MAX_LEASE = 2**31 - 1
_MAC = re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$")
# Column widths of connlog.models.RecordRow (a longer value would make the insert fail).
TEXT_LIMITS = {"source": 255, "site": 255, "session_id": 255, "status": 32, "user_name": 255, "ap": 255,
               "ssid": 64, "terminate_cause": 64}

# Reasons (the `reason` label): a fixed, small set.
INVALID_PORT = "invalid_port"
INVALID_ADDRESS = "invalid_address"
INVALID_MAC = "invalid_mac"
INVALID_TIME = "invalid_time"
INVALID_VALUE = "invalid_value"


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str  # one of the INVALID_* constants
    detail: str  # names the field; never the value of a personal field

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


def problem(record: Record) -> Problem | None:
    """The first thing wrong with `record`, or None if it may be stored."""
    for check in (_ports, _addresses, _mac, _times, _numbers, _texts):
        found = check(record)
        if found is not None:
            return found
    return None


def _ports(r: Record) -> Problem | None:
    for name in ("private_port", "public_port_start", "public_port_end"):
        value = getattr(r, name)
        if value is not None and not (type(value) is int and 0 <= value <= 65535):
            return Problem(INVALID_PORT, f"{name} out of 0-65535")
    if r.public_port_start is not None and r.public_port_end is not None and r.public_port_end < r.public_port_start:
        return Problem(INVALID_PORT, "public_port_end before public_port_start")
    return None


def _addresses(r: Record) -> Problem | None:
    for name in ("private_ip", "public_ip"):
        value = getattr(r, name)
        if value is None:
            continue
        try:
            canonical = str(ipaddress.ip_address(value))
        except ValueError:
            return Problem(INVALID_ADDRESS, f"{name} is not an IP address")
        if canonical != value:
            return Problem(INVALID_ADDRESS, f"{name} is not in canonical form")
    if r.kind is Kind.nat and r.public_ip is None:
        return Problem(INVALID_ADDRESS, "NAT record without a public address")
    return None


def _mac(r: Record) -> Problem | None:
    if r.client_mac is not None and not _MAC.match(r.client_mac):
        return Problem(INVALID_MAC, "client_mac is not aa:bb:cc:dd:ee:ff")
    return None


def _times(r: Record) -> Problem | None:
    if not (isinstance(r.received_at, (int, float)) and math.isfinite(r.received_at)):
        return Problem(INVALID_TIME, "received_at is not a finite number")
    lo, hi = r.received_at - MAX_PAST, r.received_at + MAX_FUTURE
    for name in ("event_time", "start", "stop"):
        value = getattr(r, name)
        if value is None and name != "event_time":
            continue
        if not (isinstance(value, (int, float)) and math.isfinite(value)):
            return Problem(INVALID_TIME, f"{name} is not a finite number")
        if not lo <= value <= hi:
            return Problem(INVALID_TIME, f"{name} more than {MAX_FUTURE / 3600:.0f} h after or "
                                         f"{MAX_PAST / 86400:.0f} days before its arrival")
    if r.start is not None and r.stop is not None and r.stop < r.start:
        return Problem(INVALID_TIME, "stop before start")
    if r.duration is not None and not (math.isfinite(r.duration) and 0 <= r.duration <= MAX_DURATION):
        return Problem(INVALID_TIME, "duration negative or longer than the retention")
    return None


def _numbers(r: Record) -> Problem | None:
    for name, top in (("input_octets", _MAX_OCTETS), ("output_octets", _MAX_OCTETS), ("lease_seconds", _MAX_LEASE)):
        value = getattr(r, name)
        if value is not None and not (type(value) is int and 0 <= value <= top):
            return Problem(INVALID_VALUE, f"{name} out of range")
    return None


def _texts(r: Record) -> Problem | None:
    for name, limit in TEXT_LIMITS.items():
        value = getattr(r, name)
        if value is None:
            continue
        if not isinstance(value, str) or "\x00" in value:
            return Problem(INVALID_VALUE, f"{name} holds a NUL character")
        if len(value) > limit:
            return Problem(INVALID_VALUE, f"{name} longer than {limit} characters")
    return None
