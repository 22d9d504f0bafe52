import datetime as dt

import pytest

from connlog.errors import ConnlogError
from connlog.ingest.parsers import Ignored, LineParser, ParseError, Unparsed, load_patterns, normalise_mac, parse_syslog
from connlog.record import Kind

NOW = dt.datetime(2026, 6, 14, 12, 30, tzinfo=dt.UTC).timestamp()
FORTIGATE = (
    '<189>date=2026-06-14 time=14:03:27 devname="FGT-PARC-SAUSSET" devid="FG100FTK19000001" '
    'eventtime=1781438607123456789 tz="+0200" logid="0000000013" type="traffic" subtype="forward" level="notice" '
    'vd="root" srcip=10.20.1.34 srcport=51234 srcintf="wifi-public" srcintfrole="lan" dstip=142.250.179.78 '
    'dstport=443 dstintf="wan1" dstintfrole="wan" srccountry="Reserved" dstcountry="France" sessionid=8812345 '
    'proto=6 action="close" policyid=3 policytype="policy" service="HTTPS" trandisp="snat" transip=203.0.113.10 '
    'transport=61234 duration=12 sentbyte=2340 rcvdbyte=5421 sentpkt=12 rcvdpkt=10 appcat="unscanned" '
    'srcmac="AA:BB:CC:DD:EE:01" url="https://example.org/private" agent="Mozilla/5.0"')


@pytest.fixture(scope="module")
def parser() -> LineParser:
    return LineParser(load_patterns())


def parse(parser: LineParser, line: str):
    return parser.parse(parse_syslog(line, NOW), "sender", "parc-sausset", NOW)


def test_fortigate_snat_keeps_the_source_and_drops_destination_url_agent(parser):
    r = parse(parser, FORTIGATE)
    assert r.kind is Kind.nat and r.status == "allocate"
    assert (r.private_ip, r.private_port, r.public_ip, r.public_port_start, r.public_port_end) == (
        "10.20.1.34", 51234, "203.0.113.10", 61234, 61234)
    assert r.client_mac == "aa:bb:cc:dd:ee:01"
    assert r.event_time == pytest.approx(1781438607.123457)
    assert r.duration == 12.0 and r.start == pytest.approx(1781438595.123457)
    stored = r.to_json()
    for forbidden in ("142.250.179.78", "443", "example.org", "Mozilla", "HTTPS", "France"):
        assert forbidden not in stored


def test_fortigate_traffic_without_snat_is_ignored_not_quarantined(parser):
    line = FORTIGATE.replace('trandisp="snat"', 'trandisp="noop"')
    assert parse(parser, line) == Ignored("fortigate-other")


def test_conntrack_snat_new_tcp_and_udp(parser):
    tcp = ("<134>Jun 14 14:03:27 fw-parc conntrack: [1781438607.123456]\t    [NEW] tcp      6 120 SYN_SENT "
           "src=10.20.1.34 dst=93.184.216.34 sport=51234 dport=443 [UNREPLIED] src=93.184.216.34 dst=203.0.113.10 "
           "sport=443 dport=61234")
    udp = ("<134>Jun 14 14:03:27 fw-parc conntrack: [1781438608.5] [NEW] udp      17 30 src=10.20.1.35 dst=9.9.9.9 "
           "sport=5353 dport=53 [UNREPLIED] src=9.9.9.9 dst=203.0.113.11 sport=53 dport=61235")
    r = parse(parser, tcp)
    assert (r.kind, r.status, r.private_ip, r.private_port, r.public_ip, r.public_port_start) == (
        Kind.nat, "allocate", "10.20.1.34", 51234, "203.0.113.10", 61234)
    assert r.event_time == 1781438607.0
    assert "93.184.216.34" not in r.to_json()
    u = parse(parser, udp)
    assert (u.private_ip, u.private_port, u.public_ip, u.public_port_start) == ("10.20.1.35", 5353, "203.0.113.11",
                                                                                61235)


def test_port_block_allocation_and_release(parser):
    alloc = ("<134>1 2026-06-14T12:03:27.120Z srx-parcs RT_NAT - RT_SRC_NAT_PBA_ALLOC - RT_SRC_NAT_PBA_ALLOC: "
             "Subscriber 10.20.1.34 used/maximum [1/8] blocks, allocates port block [61440-61503] from "
             "203.0.113.10 in source pool pool-parcs lsys_id: 0")
    r = parse(parser, alloc)
    assert (r.status, r.private_ip, r.public_ip, r.public_port_start, r.public_port_end) == (
        "allocate", "10.20.1.34", "203.0.113.10", 61440, 61503)
    assert r.event_time == dt.datetime(2026, 6, 14, 12, 3, 27, 120000, tzinfo=dt.UTC).timestamp()
    release = alloc.replace("PBA_ALLOC", "PBA_RELEASE").replace("allocates", "releases")
    assert parse(parser, release).status == "release"


