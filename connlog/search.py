"""Answering requisitions: who had this address (and port) at that instant, and what did a terminal do.

The main question, "who had public address X, port Y, at instant T?", is answered by a chain:
NAT allocation (public ip, port range, valid at T) -> private ip (+port) -> the RADIUS session or DHCP
lease holding that private ip at T -> MAC, user name, AP/SSID, site. Each answer carries the records
it rests on, so an export can prove every step. Every search is written to the access journal.

Validity rules (documented in docs/connlog-store.md):
- a NAT allocation of a port range runs from its event time until its `stop` (or event time +
  `duration`), else until the next event (allocation or release) of the same range start;
- a RADIUS session runs from its `start` (else the Start's event time) until its Stop's `stop`
  (else start + duration, else the Stop's event time); an unfinished session runs until a later
  session or lease of another terminal takes the address;
- a DHCP lease runs from its event time for `lease_seconds`, ended early by an expire/release.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, select

from connlog import journal
from connlog.errors import ConnlogError
from connlog.models import IdentityRow, RecordRow
from connlog.store import Store, StoredRecord, utc_day

_NAT_RANGES_TRIED = 16  # distinct range starts examined below a port (nested or odd-sized ranges)
_CANDIDATES = 50


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


@dataclass
class Result:
    criteria: Criteria
    attributions: list[Attribution] = field(default_factory=list)
    records: list[StoredRecord] = field(default_factory=list)
    identities: list[tuple[int, dt.date, str]] = field(default_factory=list)  # rows whose record was purged

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
            _attribute(store, conn, c.private_ip, None, c.at, c.lookback_days, result)
        else:
            _by_attribute(store, conn, c, result)
    result.records = sorted({r.seq: r for r in result.records}.values(), key=lambda r: r.seq)
    return result


def _window(store: Store, at: float, lookback_days: int) -> Any:
    """Partition pruning on PostgreSQL (days of arrival around the instant); SQLite's indexes need none."""
    if not store.is_postgresql:
        return True
    day = utc_day(at)
    return RecordRow.day.between(day - dt.timedelta(days=lookback_days), day + dt.timedelta(days=1))


def _by_public(store: Store, conn: Connection, c: Criteria, result: Result) -> None:
    assert c.public_ip is not None and c.port is not None and c.at is not None
    window = _window(store, c.at, c.lookback_days)
    upper = c.port
    for _ in range(_NAT_RANGES_TRIED):
        start = conn.execute(
            select(RecordRow.public_port_start)
            .where(RecordRow.public_ip == c.public_ip, RecordRow.public_port_start <= upper,
                   RecordRow.kind == "nat", window)
            .order_by(RecordRow.public_port_start.desc()).limit(1)).scalar()
        if start is None:
            return
        latest = store.records(conn, and_(RecordRow.public_ip == c.public_ip, RecordRow.public_port_start == start,
                                          RecordRow.event_time <= c.at, RecordRow.kind == "nat", window),
                               order_by=RecordRow.event_time.desc(), limit=1)
        if latest and _nat_covers(latest[0], c):
            nat = latest[0]
            result.records.append(nat)
            found = len(result.attributions)
            assert nat.record.private_ip is not None
            _attribute(store, conn, nat.record.private_ip, nat.record.private_port, c.at, c.lookback_days, result)
            for a in result.attributions[found:]:
                a.public_ip, a.public_port = c.public_ip, c.port
                a.seqs.insert(0, nat.seq)
            return
        upper = start - 1


def _nat_covers(nat: StoredRecord, c: Criteria) -> bool:
    r = nat.record
    assert c.at is not None and c.port is not None
    if r.status == "release" or r.private_ip is None or (r.public_port_end or r.public_port_start or 0) < c.port:
        return False
    if r.event_time < c.at - c.lookback_days * 86400:
        return False
    until = r.stop if r.stop is not None else (r.event_time + r.duration if r.duration is not None else None)
    return until is None or c.at < until


def _attribute(store: Store, conn: Connection, private_ip: str, private_port: int | None, at: float,
               lookback_days: int, result: Result) -> None:
    window = _window(store, at, lookback_days)
    earliest = at - lookback_days * 86400
    recent = store.records(conn, and_(RecordRow.private_ip == private_ip, RecordRow.event_time <= at,
                                      RecordRow.event_time >= earliest, RecordRow.kind.in_(("radius", "dhcp")),
                                      window),
                           order_by=RecordRow.event_time.desc(), limit=_CANDIDATES)
    # The latest takeover of the address before `at` (a session start or a lease) bounds open sessions.
    found: list[Attribution] = []
    sessions = {(r.record.source, r.record.session_id) for r in recent
                if r.record.kind == "radius" and r.record.session_id}
    for source, session_id in sessions:
        rows = store.records(conn, and_(RecordRow.session_id == session_id, RecordRow.source == source,
                                        RecordRow.private_ip == private_ip, window))
        a = _session(rows, at)
        if a is not None:
            result.records.extend(rows)
            found.append(a)
    leases = [r for r in recent if r.record.kind == "dhcp"]
    if leases:
        a = _lease(leases[0], at)
        if a is not None:
            result.records.append(leases[0])
            found.append(a)
    # An unfinished session is over once another terminal took the address after it started.
    found = [a for a in found if a.valid_until is not None or not any(
        b.client_mac != a.client_mac and (b.valid_from or 0) > (a.valid_from or 0) for b in found)]
    by_mac: dict[str | None, Attribution] = {}
    for a in sorted(found, key=lambda a: a.via != "radius"):  # RADIUS knows more (user, AP): it leads
        a.private_port = private_port
        if a.client_mac in by_mac:
            known = by_mac[a.client_mac]
            known.seqs.extend(a.seqs)
            known.site = known.site or a.site
            continue
        by_mac[a.client_mac] = a
    result.attributions.extend(by_mac.values())


def _session(rows: list[StoredRecord], at: float) -> Attribution | None:
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
    if not start <= at or (stop is not None and at >= stop):
        return None
    user = next((r.record.user_name for r in rows if r.record.user_name), None)
    ap = next((r.record.ap for r in rows if r.record.ap), None)
    ssid = next((r.record.ssid for r in rows if r.record.ssid), None)
    mac = next((r.record.client_mac for r in rows if r.record.client_mac), None)
    assert first.private_ip is not None
    return Attribution(at=at, client_mac=mac, private_ip=first.private_ip, user_name=user, ap=ap, ssid=ssid,
                       site=first.site, session_id=first.session_id, via="radius", valid_from=start,
                       valid_until=stop, seqs=[r.seq for r in rows])


def _lease(row: StoredRecord, at: float) -> Attribution | None:
    r = row.record
    if r.status in ("expire", "release"):
        return None
    until = r.event_time + r.lease_seconds if r.lease_seconds is not None else None
    if until is not None and at >= until:
        return None
    assert r.private_ip is not None
    return Attribution(at=at, client_mac=r.client_mac, private_ip=r.private_ip, site=r.site, via="dhcp",
                       valid_from=r.event_time, valid_until=until, seqs=[row.seq])


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
