"""The lab serves the devices' own power the way each family does: AOS-CX switches have one ENTITY-SENSOR
watts sensor per supply (as the 6300M recording has), Cisco IOS-XE switches none (no recording shows a
watts(6) row). Served by the simulated département, polled by `poll_device` as `thdmon serve` polls it
(the sample inventory, gufo); the Energy dashboard's own-power panels read these series."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from pydantic import SecretStr

from collector.snmp.gufo_engine import GufoEngine
from collector.snmp.poll import PollResult, poll_device
from collector.snmp.profile import modules
from collector.snmp.target import Target
from inventory.model import Inventory
from lab.sample import generate
from lab.sample.lab_secrets import LAB_SECRETS
from lab.snmp import datagen
from lab.snmp.snmpd import free_udp_port
from lab.supervisor import lab_running
from tests.conftest import load_sample, require

POWER = "thdmon_device_power_watts"
# model -> (supplies, total W the supplies read at least, at most): the device's own draw and, on an
# access switch, the PoE it delivers (the lab's APs and phones take up to ~130 W on a 48-port switch).
EXPECTED = {"JL675A": (1, 35, 220), "JL658A": (2, 40, 70), "JL700A": (2, 150, 240)}


def _one_of(inv: Inventory, model: str) -> str:
    return min(h for h, d in inv.devices.items() if datagen.model_of(d) == model and "lab-recording" not in d.tags)


def test_aos_cx_supplies_report_power_and_cisco_switches_none(tmp_path: Path) -> None:
    require(shutil.which("snmpget") is not None, "net-snmp client tools (Debian package snmp) are missing")
    inv = load_sample()
    chosen = {model: _one_of(inv, model) for model in (*EXPECTED, "C9200L-48P-4X")}
    port = free_udp_port()
    with lab_running(tmp_path / "lab", inv, generate.DATA_DIR, processes=1, port=port,
                     only=set(chosen.values()), timeout=120) as (_, state):
        async def poll_all() -> dict[str, PollResult]:
            engine = GufoEngine()
            try:
                out = {}
                for model, hostname in chosen.items():
                    device = inv.devices[hostname]
                    target = Target(name=hostname, address=state["devices"][hostname]["address"], port=port,
                                    community=SecretStr(LAB_SECRETS["lab_snmp_community"]), timeout=3, retries=1)
                    out[model] = await poll_device(engine, target, profile=device.profile, profiles=inv.profiles,
                                                   modules=modules())
                return out
            finally:
                await engine.close()
        results = asyncio.run(poll_all())
    for model, (supplies, low, high) in EXPECTED.items():
        result = results[model]
        assert result.state.up, (model, result.state.detail)
        power = {dict(s.labels)["sensor"]: s.value for s in result.samples if s.metric == POWER}
        assert sorted(power) == [f"Power sensor for power supply 1/{k}" for k in range(1, supplies + 1)], model
        assert low <= sum(power.values()) <= high, (model, power)
        indexes = {dict(s.labels)["sensor"]: dict(s.labels)["sensor_index"] for s in result.samples
                   if s.metric == "thdmon_sensor_info"}
        assert {indexes[name] for name in power} == {str(datagen.SUPPLY_SENSOR + k) for k in range(supplies)}
    cisco = results["C9200L-48P-4X"]
    assert cisco.state.up and any(s.metric == "thdmon_temperature_celsius" for s in cisco.samples)
    assert not [s for s in cisco.samples if s.metric == POWER]
