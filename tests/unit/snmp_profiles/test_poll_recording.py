"""A whole device poll (select by sysObjectID, walk, decode, reboot and wrap memory) on a real device's
recording, through `lab.snmp.recording.RecordingEngine`: no network, milliseconds per poll."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from collector.model import DownReason
from collector.snmp.poll import DeviceMemory, poll_device
from collector.snmp.profile import modules
from collector.snmp.target import Target
from lab.snmp.recording import RecordingEngine
from tests.conftest import load_sample, require
from tests.unit.snmp_profiles import snmprec

UPTIME = "1.3.6.1.2.1.1.3.0"


@pytest.fixture(scope="module")
def engine() -> RecordingEngine:
    path = snmprec.recording("iosxe_c9200l")
    require(path.is_file(), f"{path} is absent: recordings unavailable")
    return RecordingEngine({"sw-c9200l": path})


def _poll(engine: RecordingEngine, memory: DeviceMemory, interval: str | None = None, name: str = "sw-c9200l"):
    target = Target(name, "192.0.2.1", community=SecretStr("recorded"))
    return asyncio.run(poll_device(engine, target, profile=None,
                                   profiles=load_sample().profiles, modules=modules(), memory=memory,
                                   interval=interval))  # type: ignore[arg-type]


def _values(result, metric: str, **labels: str) -> list[float]:
    return [s.value for s in result.samples if s.metric == metric and all(dict(s.labels).get(k) == v
                                                                            for k, v in labels.items())]


def test_a_poll_by_sysobjectid_decodes_the_vendor_modules_and_a_reboot_is_counted(engine: RecordingEngine):
    memory = DeviceMemory()
    first = _poll(engine, memory)
    assert first.state.up and first.state.varbinds > 500 and first.state.extra["modules"] == 8  # 6 + 2 probes
    assert _values(first, "thdmon_device_uptime_seconds") == [pytest.approx(7585438.93)]
    assert _values(first, "thdmon_poe_power_budget_watts", group="1") == [740]  # chosen by sysObjectID
    assert _values(first, "thdmon_temperature_celsius", sensor="Switch 1 - Inlet Temp Sensor") == [25]
    assert _values(first, "thdmon_device_reboots_total") == [0.0]
    engine.set("sw-c9200l", UPTIME, 1000)  # sysUpTime went backwards: the device rebooted
    second = _poll(engine, memory)
    assert _values(second, "thdmon_device_reboots_total") == [1.0]
    fast_only = _poll(engine, DeviceMemory(), interval="fast")
    assert {s.metric for s in fast_only.samples} < {s.metric for s in first.samples}  # slow modules left out


def test_an_unknown_device_is_down_with_timeout_and_no_samples(engine: RecordingEngine):
    result = _poll(engine, DeviceMemory(), name="sw-absent")
    assert not result.state.up and result.state.reason == DownReason.timeout and result.samples == []
