"""The real fleet end to end: Wi-Fi controllers, Huawei and classic Cisco recordings served by snmpsim,
added to an inventory with NO profile, polled by `thdmon collect --once --json --verbose`.

Each family must land on its profile (built in, by sysObjectID) and give its Wi-Fi, CPU, memory and
interface values; the selection and its reasons are in the JSON, and an expected module that answered
nothing (the ZoneDirector capture has no IF-MIB) is a line of the human output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from lab import inventory_files
from tests.conftest import require
from tests.integration.snmp_engine.agents import SNMPSIM, Agent, have, start_snmpsim
from tests.unit.snmp_profiles import snmprec
from thdmon.cli import cli

pytestmark = pytest.mark.slow  # one snmpsim per recording (the inventory wants one address:port per device)

# device -> (recording, profile, [(metric, labels subset, value)])
FLEET: dict[str, tuple[str, str, list[tuple[str, dict[str, str], float]]]] = {
    "wlc-aruba": ("arubaos", "arubaos-controller", [
        ("thdmon_wifi_controller_aps", {}, 1386),
        ("thdmon_cpu_utilisation_ratio", {"cpu": "Supervisor Card CPU"}, 0.03),
        ("thdmon_memory_used_bytes", {"pool": "system"}, 416524 * 1024),
        ("thdmon_wifi_clients", {"ap": "ar6-bib4le2n", "radio": "1"}, 18)]),
    "wlc-zd": ("ruckuswireless", "ruckus-zonedirector", [
        ("thdmon_wifi_controller_aps", {}, 36), ("thdmon_wifi_controller_clients", {}, 11),
        ("thdmon_memory_utilisation_ratio", {"pool": "system"}, 0.04)]),
    "ap-unleashed": ("ruckuswireless-unleashed", "ruckus-zonedirector", [
        ("thdmon_wifi_controller_aps", {}, 1), ("thdmon_memory_utilisation_ratio", {"pool": "system"}, 0.59)]),
    "ap-unifi": ("unifi_nanohd", "linux-host", [
        ("thdmon_wifi_clients", {"radio": "na", "band": "5GHz"}, 14),
        ("thdmon_interface_info", {"ifname": "eth0"}, 1)]),
    "sw-huawei": ("vrp_5720-32x-ei", "huawei-vrp", [
        ("thdmon_cpu_utilisation_ratio", {"cpu": "MPU Board 0"}, 0.44),
        ("thdmon_optical_rx_power_dbm", {"ifname": "GigabitEthernet0/0/1"}, -11.04),
        ("thdmon_interface_info", {"ifname": "GigabitEthernet0/0/1"}, 1)]),
    "sw-2960x": ("ios_2960x", "cisco-ios", [
        ("thdmon_cpu_utilisation_ratio", {"cpu": "cpu0"}, 0.63),
        ("thdmon_memory_used_bytes", {"pool": "Processor"}, 50661572),
        ("thdmon_optical_rx_power_dbm", {"ifname": "Gi1/0/52"}, -4.7)]),
    "wlc-5760": ("iosxe_ct5760", "cisco-wlc", [
        ("thdmon_wifi_channel", {"ap": "APC-013", "radio": "1"}, 36),
        ("thdmon_cpu_utilisation_ratio", {"cpu": "Switch 1"}, 0.01)]),
}


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Agent]]:
    require(SNMPSIM.exists(), "snmpsim not installed in .venv (pip install snmpsim pysmi)")
    require(have("snmpget"), "net-snmp tools not installed (apt-get install snmp)")
    started: dict[str, Agent] = {}
    try:
        for device, (name, _, _) in FLEET.items():
            path = snmprec.recording(name)
            require(path.is_file(), f"{path} missing")
            started[device] = start_snmpsim(tmp_path_factory.mktemp(device), [path])
        yield started
    finally:
        for agent in started.values():
            agent.stop()


def _inventory(root: Path, agents: dict[str, Agent]) -> dict[str, str]:
    ordered = sorted(agents.items())
    inventory_files.write_inventory(
        root, sites=[inventory_files.site("parc-sausset", name="Parc du Sausset", kind="park", commune="Villepinte")],
        credentials={f"c{i}": inventory_files.snmp_v2c(f"env:FLEET_{i}") for i in range(len(ordered))},
        devices=[inventory_files.device(device, "parc-sausset", snmp_port=agent.port, snmp=f"c{i}")  # no profile:
                 for i, (device, agent) in enumerate(ordered)])
    return {f"FLEET_{i}": agent.community for i, (_, agent) in enumerate(ordered)}


def test_fleet_without_profiles_is_recognised(agents: dict[str, Agent], tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    env = _inventory(inv, agents) | {"THDMON_COLLECTOR__TIMEOUT": "5", "THDMON_COLLECTOR__RETRIES": "1",
                                     "THDMON_STATE_DIR": str(tmp_path / "state")}
    result = CliRunner().invoke(cli, ["--inventory", str(inv), "collect", "--once", "--protocol", "snmp",
                                      "--json"], env=env)
    assert result.exit_code == 0, result.output
    devices = {name: d["protocols"]["snmp"] for name, d in json.loads(result.output)["devices"].items()}
    for device, (_, profile, values) in FLEET.items():
        got = devices[device]
        assert got["up"], (device, got["reason"], got["detail"])
        assert got["selection"]["profile"] == profile, device
        assert got["selection"]["why"].startswith("sysObjectID "), device
        for metric, labels, value in values:
            found = [s["value"] for s in got["samples"]
                     if s["metric"] == metric and labels.items() <= s["labels"].items()]
            assert found and found[0] == pytest.approx(value), (device, metric, labels)
    zd = devices["wlc-zd"]
    assert zd["selection"]["empty"] == ["if_mib"]
    assert any(s["metric"] == "thdmon_device_module_empty" and s["labels"] == {"module": "if_mib"}
               and s["value"] == 1 for s in zd["samples"])
    human = CliRunner().invoke(cli, ["--inventory", str(inv), "collect", "--once", "--protocol", "snmp",
                                     "--verbose", "--device", "wlc-zd", "--device", "sw-huawei"], env=env)
    assert human.exit_code == 0, human.output
    flat = " ".join(human.output.split())
    assert "wlc-zd: profile ruckus-zonedirector expects if_mib, which answered nothing" in flat
    assert "SNMP profiles and modules" in flat and "huawei-vrp" in flat
