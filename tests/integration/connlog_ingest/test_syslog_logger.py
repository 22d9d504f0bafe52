"""util-linux logger in every framing against the real syslog receiver; malformed frames counted."""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.integration.connlog_ingest.harness import wait_until

FRAMINGS = {
    "udp-5424": ["--rfc5424"],
    "udp-3164": ["--rfc3164"],
    "tcp-newline": ["-T"],
    "tcp-newline-5424": ["-T", "--rfc5424"],
    "tcp-octet-count": ["-T", "--octet-count"],
    "tcp-octet-count-5424": ["-T", "--octet-count", "--rfc5424"],
}


def logger(logger_bin: str, address: tuple[str, int], args: list[str], tag: str, *messages: str) -> None:
    # Several messages in one TCP connection: octet-counted frames then arrive together in one read.
    cmd = [logger_bin, *args, "-n", address[0], "-P", str(address[1]), "-t", tag]
    proc = subprocess.run(cmd, input="\n".join(messages) + "\n", capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("n, framing", list(enumerate(FRAMINGS, start=1)))
def test_each_framing_reaches_the_spool(logger_bin, service, sink, n, framing):
    addr = service.service.syslog_address
    macs = [f"02:00:00:00:{n:02x}:{k:02x}" for k in range(3)]
    logger(logger_bin, addr, FRAMINGS[framing], "dhcpd",
           *(f"DHCPACK on 10.20.{n}.{k} to {mac} (phone) via eth1" for k, mac in enumerate(macs)))
    assert wait_until(lambda: len(sink.records) == 3), (framing, service.metrics.dropped)
    got = sorted((r.private_ip, r.client_mac, r.status, r.kind.value) for r in sink.records.values())
    assert got == [(f"10.20.{n}.{k}", macs[k], "lease", "dhcp") for k in range(3)]
    assert all(r.source == "ctrl-parc-sausset" and r.site == "parc-sausset" for r in sink.records.values())
    assert service.service.quarantine.lines == 0


def test_nat_line_via_logger_drops_the_destination(logger_bin, service, sink):
    line = ("RT_SRC_NAT_PBA_ALLOC: Subscriber 10.20.3.4 used/maximum [1/8] blocks, allocates port block "
            "[2048-2111] from 203.0.113.11 in source pool pool-parcs lsys_id: 0")
    logger(logger_bin, service.service.syslog_address, ["-T", "--octet-count", "--rfc5424"], "RT_NAT", line)
    assert wait_until(lambda: len(sink.records) == 1)
    r = next(iter(sink.records.values()))
    assert (r.kind.value, r.private_ip, r.public_ip, r.public_port_start, r.public_port_end) == (
        "nat", "10.20.3.4", "203.0.113.11", 2048, 2111)


def test_unparsed_lines_are_quarantined_and_ignored_lines_counted(logger_bin, service, sink, tmp_path):
    addr = service.service.syslog_address
    logger(logger_bin, addr, ["-T"], "sshd", "Accepted password for admin from 10.0.0.9")
    logger(logger_bin, addr, ["-T"], "dhcpd", "DHCPREQUEST for 10.20.1.34 from 02:00:00:00:00:01 via eth1")
    assert wait_until(lambda: service.service.quarantine.lines == 1
                      and service.metrics.dropped_count("syslog", "ignored") == 1)
    kept = (tmp_path / "quarantine.log").read_text().splitlines()
    assert len(kept) == 1 and kept[0].endswith("\tsshd\tAccepted password for admin from 10.0.0.9")
    assert sink.records == {}


def test_malformed_frames_are_counted_and_dropped(service, sink):
    addr = service.service.syslog_address
    with socket.create_connection(addr) as s:  # a count that is not a number
        s.sendall(b"12x4 <30>hello\n")
    with socket.create_connection(addr) as s:  # a count larger than any frame we accept
        s.sendall(b"9999999 <30>hello")
    with socket.create_connection(addr) as s:  # an octet-counted frame cut short by the peer
        s.sendall(b"500 <30>1 - - dhcpd - - - DHCPACK on")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # an empty datagram
        s.sendto(b"\n", addr)
    assert wait_until(lambda: service.metrics.dropped_count("syslog", "malformed") == 3
                      and service.metrics.dropped_count("syslog", "frame_too_long") == 1)
    with socket.create_connection(addr) as s:  # the listener still serves after all that
        frame = b"<30>1 2026-06-14T12:00:00Z dhcp1 dhcpd - - - DHCPACK on 10.20.9.9 to 02:00:00:00:09:09 via eth1"
        s.sendall(b"%d %s" % (len(frame), frame))
    assert wait_until(lambda: len(sink.records) == 1)
    assert next(iter(sink.records.values())).event_time == 1781438400.0
