"""The tolerance of a requisition (issue 10, item 1): a public port reused within it gives every
candidate, each flagged exact or not; --tolerance 0 gives only what held it at the very instant."""

from __future__ import annotations

from connlog.record import Kind, Record
from connlog.search import Criteria, run
from connlog.store import Store

from .scenario import DAY0

PUBLIC, PORT = "203.0.113.7", 40000


def _conntrack(t: float, status: str, private: str) -> Record:
    return Record(kind=Kind.nat, source="fw", received_at=t + 0.5, event_time=t, status=status, private_ip=private,
                  private_port=50000, public_ip=PUBLIC, public_port_start=PORT, public_port_end=PORT)


def _lease(t: float, private: str, mac: str) -> Record:
    return Record(kind=Kind.dhcp, source="dhcp", received_at=t + 0.5, event_time=t, status="lease",
                  private_ip=private, client_mac=mac, lease_seconds=3600)


def test_port_reused_within_the_tolerance_gives_both_flagged(store: Store) -> None:
    t = DAY0 + 10 * 3600
    events = [_lease(t - 600, "10.0.0.1", "02:00:00:00:00:0a"), _lease(t - 600, "10.0.0.2", "02:00:00:00:00:0b"),
              _conntrack(t - 300, "allocate", "10.0.0.1"), _conntrack(t - 10, "release", "10.0.0.1"),
              _conntrack(t - 5, "allocate", "10.0.0.2")]
    store.append(list(enumerate(sorted(events, key=lambda r: r.received_at), start=1)))

    def who(at: float, tolerance: float = 60.0) -> list[tuple[str | None, bool]]:
        found = run(store, Criteria(public_ip=PUBLIC, port=PORT, at=at, tolerance=tolerance)).attributions
        return sorted((a.client_mac, a.exact) for a in found)

    assert who(t) == [("02:00:00:00:00:0a", False), ("02:00:00:00:00:0b", True)]
    assert who(t - 50) == [("02:00:00:00:00:0a", True), ("02:00:00:00:00:0b", False)]
    assert who(t - 50, tolerance=0) == [("02:00:00:00:00:0a", True)]
    assert who(t - 100) == [("02:00:00:00:00:0a", True)]  # B is 95 s away: beyond the tolerance
    assert who(t - 8, tolerance=0) == []  # between A's release and B's allocation, nobody held it
