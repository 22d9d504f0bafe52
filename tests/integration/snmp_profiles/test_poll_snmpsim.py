"""Poll real recordings served by snmpsim, end to end through collector.snmp.poll, with both engines;
and `thdmon collect --once --json` against a small inventory with one dead device."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from collector.snmp.gufo_engine import GufoEngine
from collector.snmp.poll import DeviceMemory, poll_device
from collector.snmp.profile import modules
from collector.snmp.pysnmp_engine import PysnmpEngine
from collector.snmp.target import Target
from inventory.model import Profile
from lab import inventory_files
from tests.integration.snmp_engine.agents import Agent, start_snmpsim
from thdmon.cli import cli

PROFILES = {
    "cisco-iosxe": Profile(snmp_modules=("system", "if_mib", "lldp", "cisco_entity_sensor", "poe"),
                           sys_object_ids=("1.3.6.1.4.1.9.1",)),
    "wlc": Profile(snmp_modules=("system", "if_mib", "wifi_airespace"), sys_object_ids=("1.3.6.1.4.1.9.6.1.37",)),
}


def _target(agent: Agent, community: str, timeout: float = 2.0) -> Target:
    return Target(name=community, address=agent.host, port=agent.port, community=SecretStr(community),
                  timeout=timeout, retries=0)


def _by(samples: list, metric: str, **labels: str) -> float:
    found = [s.value for s in samples if s.metric == metric and labels.items() <= dict(s.labels).items()]
    assert found, f"no {metric}{labels}"
    return found[0]


@pytest.mark.parametrize("engine_cls", [GufoEngine, PysnmpEngine], ids=["gufo", "pysnmp"])
def test_poll_recordings_end_to_end(recordings_agent: Agent, engine_cls: type) -> None:
    async def run() -> dict:
        engine = engine_cls()
        try:
            memory = DeviceMemory()
            ie = await poll_device(engine, _target(recordings_agent, "ios_ie32008t2s-ios17-12"), profile=None,
                                   profiles=PROFILES, modules=modules(), memory=memory)
            again = await poll_device(engine, _target(recordings_agent, "ios_ie32008t2s-ios17-12"), profile=None,
                                      profiles=PROFILES, modules=modules(), memory=memory)
            wlc = await poll_device(engine, _target(recordings_agent, "ciscowlc_cbw240ac"), profile="wlc",
                                    profiles=PROFILES, modules=modules())
            slow = await poll_device(engine, _target(recordings_agent, "ios_ie32008t2s-ios17-12"), profile=None,
                                     profiles=PROFILES, modules=modules(), interval="slow")
            return {"ie": ie, "again": again, "wlc": wlc, "slow": slow}
        finally:
            await engine.close()

    res = asyncio.run(run())
    ie, wlc = res["ie"], res["wlc"]
    assert ie.state.up and ie.state.reason is None and ie.state.varbinds > 300
    # chosen by sysObjectID 1.3.6.1.4.1.9.1.2683 -> cisco-iosxe, plus cisco_cpu_memory by its own prefix
    assert _by(ie.samples, "thdmon_optical_rx_power_dbm", ifname="Gi1/1") == pytest.approx(-6.2)
    assert _by(ie.samples, "thdmon_optical_rx_power_threshold_dbm", threshold="low_alarm") == pytest.approx(-19)
    assert _by(ie.samples, "thdmon_cpu_utilisation_ratio", cpu="cpu R0/0") == pytest.approx(0.02)
    assert _by(ie.samples, "thdmon_lldp_neighbor_info", ifname="Gi1/1", remote_port="Gi1/25") == 1
    assert _by(ie.samples, "thdmon_interface_info", ifname="Gi1/2", ifindex="2") == 1
    assert _by(ie.samples, "thdmon_device_reboots_total") == 0
    # snmpsim's uptime moves on between polls: not a reboot
    assert _by(res["again"].samples, "thdmon_device_reboots_total") == 0
    # the slow class: sensors and LLDP only, never the fast series again
    slow_metrics = {s.metric for s in res["slow"].samples}
    assert "thdmon_optical_rx_power_dbm" in slow_metrics and "thdmon_lldp_neighbor_info" in slow_metrics
    assert not {"thdmon_device_uptime_seconds", "thdmon_interface_info", "thdmon_device_reboots_total",
                "thdmon_cpu_utilisation_ratio"} & slow_metrics
    assert _by(wlc.samples, "thdmon_wifi_ssid_clients", ssid="ssid1") == 23
    assert _by(wlc.samples, "thdmon_wifi_clients", ap="ap3", radio="0") == 5


def test_dead_device_is_down_with_timeout(recordings_agent: Agent) -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        async def run() -> object:
            engine = GufoEngine()
            try:
                target = Target(name="dead", address="127.0.0.1", port=silent.getsockname()[1],
                                community=SecretStr("x"), timeout=0.3, retries=0)
                return await poll_device(engine, target, profile=None, profiles=PROFILES, modules=modules())
            finally:
                await engine.close()

        result = asyncio.run(run())
    finally:
        silent.close()
    assert not result.state.up and result.state.reason is not None
    assert result.state.reason.value == "timeout" and result.samples == []


def _inventory(root: Path, agent: Agent, linux: Agent, dead_port: int) -> None:
    # The inventory refuses two devices on one address:port, so the Linux host has its own agent.
    devices = [("sw-ie", agent.port, "ie"), ("srv-linux", linux.port, "linux"), ("sw-dead", dead_port, "dead")]
    inventory_files.write_inventory(
        root, sites=[inventory_files.site("col-test", name="Collège test")],
        credentials={name: inventory_files.snmp_v2c(f"env:COMM_{i}")
                     for i, name in enumerate(("ie", "linux", "dead"))},
        profiles={"cisco-iosxe": inventory_files.profile(["system", "if_mib", "cisco_entity_sensor"],
                                                         sys_object_ids=["1.3.6.1.4.1.9.1"])},
        devices=[inventory_files.device(h, "col-test", snmp_port=p, snmp=c) for h, p, c in devices])


def test_collect_once_json(recordings_agent: Agent, tmp_path: Path, shared_dir: Path) -> None:
    linux = start_snmpsim(tmp_path / "linux", [shared_dir / "snmprec" / "linux_xcp-ng.snmprec"])
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        inv = tmp_path / "inv"
        _inventory(inv, recordings_agent, linux, silent.getsockname()[1])
        env = {"COMM_0": "ios_ie32008t2s-ios17-12", "COMM_1": "linux_xcp-ng", "COMM_2": "whatever",
               "THDMON_COLLECTOR__TIMEOUT": "0.5", "THDMON_COLLECTOR__RETRIES": "0",
               "THDMON_STATE_DIR": str(tmp_path / "state")}
        result = CliRunner().invoke(cli, ["--inventory", str(inv), "collect", "--once", "--json"], env=env)
    finally:
        silent.close()
        linux.stop()
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    devices = {name: d["protocols"]["snmp"] for name, d in data["devices"].items()}
    assert devices["sw-dead"]["up"] is False and devices["sw-dead"]["reason"] == "timeout"
    assert devices["sw-ie"]["up"] and devices["srv-linux"]["up"]
    # Every device also answered ICMP (127.0.0.1): the silent one is down over SNMP only.
    assert all(d["protocols"]["icmp"]["up"] for d in data["devices"].values())
    assert data["devices"]["sw-dead"]["up"] is True
    ie = {(s["metric"], s["labels"].get("ifname")): s["value"] for s in devices["sw-ie"]["samples"]}
    assert ie[("thdmon_optical_rx_power_dbm", "Gi1/1")] == pytest.approx(-6.2)
    linux = devices["srv-linux"]["samples"]
    assert any(s["metric"] == "thdmon_interface_info" and s["labels"]["ifname"] == "eth0" for s in linux)
    assert data["summary"]["by_protocol"]["snmp"]["down_by_reason"] == {"timeout": 1}
    assert "ios_ie32008t2s" not in json.dumps(devices["sw-dead"])  # no community leaks into output
