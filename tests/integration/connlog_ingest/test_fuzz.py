"""Issue 10, defect 3: hostile input through the real listeners (UDP syslog, RADIUS over UDP), generated
with Hypothesis. For every example: the service does not crash (it still takes the next, valid input),
each input ends in exactly one place (stored, dropped with a reason, or quarantined), nothing stored
fails validation, a hostile value is never stored, and the counter says why.

The service runs spool-only (no database): what matters here is what reaches the spool."""

from __future__ import annotations

import hashlib
import socket
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connlog import validate
from connlog.ingest.sources import from_mapping
from tests.integration.connlog_ingest.conftest import SECRET
from tests.integration.connlog_ingest.harness import RunningService, config, wait_until
from tests.integration.connlog_ingest.test_radius_radclient import _request

NOW = int(time.time())
REASONS = {"malformed", validate.INVALID_PORT, validate.INVALID_ADDRESS, validate.INVALID_MAC,
           validate.INVALID_TIME, validate.INVALID_VALUE, "ignored"}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def spool_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    tmp = Path(tmp_path_factory.mktemp("fuzz"))
    sources = from_mapping({"127.0.0.1": SECRET}, {"127.0.0.1": ("fw-parc", "parc-sausset")})
    with RunningService(config(tmp, rfc3164_timezone="UTC", fsync=False), sources, None) as rs:
        yield rs


class Outcome:
    """Where inputs went, read before and after an example."""

    def __init__(self, rs: RunningService) -> None:
        self.rs = rs
        self.stored = rs.service.spool.last_seq
        self.dropped = dict(rs.metrics.dropped)
        assert rs.service.quarantine is not None
        self.quarantined = rs.service.quarantine.lines

    def delta(self, before: Outcome) -> tuple[int, dict[tuple[str, str], int], int]:
        drops = {k: v - before.dropped.get(k, 0) for k, v in self.dropped.items() if v != before.dropped.get(k, 0)}
        return self.stored - before.stored, drops, self.quarantined - before.quarantined


_sentinels = count(1)


def _sentinel_syslog(rs: RunningService) -> None:
    """A valid line after the hostile one: once it is spooled, the hostile one was handled (same loop, in order)."""
    n = next(_sentinels)
    mac = f"02:00:00:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}"
    before = rs.service.spool.last_seq
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(f"<30>1 - dhcp1 dhcpd - - - DHCPACK on 10.99.0.1 to {mac} via eth1".encode(),
                 rs.service.syslog_address)
    assert wait_until(lambda: any(r.client_mac == mac for _, r in rs.service.spool.read(before, 100))), \
        "service stalled"


# -- values: valid ones, and hostile ones tagged with the counter they must raise ------------------------
@dataclass(frozen=True)
class Value:
    text: str
    hostile: str | None = None  # None: valid; else the expected reason ("malformed", "quarantine", invalid_*)


ports = st.integers(1, 65535).map(lambda p: Value(str(p)))
hostile_ports = st.one_of(st.integers(65536, 10**9).map(lambda p: Value(str(p), validate.INVALID_PORT)),
                          st.just(Value("-1", validate.INVALID_PORT)),  # converts, then out of range
                          st.sampled_from(["0x50", "8O", "1e3"]).map(lambda t: Value(t, "malformed")))
ips = st.ip_addresses(v=4).map(lambda a: Value(str(a)))
hostile_ips = st.sampled_from(["10.20.1.256", "1.2.3", "::ffff:zz", "10.020.1.1", "a.b.c.d", "1.2.3.4.5"]).map(
    lambda t: Value(t, "malformed"))
macs = st.binary(min_size=6, max_size=6).map(lambda b: Value(":".join(f"{x:02x}" for x in b)))
hostile_macs = st.sampled_from(["aa:bb:cc:dd:ee", "zz:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff:00"]).map(
    lambda t: Value(t, "malformed"))
