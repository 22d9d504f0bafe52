"""`thdmon serve` end to end: a real snmpd polled, a real Prometheus scraping it, reload and shutdown.

Peers: net-snmp snmpd (our own config, free UDP port), `thdmon serve` as a subprocess on a free TCP
port, Debian's prometheus. Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collector.model import DownReason
from tests.conftest import ROOT, require
from tests.integration.snmp_engine.agents import Agent, free_udp_port, have, start_snmpd

COMMUNE = "Saint-Denis"
SITE_NAME = "Collège Jean-Jaurès"


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_inventory(root: Path, devices: list[tuple[str, int]]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "sites.yaml").write_text(f"""sites:
- id: col-saint-denis-jean-jaures
  name: {SITE_NAME}
  kind: college
  commune: {COMMUNE}
""", encoding="utf-8")
    (root / "credentials.yaml").write_text("""credentials:
  test-v2c:
    type: snmp_v2c
    community: env:THDMON_TEST_COMMUNITY
profiles:
  linux-host:
    description: Linux hosts running net-snmp
    snmp_modules: [system, if_mib, host_resources]
    sys_object_ids: [1.3.6.1.4.1.8072.3.2.10]
""", encoding="utf-8")
    body = "devices:\n" + "".join(f"""- hostname: {name}
  address: 127.0.0.1
  snmp_port: {port}
  site: col-saint-denis-jean-jaures
  role: access_switch
  profile: linux-host
  snmp: test-v2c
