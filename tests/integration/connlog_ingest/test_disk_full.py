"""A full disk under the spool (a real 64 KiB tmpfs), with the database down: RADIUS requests that cannot
be made durable get no answer (the NAS keeps retransmitting) and are counted; once the database is back,
the feeder drains, acknowledged segments are deleted, and the retransmission is stored and answered."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyrad.packet import AcctPacket

from connlog.ingest.radius import load_dictionary
from connlog.spool import DiskSpool
from tests.conftest import require
from tests.integration.connlog_ingest.conftest import SECRET
from tests.integration.connlog_ingest.harness import MemorySink, RunningService, config, wait_until


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    require(os.geteuid() == 0 and shutil.which("mount") is not None, "mounting a tmpfs needs root")
    where = tmp_path / "small-disk"
    where.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(where)],
                          capture_output=True, text=True)
    require(proc.returncode == 0, f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], capture_output=True)


def request(identifier: int, session: str) -> bytes:
    p = AcctPacket(id=identifier, secret=SECRET.encode(), dict=load_dictionary())
    p["Acct-Status-Type"] = "Interim-Update"
    p["Acct-Session-Id"] = session
    p["Calling-Station-Id"] = "02-00-00-00-00-01"
    p["Called-Station-Id"] = "00-1A-1E-40-01-02:Parc-Sausset-WiFi"
    p["Framed-IP-Address"] = "10.20.1.34"
    p["Event-Timestamp"] = 1781438607 + identifier
    return p.RequestPacket()


def test_disk_full_withholds_answers_then_recovers(tmp_path, small_disk, sources):
    sink = MemorySink()
    sink.down = True
    cfg = config(tmp_path, spool_dir=small_disk / "spool", segment_bytes=4096, syslog=None)
    with RunningService(cfg, sources, sink) as rs, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(rs.service.radius_address)
        s.settimeout(1.0)
        answered = 0
        unanswered = None
        for i in range(1, 256):
            raw = request(i, f"{i:08X}")
            s.send(raw)
            try:
                s.recv(100)
                answered += 1
            except TimeoutError:
                unanswered = raw
                break
        assert unanswered is not None and answered > 20, answered
        assert rs.metrics.dropped_count("radius", "spool_error") == 1
        assert rs.service.spool.last_seq == answered

        sink.down = False  # the database is back: the feeder drains and frees the disk
        assert wait_until(lambda: len(sink.records) == answered, 20)
        s.settimeout(5.0)
        s.send(unanswered)  # the NAS retransmits
        assert s.recv(100)[0] == 5
        assert wait_until(lambda: len(sink.records) == answered + 1, 20)
    assert sorted(sink.records) == list(range(1, answered + 2))  # no hole, no duplicate
    assert sink.records[answered + 1].session_id == f"{answered + 1:08X}"
    with DiskSpool(small_disk / "spool") as spool:  # the spool on the full disk reopens intact
        assert spool.torn_lines == 0 and spool.corrupt_lines == 0 and spool.last_seq == answered + 1