times = st.integers(NOW - 30 * 86400, NOW).map(lambda t: Value(str(t)))
hostile_times = st.one_of(st.integers(NOW + 2 * 86400, 9_999_999_999), st.integers(1_000_000_000, NOW - 401 * 86400)
                          ).map(lambda t: Value(str(t), validate.INVALID_TIME)) | st.just(Value("9" * 400, "malformed"))


def _fortigate(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return (f'<189>date=2026-12-05 time=10:00:00 devname="FGT" eventtime={t.text} tz="+0100" logid="0000000013" '
            f'type="traffic" subtype="forward" srcip={ip.text} srcport={port.text} srcmac="{mac.text}" '
            f'dstip=1.1.1.1 dstport=443 action="close" trandisp="snat" transip={pub.text} transport={pport.text} '
            f'duration=35')


def _conntrack(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return (f"<30>1 - fw conntrack - - - [{t.text}.000000]\t    [NEW] tcp      6 120 SYN_SENT src={ip.text} "
            f"dst=93.184.216.34 sport={port.text} dport=443 [UNREPLIED] src=93.184.216.34 dst={pub.text} sport=443 "
            f"dport={pport.text}")


def _junos(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return (f"<14>1 - srx RT_NAT - RT_SRC_NAT_PBA_ALLOC - RT_SRC_NAT_PBA_ALLOC: Subscriber {ip.text} used/maximum "
            f"[1/8] blocks, allocates port block [{port.text}-{pport.text}] from {pub.text} in source pool p "
            "lsys_id: 0")


def _kea(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return (f"<30>1 - dhcp1 kea-dhcp4 - - - DHCP4_LEASE_ALLOC [hwtype=1 {mac.text}], cid=[no info], tid=0x1: "
            f"lease {ip.text} has been allocated for 4000 seconds")


def _conntrack_destroy(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return (f"<30>1 - fw conntrack - - - [{t.text}.000000]\t[DESTROY] tcp      6 src={ip.text} dst=93.184.216.34 "
            f"sport={port.text} dport=443 src=93.184.216.34 dst={pub.text} sport=443 dport={pport.text} [ASSURED]")


def _junos_release(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return _junos(ip, port, pub, pport, mac, t).replace("PBA_ALLOC", "PBA_RELEASE").replace("allocates", "releases")


def _kea_release(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return (f"<30>1 - dhcp1 kea-dhcp4 - - - DHCP4_RELEASE [hwtype=1 {mac.text}], cid=[no info], tid=0x2: address "
            f"{ip.text} was released properly.")


def _isc(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return f"<30>1 - dhcp1 dhcpd - - - DHCPACK on {ip.text} to {mac.text} (Galaxy-S21) via eth1"


def _isc_release(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return f"<30>1 - dhcp1 dhcpd - - - DHCPRELEASE of {ip.text} from {mac.text} (Galaxy-S21) via eth1 (found)"


def _dnsmasq(ip: Value, port: Value, pub: Value, pport: Value, mac: Value, t: Value) -> str:
    return f"<30>1 - ap1 dnsmasq-dhcp - - - DHCPACK(wlan0) {ip.text} {mac.text} Galaxy-S21"


TEMPLATES = {"fortigate": _fortigate, "conntrack": _conntrack, "conntrack-destroy": _conntrack_destroy,
             "junos": _junos, "junos-release": _junos_release, "kea": _kea, "kea-release": _kea_release,
             "isc": _isc, "isc-release": _isc_release, "dnsmasq": _dnsmasq}
# Which values each template reads (a hostile value elsewhere is not in the line, hence harmless).
_NAT_REGEX = {"ip", "port", "pub", "pport", "t"}
USES = {"fortigate": {"ip", "port", "pub", "pport", "mac", "t"}, "conntrack": _NAT_REGEX,
        "conntrack-destroy": _NAT_REGEX, "junos": {"ip", "port", "pub", "pport"},
        "junos-release": {"ip", "port", "pub", "pport"}, "kea": {"ip", "mac"}, "kea-release": {"ip", "mac"},
        "isc": {"ip", "mac"}, "isc-release": {"ip", "mac"}, "dnsmasq": {"ip", "mac"}}
# A regex pattern whose digits/MAC group a hostile value no longer matches quarantines the line instead.
REGEX_GROUPS = {"conntrack": {"port", "pport", "t"}, "conntrack-destroy": {"port", "pport", "t"},
                "junos": {"port", "pport"}, "junos-release": {"port", "pport"}, "kea": {"mac"},
                "kea-release": {"mac"}, "isc": {"mac"}, "isc-release": {"mac"}, "dnsmasq": {"mac"}}


@st.composite
def hostile_lines(draw: st.DrawFn) -> tuple[str, str, str | None]:
    name = draw(st.sampled_from(sorted(TEMPLATES)))
    values = {"ip": draw(ips), "port": draw(ports), "pub": draw(ips), "pport": draw(ports), "mac": draw(macs),
              "t": draw(times)}
    if name.startswith("junos"):  # a port block: start <= end
        lo, hi = sorted((int(values["port"].text), int(values["pport"].text)))
        values["port"], values["pport"] = Value(str(lo)), Value(str(hi))
    field = draw(st.sampled_from([None, *sorted(USES[name])]))
    if field is not None:
        values[field] = draw({"ip": hostile_ips, "pub": hostile_ips, "port": hostile_ports, "pport": hostile_ports,
                              "mac": hostile_macs, "t": hostile_times}[field])
    expected = values[field].hostile if field else None
    if field in REGEX_GROUPS.get(name, ()) and not values[field].text.isdigit():
        expected = "quarantine"  # the pattern's digits or MAC group no longer matches: no pattern reads it
    return name, TEMPLATES[name](**values), expected


@FUZZ
@given(hostile_lines())
@example(("fortigate", _fortigate(Value("10.20.1.34"), Value("51234"), Value("203.0.113.10"), Value("70000"),
                                  Value("aa:bb:cc:dd:ee:01"), Value(str(NOW))), validate.INVALID_PORT))
@example(("fortigate", _fortigate(Value("10.20.1.34"), Value("99999"), Value("203.0.113.10"), Value("61234"),
                                  Value("aa:bb:cc:dd:ee:01"), Value(str(NOW))), validate.INVALID_PORT))
@example(("conntrack", _conntrack(Value("10.20.1.34"), Value("51234"), Value("203.0.113.10"), Value("61234"),
                                  Value("aa:bb:cc:dd:ee:01"), Value("9" * 400)), "malformed"))  # float overflow
def test_syslog_lines_with_hostile_fields(spool_only, case) -> None:
    name, line, expected = case
    before = Outcome(spool_only)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(line.encode(), spool_only.service.syslog_address)
    _sentinel_syslog(spool_only)
    stored, drops, quarantined = Outcome(spool_only).delta(before)
    stored -= 1  # the sentinel
    assert stored + sum(drops.values()) + quarantined == 1, (name, line, stored, drops, quarantined)
    for _, record in spool_only.service.spool.read(before.stored, 10):
        assert validate.problem(record) is None, record  # no stored garbage
    if expected is None:
        assert stored == 1, (name, line, drops, quarantined)
    elif expected == "quarantine":
        assert quarantined == 1, (name, line, drops)
    else:
        assert drops == {("syslog", expected): 1}, (name, line, drops, stored, quarantined)


@FUZZ
@given(st.binary(max_size=600))
def test_syslog_random_bytes_never_crash_nor_store_garbage(spool_only, data) -> None:
    before = Outcome(spool_only)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(data, spool_only.service.syslog_address)
    _sentinel_syslog(spool_only)
    stored, drops, quarantined = Outcome(spool_only).delta(before)
    assert (stored - 1) + sum(drops.values()) + quarantined == 1
    assert {reason for _, reason in drops} <= REASONS
    for _, record in spool_only.service.spool.read(before.stored, 10):
        assert validate.problem(record) is None, record


# -- RADIUS ---------------------------------------------------------------------------------------------
_ids = count(1)
_sessions = count(1)


def _sign(body: bytes, identifier: int) -> bytes:
    """An Accounting-Request with the right secret around any attribute bytes: it reaches the decoder."""
    head = struct.pack("!BBH", 4, identifier, 20 + len(body))
    return head + hashlib.md5(head + bytes(16) + body + SECRET.encode(), usedforsecurity=False).digest() + body


def _valid_body(session: str) -> bytes:
    raw = _request(1, SECRET.encode(), Acct_Status_Type="Start", Acct_Session_Id=session,
                   Calling_Station_Id="02-00-00-00-00-01", Framed_IP_Address="10.20.1.34", Event_Timestamp=NOW)
    return raw[20:]


@st.composite
def mutated_bodies(draw: st.DrawFn) -> bytes:
    # A new session each time (not drawn: a shrunk draw would repeat it, and a repeated Start is a duplicate).
    body = bytearray(_valid_body(f"F{next(_sessions):09d}"))
    how = draw(st.sampled_from(["length", "truncate", "append", "flip", "ipaddr", "timestamp"]))
    if how == "length":  # an attribute length byte changed (may run past the end, or cut the next header)
        offsets, pos = [], 0
        while pos < len(body):
            offsets.append(pos)
            pos += body[pos + 1]
        at = draw(st.sampled_from(offsets))
        body[at + 1] = draw(st.integers(0, 255))
    elif how == "truncate":
        del body[draw(st.integers(1, len(body) - 1)):]
    elif how == "append":
        body += draw(st.binary(min_size=1, max_size=40))
    elif how == "flip":
        i = draw(st.integers(0, len(body) - 1))
        body[i] ^= draw(st.integers(1, 255))
    elif how == "ipaddr":  # Framed-IP-Address of 3 or 5 octets
        body += bytes([8, draw(st.sampled_from([5, 7]))]) + bytes(draw(st.sampled_from([3, 5])))
    else:  # an Event-Timestamp far in the future: a sane packet, an absurd fact
        body += bytes([55, 6]) + struct.pack("!I", draw(st.integers(NOW + 2 * 86400, 2**32 - 1)))
    return bytes(body)


def _sentinel_radius(sock: socket.socket, rs: RunningService) -> None:
    identifier = next(_ids) % 256
    packet = _sign(_valid_body(f"SENTINEL-{time.monotonic_ns()}"), identifier)
    sock.sendto(packet, rs.service.radius_address)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        reply = sock.recv(100)
        if reply[0] == 5 and reply[1] == identifier:
            return
    raise AssertionError("RADIUS service stalled")


@FUZZ
@given(mutated_bodies())
@example(bytes([1, 40, 0x61, 0x62]))  # the attribute running past the end, right secret
def test_radius_packets_with_hostile_attributes(spool_only, body) -> None:
    rs = spool_only
    before = Outcome(rs)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fuzz, socket.socket(socket.AF_INET,
                                                                                 socket.SOCK_DGRAM) as good:
        fuzz.settimeout(2)
        good.settimeout(5)
        fuzz.sendto(_sign(body, 0), rs.service.radius_address)
        _sentinel_radius(good, rs)
        stored, drops, _ = Outcome(rs).delta(before)
        stored -= 1
        assert stored + sum(drops.values()) == 1, (body, drops)
        assert {reason for _, reason in drops} <= REASONS
        if stored:  # answered only when stored, and only what passes validation is stored
            assert fuzz.recv(100)[0] == 5
            for _, record in rs.service.spool.read(before.stored, 10):
                assert validate.problem(record) is None, record
