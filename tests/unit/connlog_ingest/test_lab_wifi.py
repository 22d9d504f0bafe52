import datetime as dt
import itertools
from collections import defaultdict

import pytest

from connlog.ingest.parsers import LineParser, load_patterns, parse_syslog
from connlog.record import Kind
from lab.wifi.generate import Park, plan_day

DAY = dt.date(2026, 6, 14)


def test_same_seed_same_day_and_a_different_seed_differs():
    a, ta = plan_day(DAY, 50, seed=4)
    b, tb = plan_day(DAY, 50, seed=4)
    c, _ = plan_day(DAY, 50, seed=5)
    assert [(e.t, e.channel, e.payload) for e in a] == [(e.t, e.channel, e.payload) for e in b]
    assert ta.sessions == tb.sessions
    assert [e.payload for e in a] != [e.payload for e in c]


def test_day_shape_and_pool_reuse():
    events, truth = plan_day(DAY, 400, seed=9, park=Park(public_ips=("203.0.113.10",)))
    assert len(truth.sessions) == 400
    opening = dt.datetime(2026, 6, 14, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))).timestamp()
    closing = dt.datetime(2026, 6, 14, 21, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))).timestamp()
    assert all(opening <= s.start < s.stop <= closing for s in truth.sessions)
    by_ip = defaultdict(list)
    by_block = defaultdict(list)
    for s in truth.sessions:
        by_ip[s.private_ip].append(s)
        by_block[(s.public_ip, s.port_start)].append(s)
    assert any(len(v) > 1 for v in by_block.values())  # blocks are reused: a requisition needs the time
    for holders in list(by_ip.values()) + list(by_block.values()):
        holders.sort(key=lambda s: s.start)
        assert all(x.stop <= y.start for x, y in itertools.pairwise(holders))  # never two holders at once
    s = truth.sessions[123]
    assert truth.who(s.public_ip, s.port_end, (s.start + s.stop) / 2) == s
    assert truth.who(s.public_ip, s.port_end, s.stop + 1e-3) != s
    kinds = defaultdict(int)
    for e in events:
        kinds[e.channel] += 1
    assert kinds["syslog-dhcp"] == 400 and kinds["syslog-nat"] == 800
    assert kinds["radius"] >= 800  # Start + Stop, plus Interim-Updates


@pytest.mark.parametrize("fmt", ["isc", "kea", "dnsmasq"])
def test_every_generated_syslog_line_parses_with_the_shipped_patterns(fmt):
    events, truth = plan_day(DAY, 30, seed=2, park=Park(dhcp_format=fmt))
    parser = LineParser(load_patterns())
    macs = {s.client_mac for s in truth.sessions}
    for e in events:
        if e.channel == "radius":
            continue
        r = parser.parse(parse_syslog(e.payload, e.t), "sender", "parc-sausset", e.t + 1)
        assert r.kind is (Kind.dhcp if e.channel == "syslog-dhcp" else Kind.nat), e.payload
        assert abs(r.event_time - e.t) < 0.001
        if r.kind is Kind.dhcp:
            assert r.client_mac in macs
