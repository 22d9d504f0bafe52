"""Answering requisitions: who had this address (and port) at that instant, and what did a terminal do.

The main question, "who had public address X, port Y, at instant T?", is answered by a chain:
NAT allocation (public ip, port range, valid at T) -> private ip (+port) -> the RADIUS session or DHCP
lease holding that private ip at T -> MAC, user name, AP/SSID, site. Each answer carries the records
it rests on, so an export can prove every step. Every search is written to the access journal.

Facts are intervals (documented in docs/connlog-store.md):
- a NAT allocation runs from its `start` (else its event time) until its own end (`stop`, else start +
  `duration`: a FortiGate closed session), else until the release of the same private endpoint or an
  allocation of the range to another one;
- a RADIUS session runs from its `start` (else the Start's event time) until its Stop's `stop`
  (else start + duration, else the Stop's event time); an unfinished session runs until a later
  session or lease of another terminal takes the address;
- a DHCP lease runs from its event time for `lease_seconds`, ended early by an expire/release or a
  lease of the address to another terminal.

The tolerance (± seconds around T) absorbs the difference between the requester's clock and ours:
every NAT session within it is given, flagged exact or not. Behind each, the private address is looked
up at T brought inside the NAT interval (our own clocks from there on), and what held it at that
instant answers; the tolerance is used there only when nothing did.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from connlog import integrity, journal
from connlog.errors import ConnlogError
from connlog.models import IdentityRow, RecordRow
from connlog.store import Store, StoredRecord, utc_day
from connlog.validate import MAX_FUTURE

_NAT_RANGES_TRIED = 16  # distinct range starts examined below a port (nested or odd-sized ranges)
_CANDIDATES = 50
_ENDS = ("release", "expire")
DEFAULT_TOLERANCE = 60.0


@dataclass(frozen=True)
class Criteria:
    public_ip: str | None = None
    port: int | None = None
    private_ip: str | None = None
    at: float | None = None
    mac: str | None = None
    user_name: str | None = None
    site: str | None = None
    ap: str | None = None
    since: float | None = None
    until: float | None = None
    lookback_days: int = 7
    tolerance: float = DEFAULT_TOLERANCE  # seconds either side of `at`: clocks of NAS, firewall, requester
    limit: int = 10_000
    reason: str | None = None  # why the search is made (the portal asks it): journaled and in the manifest

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and k not in ("lookback_days", "limit")}

    def validate(self) -> None:
        if self.public_ip is not None:
            if self.port is None or self.at is None:
                raise ConnlogError("a search by public address needs --port and --at (NAT shares one address)")
        elif self.private_ip is not None:
            if self.at is None:
                raise ConnlogError("a search by private address needs --at")
        elif self.mac is None and self.user_name is None and self.site is None and self.ap is None:
            raise ConnlogError("give a criterion: --public-ip/--port/--at, --private-ip/--at, --mac, --user, "
                               "--site or --ap")
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise ConnlogError("--until must be after --since")
        for name in ("at", "since", "until"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and 0 < value < 2**32):
                raise ConnlogError(f"--{name} must be a finite instant (epoch seconds 1970-2106)")
        if not (math.isfinite(self.tolerance) and 0 <= self.tolerance <= 3600):
            raise ConnlogError("--tolerance must be between 0 and 3600 seconds")


@dataclass
class Attribution:
    """One answer to "who was it": every field the chain could establish."""

    at: float
    client_mac: str | None
    private_ip: str
    private_port: int | None = None
    public_ip: str | None = None
    public_port: int | None = None
    user_name: str | None = None
    ap: str | None = None
    ssid: str | None = None
    site: str | None = None
    session_id: str | None = None
    via: str = ""  # radius | dhcp
    valid_from: float | None = None
    valid_until: float | None = None
    seqs: list[int] = field(default_factory=list)
    exact: bool = True  # False: found only within the tolerance around the instant
    nat_from: float | None = None
    nat_until: float | None = None


@dataclass
class Result:
    criteria: Criteria
    attributions: list[Attribution] = field(default_factory=list)
    records: list[StoredRecord] = field(default_factory=list)
    identities: list[tuple[int, dt.date, str]] = field(default_factory=list)  # rows whose record was purged
    faults: dict[int, str] = field(default_factory=dict)  # seq -> why the record fails its chain (forged?)

    @property
    def count(self) -> int:
        return len(self.attributions) or (len(self.records) + len(self.identities))


def search(store: Store, criteria: Criteria, *, operator: str | None = None, requisition: str | None = None,
           action: str = "search", now: float | None = None) -> Result:
    """Run a search and journal it (who, when, criteria, requisition, result count)."""
    criteria.validate()
    result = run(store, criteria)
    journal.write(store, action=action, criteria=criteria.to_dict(), result_count=result.count,
                  operator=operator, requisition=requisition, now=now)
    return result


def run(store: Store, c: Criteria) -> Result:
    result = Result(c)
    with store.read() as conn:
        if c.public_ip is not None:
            assert c.port is not None and c.at is not None
            _by_public(store, conn, c, result)
        elif c.private_ip is not None:
            assert c.at is not None
            _attribute(store, conn, c.private_ip, None, c.at, c.lookback_days, c.tolerance, result)
        else:
            _by_attribute(store, conn, c, result)
        result.records = sorted({r.seq: r for r in result.records}.values(), key=lambda r: r.seq)
        result.faults = integrity.faults(conn, result.records)
    return result


def _arrival_days(store: Store, conn: Connection, at: float, lookback_days: int, tolerance: float) -> Any:
    """Partition pruning on PostgreSQL (partitions by day of arrival); SQLite's indexes need none.

    A record arrives after its event (ingest refuses event times more than `MAX_FUTURE` ahead of
    arrival), so nothing about `at` sits in a partition older than the lookback. Records about `at`
    arrive mostly by the next day; those that arrive later (a firewall's buffer, a spool drained after
    an outage) are found through `connlog_day_bound`: a later partition is read only if its earliest
    event time is not after the instant. A requisition is answered the same whatever the arrival delay,
    as on SQLite.
    """
    if not store.is_postgresql:
        return True
    lower = utc_day(at - lookback_days * 86400 - MAX_FUTURE)
    usual = utc_day(at + tolerance) + dt.timedelta(days=1)
    late = store.late_days(conn, usual, at + tolerance)
    on_time = RecordRow.day.between(lower, usual)
    return or_(on_time, RecordRow.day.in_(late)) if late else on_time


@dataclass(frozen=True, slots=True)
class Interval:
    """When a fact held: [start, end), end None while nothing ended it."""

    row: StoredRecord
    start: float
    end: float | None

    def distance(self, at: float) -> float:
        """0 inside, else how many seconds `at` lies outside (what the tolerance is compared to)."""
        if at < self.start:
            return self.start - at
        if self.end is not None and at >= self.end:
            return at - self.end
        return 0.0

    def clamp(self, at: float) -> float:
        """The instant of the interval nearest to `at` (where to look for who held the address)."""
        if at < self.start:
            return self.start
        if self.end is not None and at >= self.end:
            return max(self.start, self.end - 0.001)
        return at


def intervals(rows: list[StoredRecord], same_holder: Any, explicit: Any, *, explicit_wins: bool) -> list[Interval]:
    """Intervals of allocation facts (time order): each runs from its start to its own end (`explicit`)
    or to the next event that ends it: a release by the same holder, or an allocation to another."""
    out: list[Interval] = []
    for i, row in enumerate(rows):
        r = row.record
        if r.status in _ENDS:
            continue
        begin = r.start if r.start is not None else r.event_time
        end = explicit(r)
        if end is None or not explicit_wins:
            for later in rows[i + 1:]:
                lr = later.record
                if lr.event_time < begin:
                    continue
                if (lr.status in _ENDS) == same_holder(r, lr):
                    end = lr.event_time if end is None else min(end, lr.event_time)
                    break
        out.append(Interval(row, begin, end))
    return out


def _nat_end(r: Any) -> float | None:
    if r.stop is not None:
        return float(r.stop)
    return r.event_time + r.duration if r.duration is not None else None


def _same_endpoint(a: Any, b: Any) -> bool:
    # A release that names no private port (Junos PBA) ends the subscriber's block whatever the port.
    return a.private_ip == b.private_ip and (None in (a.private_port, b.private_port)
                                             or a.private_port == b.private_port)


def _by_public(store: Store, conn: Connection, c: Criteria, result: Result) -> None:
    assert c.public_ip is not None and c.port is not None and c.at is not None
    window = _arrival_days(store, conn, c.at, c.lookback_days, c.tolerance)
    earliest = c.at - c.lookback_days * 86400
    upper = c.port
    for _ in range(_NAT_RANGES_TRIED):
        start = conn.execute(
            select(RecordRow.public_port_start)
            .where(RecordRow.public_ip == c.public_ip, RecordRow.public_port_start <= upper,
                   RecordRow.kind == "nat", window)
            .order_by(RecordRow.public_port_start.desc()).limit(1)).scalar()
        if start is None:
            return
        events = store.records(conn, and_(RecordRow.public_ip == c.public_ip, RecordRow.public_port_start == start,
                                          RecordRow.event_time <= c.at + c.tolerance,
                                          RecordRow.event_time >= earliest, RecordRow.kind == "nat", window),
                               order_by=RecordRow.event_time.desc(), limit=_CANDIDATES)
        events.sort(key=lambda s: (s.record.event_time, s.seq))
        hits = [iv for iv in intervals(events, _same_endpoint, _nat_end, explicit_wins=True)
                if iv.row.record.private_ip is not None
                and (iv.row.record.public_port_end or start) >= c.port and iv.distance(c.at) <= c.tolerance]
        if hits:
            for iv in hits:
                nat = iv.row
                result.records.append(nat)
                found = len(result.attributions)
                assert nat.record.private_ip is not None
                _attribute(store, conn, nat.record.private_ip, nat.record.private_port, iv.clamp(c.at),
                           c.lookback_days, c.tolerance, result)
                for a in result.attributions[found:]:
                    a.at = c.at
                    a.public_ip, a.public_port = c.public_ip, c.port
                    a.nat_from, a.nat_until = iv.start, iv.end
                    a.exact = a.exact and iv.distance(c.at) == 0
                    a.seqs.insert(0, nat.seq)
            return
        upper = start - 1


def _attribute(store: Store, conn: Connection, private_ip: str, private_port: int | None, at: float,
               lookback_days: int, tolerance: float, result: Result) -> None:
    window = _arrival_days(store, conn, at, lookback_days, tolerance)
    earliest = at - lookback_days * 86400
    recent = store.records(conn, and_(RecordRow.private_ip == private_ip, RecordRow.event_time <= at + tolerance,
                                      RecordRow.event_time >= earliest, RecordRow.kind.in_(("radius", "dhcp")),
                                      window),
                           order_by=RecordRow.event_time.desc(), limit=_CANDIDATES)
    # The latest takeover of the address before `at` (a session start or a lease) bounds open sessions.
    found: list[tuple[Attribution, list[StoredRecord]]] = []
    sessions = {(r.record.source, r.record.session_id) for r in recent
                if r.record.kind == "radius" and r.record.session_id}
    for source, session_id in sessions:
        rows = store.records(conn, and_(RecordRow.session_id == session_id, RecordRow.source == source,
                                        RecordRow.private_ip == private_ip, window))
        a = _session(rows, at, tolerance)
        if a is not None:
            found.append((a, rows))
    leases = sorted((r for r in recent if r.record.kind == "dhcp"), key=lambda s: (s.record.event_time, s.seq))
    for iv in intervals(leases, lambda a, b: a.client_mac == b.client_mac, _lease_end, explicit_wins=False):
        if iv.distance(at) <= tolerance:
            r = iv.row.record
            assert r.private_ip is not None
            found.append((Attribution(at=at, client_mac=r.client_mac, private_ip=r.private_ip, site=r.site,
                                      via="dhcp", valid_from=iv.start, valid_until=iv.end,
                                      seqs=[iv.row.seq], exact=iv.distance(at) == 0), [iv.row]))
    # An unfinished session is over once another terminal took the address after it started.
    found = [(a, rows) for a, rows in found if a.valid_until is not None or not any(
        b.client_mac != a.client_mac and (b.valid_from or 0) > (a.valid_from or 0) and (b.valid_from or 0) <= at
        for b, _ in found)]
    # What held the address at the very instant answers; the tolerance is for when nothing did.
    if any(a.exact for a, _ in found):
        found = [(a, rows) for a, rows in found if a.exact]
    by_mac: dict[str | None, Attribution] = {}
    for a, rows in sorted(found, key=lambda f: f[0].via != "radius"):  # RADIUS knows more (user, AP): it leads
        result.records.extend(rows)
        a.private_port = private_port
        if a.client_mac in by_mac:
            known = by_mac[a.client_mac]
            known.seqs.extend(a.seqs)
            known.site = known.site or a.site
            continue
        by_mac[a.client_mac] = a
    result.attributions.extend(by_mac.values())


def _session(rows: list[StoredRecord], at: float, tolerance: float) -> Attribution | None:
    start = stop = None
    first = rows[0].record
    for row in rows:
        r = row.record
        if r.start is not None:
            start = r.start if start is None else min(start, r.start)
        elif r.status == "Start":
            start = r.event_time if start is None else min(start, r.event_time)
        if r.status == "Stop":
            if r.stop is not None:
                stop = r.stop
            elif r.duration is not None and (r.start or start) is not None:
                stop = (r.start or start or 0.0) + r.duration
            else:
                stop = r.event_time
    start = start if start is not None else min(r.record.event_time for r in rows)
    distance = Interval(rows[0], start, stop).distance(at)
    if distance > tolerance:
        return None
    user = next((r.record.user_name for r in rows if r.record.user_name), None)
    ap = next((r.record.ap for r in rows if r.record.ap), None)
    ssid = next((r.record.ssid for r in rows if r.record.ssid), None)
    mac = next((r.record.client_mac for r in rows if r.record.client_mac), None)
    assert first.private_ip is not None
    return Attribution(at=at, client_mac=mac, private_ip=first.private_ip, user_name=user, ap=ap, ssid=ssid,
                       site=first.site, session_id=first.session_id, via="radius", valid_from=start,
                       valid_until=stop, seqs=[r.seq for r in rows], exact=distance == 0)


def _lease_end(r: Any) -> float | None:
    return r.event_time + r.lease_seconds if r.lease_seconds is not None else None


def _by_attribute(store: Store, conn: Connection, c: Criteria, result: Result) -> None:
    conditions: list[Any] = []
    if c.since is not None:
        conditions.append(RecordRow.event_time >= c.since)
    if c.until is not None:
        conditions.append(RecordRow.event_time < c.until)
    if c.user_name is not None:
        ids = select(IdentityRow.seq).where(IdentityRow.user_name == c.user_name)
        conditions.append(RecordRow.seq.in_(ids))
        # Identity outlives technical data (5 years vs 1): say what is left of purged records too.
        kept = select(RecordRow.seq)
        orphans = conn.execute(select(IdentityRow.seq, IdentityRow.day, IdentityRow.user_name)
                               .where(IdentityRow.user_name == c.user_name, IdentityRow.seq.not_in(kept))
                               .order_by(IdentityRow.seq).limit(c.limit)).all()
        result.identities = [(s, d, u) for s, d, u in orphans]
    if c.mac is not None:
        conditions.append(RecordRow.client_mac == c.mac.lower().replace("-", ":"))
    if c.site is not None:
        conditions.append(RecordRow.site == c.site)
    if c.ap is not None:
        conditions.append(RecordRow.ap == c.ap)
    result.records = store.records(conn, and_(*conditions), limit=c.limit)
