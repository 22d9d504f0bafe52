"""Issue 10, defect 3: the 64 KiB frame limit holds whatever the framing and however the bytes are split."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from tests.integration.connlog_ingest.harness import wait_until

LINE = "DHCPACK on 10.20.1.34 to 02:00:00:00:00:01 via eth1 "


def _send(s: socket.socket, data: bytes) -> None:
    # Once it has refused the frame the receiver closes with our bytes unread: the kernel may reset us.
    with contextlib.suppress(OSError):
        s.sendall(data)


@pytest.mark.parametrize("split", ["one_write", "newline_in_a_later_read", "eof_without_newline"])
def test_a_100_kb_newline_framed_line_is_refused(service, sink, split) -> None:
    big = (b"<30>1 - dhcp1 dhcpd - - - " + LINE.encode() + b"x" * 100_000)
    with socket.create_connection(service.service.syslog_address) as s:
        if split == "one_write":
            _send(s, big + b"\n")
        else:
            _send(s, big)
            time.sleep(0.2)  # the receiver reads what it has before the newline arrives
            if split == "newline_in_a_later_read":
                _send(s, b"\n")
    assert wait_until(lambda: service.metrics.dropped_count("syslog", "frame_too_long") == 1)
    time.sleep(0.2)
    assert sink.records == {} and service.service.spool.last_seq == 0


def test_a_frame_just_under_the_limit_is_kept(service, sink) -> None:
    frame = b"<30>1 - dhcp1 dhcpd - - - " + LINE.encode()
    frame += b"y" * (64 * 1024 - len(frame))
    with socket.create_connection(service.service.syslog_address) as s:
        s.sendall(frame[:30_000])
        time.sleep(0.1)
        s.sendall(frame[30_000:] + b"\n")
    assert wait_until(lambda: len(sink.records) == 1)
    assert service.metrics.dropped_count("syslog", "frame_too_long") == 0
