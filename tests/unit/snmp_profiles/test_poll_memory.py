"""Counter32 wrap and reboot detection between two polls (pure logic of collector.snmp.poll)."""

from __future__ import annotations

from collector.model import Sample
from collector.snmp.poll import WRAP32, DeviceMemory, apply_memory, walk_roots
from collector.snmp.profile import modules

IF = (("ifname", "Gi1/1"),)
ERR = "thdmon_interface_receive_errors_total"


def _poll(memory: DeviceMemory, uptime: float, errors: float, t: float) -> dict[str, float]:
    samples = [Sample("thdmon_device_uptime_seconds", (), uptime, t), Sample(ERR, IF, errors, t)]
    out = apply_memory(samples, {(ERR, IF)}, memory)
    return {s.metric: s.value for s in out}


def test_counter32_wrap_is_unwrapped() -> None:
    memory = DeviceMemory()
    assert _poll(memory, 100, WRAP32 - 10, 0)[ERR] == WRAP32 - 10
    after = _poll(memory, 160, 5, 60)
    assert after[ERR] == WRAP32 + 5  # 15 errors later, not a reset to 5
    assert after["thdmon_device_reboots_total"] == 0
    assert _poll(memory, 220, 7, 120)[ERR] == WRAP32 + 7  # the offset stays


def test_uptime_backwards_is_a_reboot_not_a_wrap() -> None:
    memory = DeviceMemory()
    _poll(memory, 1000, 500, 0)
    after = _poll(memory, 30, 12, 60)
    assert after["thdmon_device_reboots_total"] == 1
    assert after[ERR] == 12  # counters restarted with the device
    assert _poll(memory, 90, 20, 120)["thdmon_device_reboots_total"] == 1


def test_walk_roots_skip_nested_and_duplicate_roots() -> None:
    mods = modules()
    roots = walk_roots([mods["system"], mods["if_mib"], mods["entity_sensor"]])
    assert roots.count("1.3.6.1.2.1.2.2.1") == 1
    assert "1.3.6.1.2.1.2.2.1.2" not in roots  # ifDescr is inside ifTable
    assert roots[0] == "1.3.6.1.2.1.1"
