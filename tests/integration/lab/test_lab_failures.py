"""Failure injection: silent, slow, garbage, reboot, heal - one device at a time."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest
from pyasn1.codec.ber import decoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto import api

from lab.snmp import control, probe
from tests.integration.lab.conftest import COMMUNITY, snmp, value_of

SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


@pytest.fixture
def victim(running_lab):
    names = sorted(h for h in running_lab.state["devices"] if h.startswith("pmi-bagnolet") or h.startswith("ems-"))
    hostname, bystander = names[0], names[-1]
    yield hostname, bystander
    running_lab.lab.heal(hostname)
    _wait_for_control()


def _wait_for_control():
    time.sleep(control.REFRESH + 0.2)  # the agents re-read the control file at most every REFRESH s


def test_silent_device_times_out_and_others_still_answer(running_lab, victim):
    hostname, bystander = victim
    running_lab.lab.fail(hostname, "silent")
    _wait_for_control()
    rc, out = snmp("snmpget", running_lab.endpoint(hostname), SYS_NAME, timeout=1)
    assert rc != 0 and "Timeout" in out
    rc, out = snmp("snmpget", running_lab.endpoint(bystander), SYS_NAME, timeout=2)
    assert rc == 0 and value_of(out) == bystander
    running_lab.lab.heal(hostname)
    _wait_for_control()
    rc, out = snmp("snmpget", running_lab.endpoint(hostname), SYS_NAME)
    assert rc == 0 and value_of(out) == hostname


def test_slow_device_answers_late_without_delaying_its_neighbours(running_lab, victim):
    hostname, bystander = victim
    running_lab.lab.fail(hostname, "slow", delay=3.0)
    _wait_for_control()
    rc, out = snmp("snmpget", running_lab.endpoint(hostname), SYS_NAME, timeout=0.5)
    assert rc != 0 and "Timeout" in out  # not within half a second...
    late = subprocess.Popen(["snmpget", "-v2c", "-c", COMMUNITY, "-On", "-t", "10", "-r", "0",
                             running_lab.endpoint(hostname), SYS_NAME], stdout=subprocess.PIPE, text=True)
    try:
        rc, out = snmp("snmpget", running_lab.endpoint(bystander), SYS_NAME, timeout=5)
        assert rc == 0 and value_of(out) == bystander
        assert late.poll() is None, "the bystander must answer while the slow device is still waiting"
        assert value_of(late.communicate(timeout=30)[0]) == hostname  # ...but it does answer
    finally:
        late.kill()
        late.wait()


def test_garbage_device_sends_malformed_ber(running_lab, victim):
    hostname, _ = victim
    running_lab.lab.fail(hostname, "garbage")
    _wait_for_control()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(probe.get_request(COMMUNITY), (running_lab.address(hostname), running_lab.port))
        data, _ = sock.recvfrom(65535)
    assert data
    with pytest.raises(PyAsn1Error):
        decoder.decode(data, asn1Spec=api.PROTOCOL_MODULES[api.SNMP_VERSION_2C].Message())


def test_reboot_resets_uptime_and_counters_then_device_keeps_answering(running_lab, victim):
    hostname, _ = victim
    rc, before = snmp("snmpget", running_lab.endpoint(hostname), SYS_UPTIME)
    assert rc == 0
    ticks_before = int(before.split("(")[1].split(")")[0])
    running_lab.lab.fail(hostname, "reboot")
    _wait_for_control()
    rc, after = snmp("snmpget", running_lab.endpoint(hostname), SYS_UPTIME)
    assert rc == 0, after
    ticks_after = int(after.split("(")[1].split(")")[0])
    assert ticks_after < ticks_before
    assert ticks_after < 60 * 100  # restarted less than a minute ago
    status = running_lab.lab.status()
    assert "boot" in status["failures"][hostname]


def test_reboot_with_downtime_is_silent_then_comes_back_fresh(running_lab, victim):
    hostname, _ = victim
    running_lab.lab.fail(hostname, "reboot", downtime=2.0)
    _wait_for_control()
    rc, out = snmp("snmpget", running_lab.endpoint(hostname), SYS_UPTIME, timeout=0.5)
    assert rc != 0 and "Timeout" in out
    deadline = time.monotonic() + 20
    while True:
        rc, out = snmp("snmpget", running_lab.endpoint(hostname), SYS_UPTIME, timeout=1)
        if rc == 0 or time.monotonic() > deadline:
            break
    assert rc == 0, "the device must come back after its downtime"
    assert int(out.split("(")[1].split(")")[0]) < 60 * 100


def test_optical_low_puts_the_rx_under_its_low_alarm_until_healed(running_lab):
    from lab.errors import LabError
    from lab.snmp import datagen, topology

    hostname = "dc-bobigny-core1"  # Cisco: CISCO-ENTITY-SENSOR-MIB with the transceiver's thresholds
    port = next(link.port for link in topology.build(running_lab.inv).neighbours(hostname))
    sensor = 100000 + 10 * port + 1
    value = f"1.3.6.1.4.1.9.9.91.1.1.1.1.4.{sensor}"
    low_alarm = f"1.3.6.1.4.1.9.9.91.1.2.1.1.4.{sensor}.4"
    evaluation = f"1.3.6.1.4.1.9.9.91.1.2.1.1.5.{sensor}.4"
    name = "1.3.6.1.2.1.1.5.0"

    def read() -> list[int | str]:
        rc, out = snmp("snmpget", running_lab.endpoint(hostname), value, low_alarm, evaluation, name)
        assert rc == 0, out
        got = [value_of(line) for line in out.strip().splitlines()]
        return [*map(int, got[:3]), got[3]]

    rx, alarm, crossed, _ = read()
    assert alarm == datagen.RX_LOW_ALARM and rx > alarm and crossed == 2
    try:
        running_lab.lab.fail(hostname, "optical-low")
        _wait_for_control()
        # 3 dB under the transceiver's alarm, the evaluation true(1); the rest of the device as before
        assert read() == [datagen.RX_LOW_ALARM - 30, datagen.RX_LOW_ALARM, 1, hostname]
        assert running_lab.lab.status()["failures"][hostname] == {"optical": "low"}
    finally:
        running_lab.lab.heal(hostname)
    _wait_for_control()
    rx, _, crossed, _ = read()
    assert rx > datagen.RX_LOW_ALARM and crossed == 2
    # a device without a generated transceiver (a real-device recording, an AP) is refused by name
    bare = next(h for h, d in running_lab.inv.devices.items()
                if h in running_lab.state["devices"] and d.role == "wifi_ap")
    with pytest.raises(LabError, match="no transceiver"):
        running_lab.lab.fail(bare, "optical-low")
