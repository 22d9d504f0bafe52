"""ICMP as a registered poller, end to end: `thdmon serve` pinging real 127.x addresses (the kernel answers),
a real snmpd, the lab's nftables rule that makes a device ICMP-unreachable, and a real Prometheus.

Three devices on their own addresses:
- `answers-both`: snmpd listens on its address, pings answer;
- `snmp-only`: snmpd listens, ICMP echo dropped by the lab (loss 1, icmp_up 0) while SNMP stays up;
- `ping-only`: nothing listens for SNMP (timeout) but it answers ping: SNMP samples gone, ICMP present;
- `cut-off`: neither: the only one with thdmon_device_up 0 (the device-level rule).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import icmp as lab_icmp
from lab import inventory_files as inv
from lab.snmp.snmpd import SnmpdAgent, free_udp_port, start_snmpd
from tests.conftest import ROOT, require
from tests.integration.serve.test_serve import Serve, stop_serve
from tests.integration.snmp_engine.agents import have
from tests.peers import free_tcp_port, prometheus_query, start_prometheus, until

ADDRESSES = {"answers-both": "127.77.0.2", "snmp-only": "127.77.0.3", "ping-only": "127.77.0.4",
             "cut-off": "127.77.0.5"}


def _inventory(root: Path, ports: dict[str, int]) -> None:
    site = "col-bobigny-pablo-neruda"
    inv.write_inventory(
        root, sites=[inv.site(site, name="Collège Pablo-Neruda")],
        credentials={"v2c": inv.snmp_v2c("env:THDMON_TEST_COMMUNITY")},
        devices=[inv.device(name, site, address=address, snmp_port=ports[name], snmp="v2c",
                            intervals={"fast": 5, "icmp": 4}) for name, address in ADDRESSES.items()])


@pytest.fixture
def agents(tmp_path: Path) -> Iterator[dict[str, SnmpdAgent]]:
    require(have("snmpd"), "net-snmp snmpd not installed (apt-get install snmpd)")
    started = {name: start_snmpd(tmp_path / name, host=ADDRESSES[name]) for name in ("answers-both", "snmp-only")}
    yield started
    for agent in started.values():
        agent.stop()


@pytest.fixture
def blocked(tmp_path: Path) -> Iterator[Path]:
    require(shutil.which("nft") is not None, "nft not installed (apt-get install nftables)")
    runtime = tmp_path / "lab"
    runtime.mkdir()
    for name in ("snmp-only", "cut-off"):
        lab_icmp.block(runtime, ADDRESSES[name])
    yield runtime
    lab_icmp.clear(runtime)


def _values(serve: Serve, metric: str, device: str, **labels: str) -> list[float]:
    return [s.value for s in serve.metrics().get((metric, device), [])
            if all(s.labels.get(k) == v for k, v in labels.items())]


def test_icmp_and_snmp_fail_apart_and_the_device_is_down_only_when_both_do(tmp_path: Path, agents, blocked):
    ports = {name: agent.port for name, agent in agents.items()}
    ports |= {name: free_udp_port(ADDRESSES[name]) for name in ("ping-only", "cut-off")}  # nobody listens
    _inventory(tmp_path / "inventory", ports)
    port = free_tcp_port()
    env = {**os.environ, "THDMON_TEST_COMMUNITY": "public", "THDMON_STATE_DIR": str(tmp_path / "state"),
           "THDMON_COLLECTOR__TIMEOUT": "0.5", "THDMON_COLLECTOR__RETRIES": "0", "PYTHONPATH": str(ROOT)}
    env.pop("THDMON_SECRETS", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "thdmon", "--inventory", str(tmp_path / "inventory"),
                                 "serve", "--listen", f"127.0.0.1:{port}", "--traps", "off"],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    serve = Serve(proc, port, log)
    prometheus = None
    try:
        def settled() -> bool:
            return all(_values(serve, "thdmon_device_protocol_up", d, protocol=p)
                       for d in ADDRESSES for p in ("snmp", "icmp"))
        until(f"every device polled over both protocols (log: {log.read_text()[-2000:]})", settled, timeout=60)

        def up(device: str, protocol: str) -> float:
            return _values(serve, "thdmon_device_protocol_up", device, protocol=protocol)[0]

        assert (up("answers-both", "snmp"), up("answers-both", "icmp")) == (1.0, 1.0)
        assert _values(serve, "thdmon_device_icmp_loss_ratio", "answers-both") == [0.0]
        assert 0 < _values(serve, "thdmon_device_icmp_rtt_seconds", "answers-both")[0] < 0.5

        # ICMP dropped by the lab, SNMP fine: icmp_up 0 and loss 1 exposed, SNMP samples kept, device up.
        assert (up("snmp-only", "snmp"), up("snmp-only", "icmp")) == (1.0, 0.0)
        assert _values(serve, "thdmon_device_icmp_up", "snmp-only") == [0.0]
        assert _values(serve, "thdmon_device_icmp_loss_ratio", "snmp-only") == [1.0]
        assert _values(serve, "thdmon_device_uptime_seconds", "snmp-only")
        assert _values(serve, "thdmon_device_down_reason", "snmp-only", protocol="icmp", reason="unreachable")
        assert _values(serve, "thdmon_device_up", "snmp-only") == [1.0]

        # Nothing listens for SNMP, ping answers: no SNMP sample, ICMP samples present, device up, SNMP down
        # (refused: the kernel answers port-unreachable).
        assert (up("ping-only", "snmp"), up("ping-only", "icmp")) == (0.0, 1.0)
        assert not _values(serve, "thdmon_device_uptime_seconds", "ping-only")
        assert _values(serve, "thdmon_device_icmp_up", "ping-only") == [1.0]
        assert _values(serve, "thdmon_device_down_reason", "ping-only", protocol="snmp", reason="refused")
        assert _values(serve, "thdmon_device_up", "ping-only") == [1.0]

        # Neither: the one device down.
        assert _values(serve, "thdmon_device_up", "cut-off") == [0.0]
        assert [d for d in ADDRESSES if _values(serve, "thdmon_device_up", d) == [0.0]] == ["cut-off"]

        # The one concurrency bound and its load are visible.
        load = serve.metrics()
        assert 1 <= load[("thdmon_collector_concurrency_limit", "")][0].value <= 64
        assert ("thdmon_collector_polls_in_flight", "") in load
        assert load[("thdmon_collector_samples_rejected_total", "")][0].value == 0

        # The same through a real Prometheus scraping serve.
        require(shutil.which("prometheus") is not None, "prometheus not installed (apt-get install prometheus)")
        (tmp_path / "prometheus").mkdir()
        prometheus, prom_port = start_prometheus(tmp_path / "prometheus", port)
        rows = until("Prometheus scraped the per-protocol state", lambda: prometheus_query(
            prom_port, 'thdmon_device_protocol_up == 0'), timeout=60)
        assert {(r["metric"]["device"], r["metric"]["protocol"]) for r in rows} == {
            ("snmp-only", "icmp"), ("ping-only", "snmp"), ("cut-off", "snmp"), ("cut-off", "icmp")}
        down = prometheus_query(prom_port, "thdmon_device_up == 0")
        assert [r["metric"]["device"] for r in down] == ["cut-off"]
        assert all(r["metric"]["site"] == "col-bobigny-pablo-neruda" for r in rows)
    finally:
        if prometheus is not None:
            prometheus.kill()
            prometheus.wait()
        stop_serve(serve)
