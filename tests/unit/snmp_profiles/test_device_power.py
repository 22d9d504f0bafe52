"""The device's own power (thdmon_device_power_watts) from a real device's recording, through a whole poll
(sysObjectID -> profile -> modules -> decode, `lab.snmp.recording.RecordingEngine`), and the recordings
that have no such sensor give none rather than a made-up zero."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from collector.snmp.poll import DeviceMemory, PollResult, poll_device
from collector.snmp.profile import modules
from collector.snmp.target import Target
from lab.snmp.recording import RecordingEngine
from tests.conftest import load_sample, require
from tests.unit.snmp_profiles import snmprec

POWER = "thdmon_device_power_watts"
# Recordings whose MIBs carry no power reading of the device itself (docs/snmp-profiles.md, "Device power"):
# Cisco's have CISCO-ENTITY-SENSOR rows of other types only and PoE tables (not the device's own power),
# Huawei's hwEntityStateTable has no power column, Juniper's jnxOperatingTable neither.
WITHOUT = ("iosxe_c9200l", "ios_ie32008t2s-ios17-12", "ios_2960x", "vrp_5720-32x-ei", "junos_ex", "procurve_2520")


def _poll(name: str) -> PollResult:
    path = snmprec.recording(name)
    require(path.is_file(), f"{path} is absent: recordings unavailable")
    return _poll_file(name, path)


def _poll_file(name: str, path: Path) -> PollResult:
    engine = RecordingEngine({name: path})
    target = Target(name, "192.0.2.1", community=SecretStr("recorded"))
    return asyncio.run(poll_device(engine, target, profile=None, profiles=load_sample().profiles,
                                   modules=modules(), memory=DeviceMemory()))  # type: ignore[arg-type]


def test_aos_cx_supplies_power_sensors_are_the_devices_own_power() -> None:
    result = _poll("arubaos-cx_10.16")
    assert result.state.up
    power = {dict(s.labels)["sensor"]: s.value for s in result.samples if s.metric == POWER}
    # 1.3.6.1.2.1.99.1.1.1.4.107401 = 20 and .107501 = 27, watts(6), units, precision 0: a 6300M's two supplies
    assert power == {"Power sensor for power supply 1/1": 20.0, "Power sensor for power supply 1/2": 27.0}
    info = {dict(s.labels)["sensor"]: dict(s.labels)["sensor_index"] for s in result.samples
            if s.metric == "thdmon_sensor_info"}
    assert info["Power sensor for power supply 1/1"] == "107401"
    assert info["Power sensor for power supply 1/2"] == "107501"
    # the fans' RPM sensors (type rpm(10)) are neither power nor on the info series
    assert not any(name.startswith("RPM sensor") for name in info)


@pytest.mark.parametrize("name", WITHOUT)
def test_recordings_without_a_power_sensor_give_no_power(name: str) -> None:
    result = _poll(name)
    assert result.state.up and result.samples
    assert [s for s in result.samples if s.metric == POWER] == []


CISCO_SENSOR = "1.3.6.1.4.1.9.9.91.1.1.1.1"  # entSensorValueEntry: .1 type, .2 scale, .3 precision, .4 value, .5 status
ENT_NAME = "1.3.6.1.2.1.47.1.1.1.1.7"


def test_cisco_watts_sensors_as_the_mib_defines_them(tmp_path: Path) -> None:
    """No recording has a CISCO-ENTITY-SENSOR watts(6) row, so the real C9200L recording is polled with two
    added beside its own sensors, in the test's temporary directory (never copied into the repository):
    one in milliwatts (scale milli(8)) that reads 61.5 W, one whose status is unavailable(2), dropped."""
    path = snmprec.recording("iosxe_c9200l")
    require(path.is_file(), f"{path} is absent: recordings unavailable")
    rows = {1098: ("Switch 1 - Power Supply A Power Sensor", 61500, 1),
            1099: ("Switch 1 - Power Supply B Power Sensor", 0, 2)}
    added = []
    for index, (name, value, status) in rows.items():
        added += [f"{ENT_NAME}.{index}|4|{name}", f"{CISCO_SENSOR}.1.{index}|2|6", f"{CISCO_SENSOR}.2.{index}|2|8",
                  f"{CISCO_SENSOR}.3.{index}|2|0", f"{CISCO_SENSOR}.4.{index}|2|{value}",
                  f"{CISCO_SENSOR}.5.{index}|2|{status}"]
    extended = tmp_path / "iosxe_c9200l-watts.snmprec"
    extended.write_text(path.read_text() + "\n".join(added) + "\n")
    result = _poll_file("sw-c9200l", extended)
    power = {dict(s.labels)["sensor"]: s.value for s in result.samples if s.metric == POWER}
    assert power == {"Switch 1 - Power Supply A Power Sensor": pytest.approx(61.5)}
    info = {dict(s.labels)["sensor"]: dict(s.labels)["sensor_index"] for s in result.samples
            if s.metric == "thdmon_sensor_info"}
    assert info["Switch 1 - Power Supply A Power Sensor"] == "1098"
