"""Requisition searches on generated traffic, against SQLite and PostgreSQL."""

from __future__ import annotations

import random

import pytest

from connlog import journal
from connlog.errors import ConnlogError
from connlog.record import Kind, Record
from connlog.search import Criteria, run, search
from connlog.store import Store

from .scenario import DAY0, PUBLIC, generate, session


@pytest.fixture
def traffic(store: Store):
    batch, truth = generate(days=3, visits_per_day=60, seed=11)
    store.append(batch)
    return store, truth


def test_public_ip_port_instant_chain_matches_the_truth(traffic) -> None:
    store, truth = traffic
    rng = random.Random(3)
    answered = 0
    for holder in rng.sample(truth.holders, 25):
        ip, block, since, until, mac, user, private = holder
        at = rng.uniform(since + 5, until - 65)  # inside NAT, DHCP and RADIUS validity alike
        port = block + rng.randrange(64)
        result = run(store, Criteria(public_ip=ip, port=port, at=at))
        assert [(a.client_mac, a.user_name, a.private_ip, a.public_port) for a in result.attributions] == [
            (mac, user, private, port)], holder
        a = result.attributions[0]
        assert (a.site, a.ap, a.ssid, a.via) == ("PARC-SAUSSET", "ap-sausset-01", "SSD-WiFi", "radius")
        kinds = sorted(r.record.kind.value for r in result.records)
        assert kinds == ["dhcp", "nat", "radius", "radius"]
        answered += 1
    assert answered == 25


def test_port_not_allocated_at_that_instant_gives_nothing(traffic) -> None:
    store, truth = traffic
    ip, block, since, until, *_ = truth.holders[10]
    # After the release, and before any reuse of the block, nobody holds it.
    later = [h for h in truth.holders if h[1] == block and h[2] > since]
    gap_end = later[0][2] if later else until + 3600
    assert run(store, Criteria(public_ip=ip, port=block + 3, at=(until + gap_end) / 2)).attributions == []
    assert run(store, Criteria(public_ip="198.51.100.1", port=1030, at=since + 10)).attributions == []


def test_reused_private_address_goes_to_the_right_terminal(store: Store) -> None:
    # Same private ip and same public block, two terminals one after the other.
    t1, t2 = DAY0 + 3600, DAY0 + 3 * 3600
    events = session(1, t1, 30, "02:00:00:00:00:01", "10.1.0.5", 2048, "alice@portal") + \
        session(2, t2, 30, "02:00:00:00:00:02", "10.1.0.5", 2048, None)
    store.append(list(enumerate(sorted(events, key=lambda r: r.received_at), start=1)))
    first = run(store, Criteria(public_ip=PUBLIC, port=2050, at=t1 + 600)).attributions
    second = run(store, Criteria(public_ip=PUBLIC, port=2050, at=t2 + 600)).attributions
    assert [(a.client_mac, a.user_name) for a in first] == [("02:00:00:00:00:01", "alice@portal")]
    assert [(a.client_mac, a.user_name) for a in second] == [("02:00:00:00:00:02", None)]
    by_private = run(store, Criteria(private_ip="10.1.0.5", at=t2 + 60)).attributions
    assert [a.client_mac for a in by_private] == ["02:00:00:00:00:02"]


def test_open_session_and_dhcp_only_terminal(store: Store) -> None:
    t = DAY0 + 7200
    store.append([
        (1, Record(kind=Kind.radius, source="nas1", received_at=t, event_time=t, status="Start", session_id="x1",
                   client_mac="02:00:00:00:00:0a", private_ip="10.2.0.9", user_name="bob", ap="ap-2", site="S2")),
        (2, Record(kind=Kind.dhcp, source="dhcp1", received_at=t + 10, event_time=t + 10, status="lease",
                   client_mac="02:00:00:00:00:0b", private_ip="10.2.0.10", lease_seconds=600, site="S2")),
    ])
    bob = run(store, Criteria(private_ip="10.2.0.9", at=t + 86000)).attributions  # no Stop yet: still on
    assert [(a.client_mac, a.user_name, a.ap, a.valid_until) for a in bob] == [("02:00:00:00:00:0a", "bob", "ap-2",
                                                                                 None)]
    lease = run(store, Criteria(private_ip="10.2.0.10", at=t + 300)).attributions
    assert [(a.client_mac, a.via, a.site) for a in lease] == [("02:00:00:00:00:0b", "dhcp", "S2")]
    assert run(store, Criteria(private_ip="10.2.0.10", at=t + 700)).attributions == []  # lease over


def test_by_mac_user_and_place(traffic) -> None:
    store, truth = traffic
    mac = truth.holders[4][4]
    by_mac = run(store, Criteria(mac=mac.upper().replace(":", "-")))
    assert {r.record.client_mac for r in by_mac.records} == {mac}
    assert sorted(r.record.kind.value for r in by_mac.records) == ["dhcp", "radius", "radius"]
    user = next(h[5] for h in truth.holders if h[5])
    visits = sum(1 for h in truth.holders if h[5] == user)
    by_user = run(store, Criteria(user_name=user))
    assert len(by_user.records) == 2 * visits and {r.record.user_name for r in by_user.records} == {user}
    window = run(store, Criteria(site="PARC-SAUSSET", ap="ap-sausset-01", since=DAY0, until=DAY0 + 3600))
    assert window.records and all(DAY0 <= r.record.event_time < DAY0 + 3600 for r in window.records)
    assert {r.record.kind for r in window.records} == {Kind.radius}


def test_searches_are_journaled(traffic) -> None:
    store, truth = traffic
    ip, block, since, _, mac, *_ = truth.holders[2]
    search(store, Criteria(public_ip=ip, port=block, at=since + 30), operator="opj-dupont", requisition="PV-2026-118",
           now=DAY0 + 10 * 86400)
    search(store, Criteria(mac=mac), operator="opj-dupont", now=DAY0 + 10 * 86400 + 5)
    entries = journal.entries(store)
    assert [(e.seq, e.operator, e.action, e.requisition, e.result_count) for e in entries] == [
        (1, "opj-dupont", "search", "PV-2026-118", 1), (2, "opj-dupont", "search", None, 3)]
    assert entries[0].criteria == {"public_ip": ip, "port": block, "at": since + 30, "tolerance": 60.0}


def test_bad_criteria_are_refused(store: Store) -> None:
    with pytest.raises(ConnlogError, match="needs --port and --at"):
        search(store, Criteria(public_ip=PUBLIC, port=80))
    with pytest.raises(ConnlogError, match="give a criterion"):
        search(store, Criteria())