@pytest.mark.parametrize("line, lease", [
    ("<30>Jun 14 14:03:27 dhcp1 dhcpd[1234]: DHCPACK on 10.20.1.34 to aa:bb:cc:dd:ee:01 (Galaxy-S21) via eth1",
     None),
    ("<30>1 2026-06-14T12:03:27Z kea1 kea-dhcp4 77 - - INFO  [kea-dhcp4.leases/77.140] DHCP4_LEASE_ALLOC "
     "[hwtype=1 aa:bb:cc:dd:ee:01], cid=[01:aa:bb:cc:dd:ee:01], tid=0x3c6b9d2e: lease 10.20.1.34 has been "
     "allocated for 4000 seconds", 4000),
    ("<30>Jun 14 14:03:27 ap1 dnsmasq-dhcp[987]: DHCPACK(wlan0) 10.20.1.34 AA:BB:CC:DD:EE:01 Galaxy-S21", None),
])
def test_dhcp_leases(parser, line, lease):
    r = parse(parser, line)
    assert (r.kind, r.status, r.private_ip, r.client_mac, r.lease_seconds) == (
        Kind.dhcp, "lease", "10.20.1.34", "aa:bb:cc:dd:ee:01", lease)
    assert "Galaxy" not in r.to_json()


def test_dhcp_chatter_is_ignored_and_unknown_lines_unparsed(parser):
    assert parse(parser, "<30>Jun 14 14:03:27 dhcp1 dhcpd[1]: DHCPREQUEST for 10.20.1.34 from "
                         "aa:bb:cc:dd:ee:01 via eth1") == Ignored("isc-dhcpd-other")
    assert parse(parser, "<38>Jun 14 14:03:27 fw sshd[9]: Accepted password for admin") == Unparsed()


def test_value_that_does_not_convert_is_a_parse_error(parser):
    with pytest.raises(ParseError, match="private_ip"):
        parse(parser, "<30>Jun 14 14:03:27 dhcp1 dhcpd[1]: DHCPACK on 10.20.1.999 to aa:bb:cc:dd:ee:01 via eth1")


def test_rfc5424_header():
    m = parse_syslog('<134>1 2026-06-14T14:03:27.5+02:00 fw1 RT_NAT 12 MSG1 [x@1 a="b\\]c"] \ufeffhello world', NOW)
    assert (m.hostname, m.app, m.facility, m.severity, m.message) == ("fw1", "RT_NAT", 16, 6, "hello world")
    assert m.timestamp == dt.datetime(2026, 6, 14, 12, 3, 27, 500000, tzinfo=dt.UTC).timestamp()


def test_rfc3164_year_and_zone():
    paris = dt.timezone(dt.timedelta(hours=2))
    m = parse_syslog("<30>Jun 14 14:03:27 dhcp1 dhcpd[1234]: DHCPACK", NOW, paris)
    assert (m.hostname, m.app, m.message) == ("dhcp1", "dhcpd", "DHCPACK")
    assert m.timestamp == dt.datetime(2026, 6, 14, 12, 3, 27, tzinfo=dt.UTC).timestamp()
    january = dt.datetime(2027, 1, 1, 0, 5, tzinfo=dt.UTC).timestamp()
    late = parse_syslog("<30>Dec 31 23:59:00 h app: x", january)  # read just after new year
    assert dt.datetime.fromtimestamp(late.timestamp, dt.UTC).year == 2026


def test_line_without_header_is_all_message():
    m = parse_syslog("DHCPACK on 10.0.0.1 to aa:bb:cc:dd:ee:ff via eth0", NOW)
    assert m.message.startswith("DHCPACK") and m.hostname is None and m.timestamp is None


@pytest.mark.parametrize("raw", ["AA-BB-CC-DD-EE-01", "aabb.ccdd.ee01", "AABBCCDDEE01", "aa:bb:cc:dd:ee:01"])
def test_normalise_mac(raw):
    assert normalise_mac(raw) == "aa:bb:cc:dd:ee:01"


def test_normalise_mac_rejects_non_macs():
    assert normalise_mac("not-a-mac") is None
    assert normalise_mac("aa:bb:cc:dd:ee") is None


def test_pattern_mapping_a_destination_is_refused(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("patterns:\n  - name: leak\n    kind: nat\n    match: 'dst=(?P<d>\\S+)'\n"
                   "    fields: {destination: d}\n")
    with pytest.raises(ConnlogError, match=r"p.yaml: pattern #1 \(leak\): fields: 'destination' is not"):
        load_patterns(bad)


@pytest.mark.parametrize("body, message", [
    ("    kind: nat\n    match: 'x(?P<a>'\n    fields: {public_ip: a}\n", "bad regex"),
    ("    kind: nat\n    match: 'x'\n    fields: {public_ip: a}\n", "no such named group"),
    ("    kind: vpn\n    match: 'x'\n", "kind must be nat, dhcp or ignore"),
    ("    kind: ignore\n    match: 'x'\n    colour: red\n", "unknown keys"),
    ("    kind: nat\n    match: '(?P<a>x)'\n    fields: {public_ip: a}\n    time: {tz: Mars/Base}\n", "time needs"),
])
def test_pattern_errors_name_file_and_pattern(tmp_path, body, message):
    p = tmp_path / "p.yaml"
    p.write_text("patterns:\n  - name: one\n" + body)
    with pytest.raises(ConnlogError, match=message) as info:
        load_patterns(p)
    assert str(p) in str(info.value) and "(one)" in str(info.value)
