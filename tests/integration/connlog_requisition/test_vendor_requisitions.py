"""Issue 10, defects 1 and 2: "who had public X, port Y at T" on every shipped NAT pattern, sent in the
vendor's own format through the real listeners, stored in SQLite and PostgreSQL, asked at the start,
middle and end of the session and just outside it; and the same answer when the records arrive 10 days
after their events."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from connlog.search import DEFAULT_TOLERANCE, Criteria, run

from . import senders
from .conftest import SECRET, Live

PRIVATE, PUBLIC, MAC, EARLIER_MAC = "10.20.1.34", "203.0.113.10", "aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:09"
PORT = 61234  # FortiGate/conntrack public port; the PBA block holds it


@dataclass(frozen=True)
class Case:
    send: Callable[[Live, str, float, float], int]  # (live, logger, start, end) -> NAT records sent
    open_ended: bool = False


def _fortigate(eventtime: bool, transport: str) -> Callable[[Live, str, float, float], int]:
    def send(live: Live, _logger: str, t0: float, t1: float) -> int:
        line = senders.fortigate_close(t1, int(t1 - t0), private=PRIVATE, sport=51234, public=PUBLIC, pport=PORT,
                                       mac=MAC, eventtime=eventtime)
        (senders.udp if transport == "udp" else senders.tcp_octet_counted)(live.syslog, line)
        return 1
    return send


def _fortigate_no_duration(live: Live, _logger: str, t0: float, _t1: float) -> int:
    senders.udp(live.syslog, senders.fortigate_close(t0, 0, private=PRIVATE, sport=51234, public=PUBLIC, pport=PORT,
                                                     mac=MAC, with_duration=False))
    return 1


def _conntrack(live: Live, logger_bin: str, t0: float, t1: float) -> int:
    kw = {"private": PRIVATE, "sport": 51234, "public": PUBLIC, "pport": PORT}
    senders.logger(logger_bin, live.syslog, "conntrack", senders.conntrack("NEW", t0, **kw),
                   senders.conntrack("DESTROY", t1, **kw))
    return 2


def _junos(live: Live, _logger: str, t0: float, t1: float) -> int:
    kw = {"private": PRIVATE, "public": PUBLIC, "lo": 61184, "hi": 61247}
    senders.tcp_octet_counted(live.syslog, senders.junos_pba("alloc", t0, **kw), senders.junos_pba("release", t1, **kw))
    return 2


CASES = {
    "fortigate-eventtime-udp": Case(_fortigate(True, "udp")),
    "fortigate-date-time-tz-tcp": Case(_fortigate(False, "tcp")),
    "fortigate-without-duration": Case(_fortigate_no_duration, open_ended=True),
    "conntrack-new-destroy": Case(_conntrack),
    "junos-pba-alloc-release": Case(_junos),
}


def _play(live: Live, radclient: str, logger_bin: str, case: Case, t0: float, t1: float) -> None:
    # Another terminal held the private address earlier; ours from 2 min before the NAT session to 5 after.
    senders.radius_session(radclient, live.radius, SECRET, session="S-EARLIER", mac=EARLIER_MAC, private=PRIVATE,
                           start=t0 - 4000, stop=t0 - 1000)
    senders.radius_session(radclient, live.radius, SECRET, session="S-OURS", mac=MAC, private=PRIVATE,
                           start=t0 - 120, stop=t1 + 300, user="visiteur42@portail")
    live.stored(4 + case.send(live, logger_bin, t0, t1))


def _who(live: Live, at: float) -> list[tuple[str | None, bool]]:
    result = run(live.store, Criteria(public_ip=PUBLIC, port=PORT, at=at))
    return [(a.client_mac, a.exact) for a in result.attributions]


@pytest.mark.parametrize("name", list(CASES))
def test_requisition_at_start_middle_end_and_outside(name, live, radclient, logger_bin) -> None:
    case = CASES[name]
    t0 = float(int(time.time()) - 3 * 3600)
    t1 = t0 + 600
    _play(live, radclient, logger_bin, case, t0, t1)
    tol = DEFAULT_TOLERANCE
    assert _who(live, t0) == [(MAC, True)], "start"
    assert _who(live, (t0 + t1) / 2) == [(MAC, True)], "middle"
    assert _who(live, t0 - tol / 2) == [(MAC, False)], "within the tolerance before"
    assert _who(live, t0 - tol - 5) == [], "before, beyond the tolerance"
    if case.open_ended:  # an allocation nothing ended still holds
        assert _who(live, t1 + 200) == [(MAC, True)], "open allocation"
        return
    assert _who(live, t1 - 1) == [(MAC, True)], "end"
    assert _who(live, t1 + tol / 2) == [(MAC, False)], "within the tolerance after"
    assert _who(live, t1 + tol + 5) == [], "after, beyond the tolerance"


def test_answer_names_the_whole_chain(live, radclient, logger_bin) -> None:
    t0 = float(int(time.time()) - 3 * 3600)
    _play(live, radclient, logger_bin, CASES["fortigate-eventtime-udp"], t0, t0 + 35)
    result = run(live.store, Criteria(public_ip=PUBLIC, port=PORT, at=t0 + 10))
    (a,) = result.attributions
    assert (a.private_ip, a.private_port, a.client_mac, a.user_name, a.ap, a.ssid, a.nat_from, a.nat_until) == (
        PRIVATE, 51234, MAC, "visiteur42@portail", "00:1a:1e:40:01:02", "SSD-WiFi-Parcs", t0, t0 + 35)
    assert sorted(r.record.kind.value for r in result.records) == ["nat", "radius", "radius"]
    assert run(live.store, Criteria(private_ip=PRIVATE, at=t0 + 10)).attributions[0].client_mac == MAC


@pytest.mark.parametrize("name", ["fortigate-eventtime-udp", "junos-pba-alloc-release"])
def test_records_arriving_ten_days_late_give_the_same_answer(name, live, radclient, logger_bin) -> None:
    # Sent now about events 10 days ago: on PostgreSQL they land in today's partition.
    t0 = float(int(time.time()) - 10 * 86400)
    t1 = t0 + 600
    _play(live, radclient, logger_bin, CASES[name], t0, t1)
    assert _who(live, t0 + 300) == [(MAC, True)]
    assert _who(live, t0 - 1500) == []  # the earlier terminal had the address, but no NAT session then


@pytest.mark.parametrize("fmt", ["isc", "kea", "dnsmasq"])
def test_requisition_through_each_dhcp_server(fmt, live) -> None:
    # No RADIUS here: the private address leads to the MAC through the DHCP server's lease lines.
    t0 = float(int(time.time()) - 3 * 3600)
    t1 = t0 + 600
    lines = senders.dhcp_lease(fmt, t0 - 120, t1 + 300, private=PRIVATE, mac=MAC)
    senders.tcp_octet_counted(live.syslog, *lines)
    senders.udp(live.syslog, senders.fortigate_close(t1, 600, private=PRIVATE, sport=51234, public=PUBLIC, pport=PORT,
                                                     mac=MAC))
    live.stored(len(lines) + 1)
    for at in (t0, (t0 + t1) / 2, t1 - 1):
        result = run(live.store, Criteria(public_ip=PUBLIC, port=PORT, at=at))
        assert [(a.client_mac, a.via, a.exact) for a in result.attributions] == [(MAC, "dhcp", True)], (fmt, at)
    assert _who(live, t0 - DEFAULT_TOLERANCE - 5) == [] and _who(live, t1 + DEFAULT_TOLERANCE + 5) == []
