"""FreeRADIUS's radclient against the real accounting server: answers, records, drops."""

from __future__ import annotations

import hashlib
import socket
import struct
import subprocess

from pyrad.packet import AcctPacket

from connlog.ingest.radius import load_dictionary
from tests.integration.connlog_ingest.conftest import SECRET
from tests.integration.connlog_ingest.harness import wait_until

BASE = ('Acct-Session-Id = "5F3A0001"\nUser-Name = "visiteur42@portail"\nFramed-IP-Address = 10.20.1.34\n'
        'Calling-Station-Id = "AA-BB-CC-DD-EE-01"\nCalled-Station-Id = "00-1A-1E-40-01-02:Parc-Sausset-WiFi"\n'
        'NAS-IP-Address = 127.0.0.1\n')


def radclient_send(radclient: str, address: tuple[str, int], secret: str, attrs: str, timeout: int = 2,
                   ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([radclient, "-x", "-r", "1", "-t", str(timeout), f"{address[0]}:{address[1]}", "acct",
                           secret], input=attrs, capture_output=True, text=True, timeout=30)


def test_start_interim_stop_are_answered_and_recorded(radclient, service, sink):
    addr = service.service.radius_address
    start = radclient_send(radclient, addr, SECRET, BASE + "Acct-Status-Type = Start\nEvent-Timestamp = 1781438607\n")
    assert start.returncode == 0, start.stdout + start.stderr
    assert "Received Accounting-Response" in start.stdout
    interim = radclient_send(radclient, addr, SECRET, BASE + "Acct-Status-Type = Interim-Update\n"
                             "Event-Timestamp = 1781439207\nAcct-Session-Time = 600\n"
                             "Acct-Input-Octets = 1000\nAcct-Output-Octets = 2000\n")
    assert interim.returncode == 0, interim.stdout + interim.stderr
    stop = radclient_send(radclient, addr, SECRET, BASE + "Acct-Status-Type = Stop\nEvent-Timestamp = 1781440407\n"
                          "Acct-Session-Time = 1800\nAcct-Input-Octets = 7\nAcct-Input-Gigawords = 1\n"
                          "Acct-Output-Octets = 9000\nAcct-Terminate-Cause = Lost-Carrier\n")
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert wait_until(lambda: len(sink.records) == 3)
    s, i, p = (sink.records[k] for k in sorted(sink.records))
    assert (s.status, s.session_id, s.client_mac, s.private_ip, s.user_name, s.ap, s.ssid, s.start) == (
        "Start", "5F3A0001", "aa:bb:cc:dd:ee:01", "10.20.1.34", "visiteur42@portail", "00:1a:1e:40:01:02",
        "Parc-Sausset-WiFi", 1781438607.0)
    assert (s.source, s.site) == ("ctrl-parc-sausset", "parc-sausset")
    assert (i.status, i.duration, i.input_octets, i.output_octets) == ("Interim-Update", 600.0, 1000, 2000)
    assert (p.status, p.start, p.stop, p.duration, p.input_octets, p.output_octets, p.terminate_cause) == (
        "Stop", 1781438607.0, 1781440407.0, 1800.0, 2**32 + 7, 9000, "Lost-Carrier")
    assert service.metrics.records[("radius", "ctrl-parc-sausset")] == 3


def test_wrong_secret_gets_no_answer_and_is_counted(radclient, service, sink):
    out = radclient_send(radclient, service.service.radius_address, "not-the-secret",
                         BASE + "Acct-Status-Type = Start\n", timeout=1)
    assert out.returncode != 0
    assert "No reply" in out.stdout + out.stderr
    assert service.metrics.dropped_count("radius", "bad_authenticator") == 1
    assert sink.records == {} and service.service.spool.last_seq == 0


def _request(identifier: int, secret: bytes, **attrs: object) -> bytes:
    p = AcctPacket(id=identifier, secret=secret, dict=load_dictionary())
    for k, v in attrs.items():
        p[k.replace("_", "-")] = v
    return p.RequestPacket()


def test_retransmission_is_answered_again_but_stored_once(service, sink):
    raw = _request(17, SECRET.encode(), Acct_Status_Type="Start", Acct_Session_Id="R1",
                   Calling_Station_Id="02-00-00-00-00-01")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.connect(service.service.radius_address)
        answers = []
        for _ in range(3):
            s.send(raw)
            answers.append(s.recv(100))
    expected = hashlib.md5(struct.pack("!BBH", 5, 17, 20) + raw[4:20] + SECRET.encode()).digest()
    assert all(a[:2] == b"\x05\x11" and a[4:20] == expected for a in answers)
    assert wait_until(lambda: service.service.spool.last_seq >= 1)
    assert service.service.spool.last_seq == 1
    assert service.metrics.dropped_count("radius", "duplicate") == 2


def test_unknown_nas_and_malformed_packets_are_dropped_and_counted(service, sink):
    good = _request(3, SECRET.encode(), Acct_Status_Type="Start", Acct_Session_Id="M1")
    # A Start without Acct-Session-Id, correctly signed: decodes but is not a usable record.
    no_session = _request(4, SECRET.encode(), Acct_Status_Type="Start")
    # Length field larger than the datagram.
    bad_length = good[:2] + struct.pack("!H", len(good) + 50) + good[4:]
    # An attribute whose length runs past the end (signed, so it reaches the decoder).
    body = bytes([1, 40, 0x61, 0x62])
    head = struct.pack("!BBH", 4, 5, 20 + len(body))
    torn_attr = head + hashlib.md5(head + bytes(16) + body + SECRET.encode()).digest() + body
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(service.service.radius_address)
        for datagram in (b"\x04\x01", bad_length, torn_attr, no_session):
            s.send(datagram)
    assert wait_until(lambda: service.metrics.dropped_count("radius", "malformed") == 4)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # from an address no NAS has
        s.bind(("127.0.0.2", 0))
        s.sendto(good, service.service.radius_address)
    assert wait_until(lambda: service.metrics.dropped_count("radius", "unknown_nas") == 1)
    assert service.service.spool.last_seq == 0
