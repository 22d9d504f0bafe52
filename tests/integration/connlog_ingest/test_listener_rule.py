"""Issue 10, defect 9: `thdmon logs serve` follows the one listener rule of thdmon: loopback unless
configured; beyond it /metrics requires basic auth (refused otherwise, as `thdmon serve` does) and
syslog takes inventory senders only (RADIUS always needs a known NAS and its secret)."""

from __future__ import annotations

import base64
import hashlib
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pydantic import SecretStr

from connlog.errors import ConnlogError
from connlog.ingest.sources import from_mapping
from exporters.http import BasicAuth
from tests.conftest import ROOT, require
from tests.integration.connlog_ingest.harness import RunningService, config, wait_until

PASSWORD = "metrics-pass"
AUTH = BasicAuth("prom", SecretStr("sha256:" + hashlib.sha256(PASSWORD.encode()).hexdigest()))


def _outside_address() -> str:
    """An address of this host that is not loopback (the route to a public address picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent by connect() on UDP
            return s.getsockname()[0]
        except OSError:
            return "0.0.0.0"


def test_logs_serve_refuses_metrics_beyond_loopback_without_auth(tmp_path: Path) -> None:
    env = {"THDMON_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "thdmon", "logs", "serve", "--radius", "off", "--syslog", "off",
                           "--metrics", "0.0.0.0:0"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "refusing to listen on 0.0.0.0" in proc.stderr and "requires authentication" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_metrics_beyond_loopback_answer_only_with_auth(tmp_path: Path) -> None:
    host = _outside_address()
    cfg = config(tmp_path, radius=None, syslog=None, metrics=(host, 0), metrics_auth=AUTH)
    with RunningService(cfg, from_mapping({})) as rs:
        address = rs.service.metrics_address
        assert address is not None
        url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{address[1]}/metrics"
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(url, timeout=5)
        assert denied.value.code == 401
        token = base64.b64encode(f"prom:{PASSWORD}".encode()).decode()
        ok = urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Basic {token}"}),
                                    timeout=5)
        assert b"thdmon_connlog_spool_depth_records" in ok.read()


def test_metrics_refused_in_process_too(tmp_path: Path) -> None:
    with pytest.raises(ConnlogError, match="requires authentication"):
        with RunningService(config(tmp_path, radius=None, syslog=None, metrics=("0.0.0.0", 0)),
                            from_mapping({})):
            pass


def test_syslog_beyond_loopback_takes_inventory_senders_only(tmp_path: Path) -> None:
    host = _outside_address()
    require(host != "0.0.0.0", "this host has no address beyond loopback to bind syslog to")
    sources = from_mapping({}, {"192.0.2.77": ("fw-other", "parc")})  # 'host' itself is not a known sender
    with RunningService(config(tmp_path, radius=None, syslog=(host, 0)), sources) as rs:
        assert rs.service.syslog is not None and not rs.service.syslog.accept_unknown
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((host, 0))
            s.sendto(b"<30>1 - dhcp1 dhcpd - - - DHCPACK on 10.20.1.34 to 02:00:00:00:00:01 via eth1",
                     rs.service.syslog_address)
        assert wait_until(lambda: rs.metrics.dropped_count("syslog", "unknown_sender") == 1)
        assert rs.service.spool.last_seq == 0