""" for name, port in devices)
    tmp = root / ".devices.yaml.tmp"
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(root / "devices.yaml")  # atomic: the watcher never reads half a file


def until(what: str, probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout} s")
        time.sleep(0.25)


@dataclass
class Serve:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def metrics(self) -> dict[tuple[str, str], list[Any]]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out: dict[tuple[str, str], list[Any]] = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                out.setdefault((s.name, s.labels.get("device", "")), []).append(s)
        return out


@pytest.fixture
def snmpd(tmp_path: Path) -> Iterator[Agent]:
    require(have("snmpd") and have("snmpget"), "net-snmp snmpd/snmpget not installed (apt-get install snmpd snmp)")
    agent = start_snmpd(tmp_path / "snmpd")
    yield agent
    agent.stop()


@pytest.fixture
def serve(tmp_path: Path, snmpd: Agent) -> Iterator[Serve]:
    inventory = tmp_path / "inventory"
    write_inventory(inventory, [("sw-col-jj-acc1", snmpd.port)])
    port = free_tcp_port()
    env = {**os.environ, "THDMON_TEST_COMMUNITY": "public", "THDMON_STATE_DIR": str(tmp_path / "state"),
           "THDMON_COLLECTOR__FAST_INTERVAL": "5", "THDMON_COLLECTOR__TIMEOUT": "0.5",
           "THDMON_COLLECTOR__RETRIES": "0", "PYTHONPATH": str(ROOT)}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "thdmon", "--inventory", str(inventory), "serve",
                                 "--listen", f"127.0.0.1:{port}", "--reload-interval", "0.5"],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    handle = Serve(proc, port, log)
    yield handle
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def _up(serve: Serve, device: str) -> float | None:
    samples = serve.metrics().get(("thdmon_device_up", device))
    return samples[0].value if samples else None


def test_serve_polls_snmpd_reloads_and_stops_cleanly(tmp_path: Path, serve: Serve, snmpd: Agent):
    def loopback() -> list[Any]:
        received = serve.metrics().get(("thdmon_interface_receive_bytes_total", "sw-col-jj-acc1"), [])
        return [s for s in received if s.labels["ifname"] == "lo"]

    lo = until("interface series of snmpd", loopback)
    series = serve.metrics()
    assert series[("thdmon_device_up", "sw-col-jj-acc1")][0].value == 1.0 and lo[0].value > 0
    assert lo[0].labels["commune"] == COMMUNE and lo[0].labels["site_kind"] == "college"
    assert lo[0].labels["site"] == "col-saint-denis-jean-jaures" and lo[0].labels["role"] == "access_switch"
    assert series[("thdmon_device_maintenance", "sw-col-jj-acc1")][0].value == 0.0

    # Reload by file change: one device added (nobody answers there), the first keeps its state.
    silent = free_udp_port()
    write_inventory(tmp_path / "inventory", [("sw-col-jj-acc1", snmpd.port), ("sw-col-jj-acc2", silent)])
    until("new device polled and down", lambda: _up(serve, "sw-col-jj-acc2") == 0.0)
    reasons = serve.metrics()[("thdmon_device_down_reason", "sw-col-jj-acc2")]
    assert reasons[0].labels["reason"] in {r.value for r in DownReason}
    assert _up(serve, "sw-col-jj-acc1") == 1.0
    assert not serve.metrics().get(("thdmon_interface_receive_bytes_total", "sw-col-jj-acc2"))

    # A broken inventory is refused and the previous one kept.
    (tmp_path / "inventory" / "broken.yaml").write_text("devices:\n- hostname: x\n  typo_field: 1\n")
    until("failed reload counted", lambda: [
        s for s in serve.metrics().get(("thdmon_collector_inventory_reloads_total", ""), [])
        if s.labels["result"] == "failed" and s.value >= 1])
    assert _up(serve, "sw-col-jj-acc1") == 1.0 and _up(serve, "sw-col-jj-acc2") == 0.0
    (tmp_path / "inventory" / "broken.yaml").unlink()

    # Removal: the device vanishes from /metrics entirely.
    write_inventory(tmp_path / "inventory", [("sw-col-jj-acc1", snmpd.port)])
    until("removed device gone", lambda: serve.metrics() and ("thdmon_device_up", "sw-col-jj-acc2")
          not in serve.metrics())

    def ok_reloads() -> float:
        samples = serve.metrics().get(("thdmon_collector_inventory_reloads_total", ""), [])
        return sum(s.value for s in samples if s.labels["result"] == "ok")

    before = ok_reloads()
    serve.process.send_signal(signal.SIGHUP)  # reload without any file change
    until("SIGHUP reload", lambda: ok_reloads() == before + 1)

    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.wait(timeout=15) == 0
    assert "event=stopped" in serve.log.read_text()


@pytest.mark.slow
def test_prometheus_scrapes_serve_and_sees_the_device_series(tmp_path: Path, serve: Serve):
    require(have("prometheus"), "prometheus not installed (apt-get install prometheus)")
    until("first poll of snmpd", lambda: _up(serve, "sw-col-jj-acc1") == 1.0)
    prom_port = free_tcp_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""global:
  scrape_interval: 1s
scrape_configs:
- job_name: thdmon
  static_configs:
  - targets: ['127.0.0.1:{serve.port}']
""")
    with (tmp_path / "prometheus.log").open("wb") as out:
        prom = subprocess.Popen(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=out, stderr=subprocess.STDOUT)
    try:
        def query(expr: str) -> list[dict[str, Any]]:
            url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    return json.load(r)["data"]["result"]
            except OSError:
                return []

        result = until("series in Prometheus", lambda: query(
            'thdmon_interface_receive_bytes_total{device="sw-col-jj-acc1",ifname="lo"}'), timeout=40)
        labels = result[0]["metric"]
        assert labels["commune"] == COMMUNE and labels["site"] == "col-saint-denis-jean-jaures"
        assert labels["role"] == "access_switch" and labels["job"] == "thdmon"
        assert float(result[0]["value"][1]) > 0
        up = query('thdmon_device_up{device="sw-col-jj-acc1"}')
        assert float(up[0]["value"][1]) == 1.0
        scrape = query('up{job="thdmon"}')
        assert float(scrape[0]["value"][1]) == 1.0  # the page parsed: no duplicate or malformed series
    finally:
        prom.kill()
        prom.wait()
