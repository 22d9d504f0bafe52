"""`thdmon serve` end to end: a real snmpd polled, a real Prometheus scraping it, reload and shutdown.

Peers: net-snmp snmpd (our own config, free UDP port), `thdmon serve` as a subprocess on a free TCP
port, Debian's prometheus. Nothing is mocked.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from collector.model import DownReason
from collector.schedule import first_run
from lab import inventory_files as inv
from lab.snmp.snmpd import AUTH_KEY, PRIV_KEY, SnmpdAgent, free_udp_port, start_snmpd
from tests.conftest import ROOT, require
from tests.integration.snmp_engine.agents import have
from tests.peers import free_tcp_port, prometheus_query, start_prometheus, until

COMMUNE = "Saint-Denis"
SITE_NAME = "Collège Jean-Jaurès"


def write_inventory(root: Path, devices: list[tuple[str, int]], *, v3_devices: tuple[str, ...] = ()) -> None:
    inv.write_inventory(
        root, sites=[inv.site("col-saint-denis-jean-jaures", name=SITE_NAME, commune=COMMUNE)],
        credentials={"test-v2c": inv.snmp_v2c("env:THDMON_TEST_COMMUNITY"),
                     "test-v3": inv.snmp_v3("privsha", auth_key="env:THDMON_TEST_V3_AUTH",
                                            priv_key="env:THDMON_TEST_V3_PRIV")},
        profiles={"linux-host": inv.profile(["system", "if_mib", "host_resources"],
                                            sys_object_ids=["1.3.6.1.4.1.8072.3.2.10"],
                                            description="Linux hosts running net-snmp")},
        devices=[inv.device(name, "col-saint-denis-jean-jaures", snmp_port=port, profile="linux-host",
                            snmp="test-v3" if name in v3_devices else "test-v2c") for name, port in devices])


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
def snmpd(tmp_path: Path) -> Iterator[SnmpdAgent]:
    require(have("snmpd") and have("snmpget"), "net-snmp snmpd/snmpget not installed (apt-get install snmpd snmp)")
    agent = start_snmpd(tmp_path / "snmpd")
    yield agent
    agent.stop()


def start_serve(tmp_path: Path, agent: SnmpdAgent, *, env: dict[str, str] | None = None,
                args: tuple[str, ...] = ("--traps", "off"), v3_device: str | None = None) -> Serve:
    inventory = tmp_path / "inventory"
    devices = [(v3_device or "sw-col-jj-acc1", agent.port)]  # one device per address and port
    write_inventory(inventory, devices, v3_devices=(v3_device,) if v3_device else ())
    port = free_tcp_port()
    full_env = {**os.environ, "THDMON_TEST_COMMUNITY": "public", "THDMON_STATE_DIR": str(tmp_path / "state"),
                "THDMON_TEST_V3_AUTH": AUTH_KEY, "THDMON_TEST_V3_PRIV": PRIV_KEY,
                # SNMP only: these tests are about SNMP polling (127.0.0.1 answers ping, so with ICMP
                # a device nobody answers SNMP for would still be up; see tests/integration/icmp)
                "THDMON_COLLECTOR__PROTOCOLS": "snmp",
                "THDMON_COLLECTOR__FAST_INTERVAL": "5", "THDMON_COLLECTOR__TIMEOUT": "0.5",
                "THDMON_COLLECTOR__RETRIES": "0", "PYTHONPATH": str(ROOT), **(env or {})}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "thdmon", "--inventory", str(inventory), "serve",
                                 "--listen", f"127.0.0.1:{port}", "--reload-interval", "0.5", *args],
                                stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=tmp_path)
    return Serve(proc, port, log)


def stop_serve(handle: Serve) -> None:
    if handle.process.poll() is None:
        handle.process.kill()
    handle.process.wait()


@pytest.fixture
def serve(tmp_path: Path, snmpd: SnmpdAgent) -> Iterator[Serve]:
    handle = start_serve(tmp_path, snmpd)
    yield handle
    stop_serve(handle)


def _up(serve: Serve, device: str) -> float | None:
    samples = serve.metrics().get(("thdmon_device_up", device))
    return samples[0].value if samples else None


def test_serve_polls_snmpd_reloads_and_stops_cleanly(tmp_path: Path, serve: Serve, snmpd: SnmpdAgent):
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
    prom, prom_port = start_prometheus(tmp_path, serve.port)
    try:
        def query(expr: str) -> list[dict[str, Any]]:
            return prometheus_query(prom_port, expr)

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


def test_a_trap_from_a_device_re_polls_it_before_its_next_scheduled_poll(tmp_path: Path, snmpd: SnmpdAgent):
    require(have("snmptrap"), "net-snmp snmptrap not installed (apt-get install snmp)")
    device = "sw-col-jj-acc1"
    intervals = {"fast": 3600.0, "slow": 7200.0}  # no scheduled poll can be mistaken for the re-poll
    trap_port = free_udp_port()
    launched = time.time()
    serve = start_serve(tmp_path, snmpd, env={"THDMON_COLLECTOR__FAST_INTERVAL": "3600",
                                              "THDMON_COLLECTOR__SLOW_INTERVAL": "7200"},
                        args=("--traps", f"127.0.0.1:{trap_port}"))
    try:
        until("trap receiver started", lambda: "event=trap_receiver_started" in serve.log.read_text())
        until("/metrics answering", lambda: serve.metrics().get(("thdmon_collector_devices", "")))

        def last_poll() -> float | None:
            samples = serve.metrics().get(("thdmon_device_last_poll_timestamp_seconds", device))
            return samples[0].value if samples else None

        before = last_poll()  # None unless a scheduled poll's phase fell in the first seconds
        sent = time.time()
        subprocess.run(["snmptrap", "-v2c", "-c", "public", f"127.0.0.1:{trap_port}", "",
                        "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.1", "i", "1"],
                       check=True, capture_output=True, env={**os.environ, "MIBS": ""})
        after = until("re-poll after the trap", lambda: (t := last_poll()) is not None and t != before and t)
        scheduled = [first_run(device, cls, seconds, launched) + k * seconds
                     for cls, seconds in intervals.items() for k in range(2)]
        assert not [t for t in scheduled if sent - 1 <= t <= after], "a scheduled poll was due: ambiguous"
        assert after >= sent - 1 and _up(serve, device) == 1.0
        traps = {s.labels["trap"]: s.value for s in serve.metrics()[("thdmon_collector_traps_total", "")]}
        assert traps == {"linkDown": 1.0}
        lo = [s for s in serve.metrics().get(("thdmon_interface_receive_bytes_total", device), [])
              if s.labels["ifname"] == "lo"]
        assert lo and lo[0].value > 0  # the fast class was polled: interfaces are there
        serve.process.send_signal(signal.SIGTERM)
        assert serve.process.wait(timeout=15) == 0
    finally:
        stop_serve(serve)


def test_an_snmpv3_trap_is_accepted_once_the_devices_engine_id_is_read(tmp_path: Path, snmpd: SnmpdAgent):
    """The service reads the v3 device's snmpEngineID (one get) and accepts its authPriv traps."""
    require(have("snmptrap"), "net-snmp snmptrap not installed (apt-get install snmp)")
    engine_id = subprocess.run(["snmpget", "-v2c", "-c", "public", "-On", "-Ov", "-Ox", f"127.0.0.1:{snmpd.port}",
                                "1.3.6.1.6.3.10.2.1.1.0"], capture_output=True, text=True, check=True,
                               env={**os.environ, "MIBS": ""}).stdout.split(":", 1)[1]
    engine_id = "".join(engine_id.split())  # "80 00 1F ... \n00 \n": net-snmp wraps long hex strings
    trap_port = free_udp_port()
    serve = start_serve(tmp_path, snmpd, v3_device="wlc-col-jj-v3",
                        env={"THDMON_COLLECTOR__FAST_INTERVAL": "3600", "THDMON_COLLECTOR__SLOW_INTERVAL": "7200"},
                        args=("--traps", f"127.0.0.1:{trap_port}"))
    try:
        until("engine id learnt", lambda: f"device=wlc-col-jj-v3 engine_id={engine_id.lower()}"
              in serve.log.read_text())
        argv = ["snmptrap", "-v3", "-e", f"0x{engine_id}", "-u", "privsha", "-l", "authPriv", "-a", "SHA",
                "-A", AUTH_KEY, "-x", "AES", "-X", PRIV_KEY, f"127.0.0.1:{trap_port}", "", "1.3.6.1.6.3.1.1.5.4",
                "1.3.6.1.2.1.2.2.1.1.1", "i", "1"]
        subprocess.run(argv, check=True, capture_output=True, env={**os.environ, "MIBS": ""})

        def traps() -> dict[str, float]:
            return {s.labels["trap"]: s.value for s in serve.metrics().get(("thdmon_collector_traps_total", ""), [])}

        assert until("v3 trap counted", traps) == {"linkUp": 1.0}
        until("v3 device polled after its trap", lambda: _up(serve, "wlc-col-jj-v3") == 1.0)
        assert AUTH_KEY not in serve.log.read_text() and PRIV_KEY not in serve.log.read_text()
    finally:
        stop_serve(serve)


def test_a_trap_port_already_taken_is_a_clear_error(tmp_path: Path, snmpd: SnmpdAgent):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        serve = start_serve(tmp_path, snmpd, args=("--traps", f"127.0.0.1:{port}"))
        try:
            assert serve.process.wait(timeout=30) == 2
        finally:
            stop_serve(serve)
    text = serve.log.read_text()
    assert f"trap receiver cannot listen on 127.0.0.1:{port}" in text and "Traceback" not in text
