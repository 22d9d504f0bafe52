"""The lab answers like the département: values, moving counters, LLDP = inventory, SNMPv3, recordings."""

from __future__ import annotations

import time

from lab.snmp import topology
from tests.conftest import SHARED, require
from tests.integration.lab.conftest import snmp, value_of

SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


def _access_switch(lab):
    return next(h for h in sorted(lab.state["devices"])
                if h.startswith("col-bagnolet-") and h.endswith("-acc1"))


def test_generated_device_answers_with_its_identity(running_lab):
    hostname = _access_switch(running_lab)
    rc, out = snmp("snmpget", running_lab.endpoint(hostname), SYS_NAME, SYS_OBJECT_ID)
    assert rc == 0, out
    lines = out.strip().splitlines()
    assert value_of(lines[0]) == hostname
    profile = running_lab.inv.devices[hostname].profile
    expected = ".1.3.6.1.4.1.47196.4.1.1.1." if profile == "aruba-cx" else ".1.3.6.1.4.1.9.1."
    assert value_of(lines[1]).startswith(expected)


def test_each_address_is_its_own_device(running_lab):
    names = [h for h in sorted(running_lab.state["devices"]) if h.startswith(("col-bagnolet", "pmi-bagnolet"))]
    assert len(names) >= 4
    for hostname in names[:6]:
        rc, out = snmp("snmpget", running_lab.endpoint(hostname), SYS_NAME)
        assert rc == 0 and value_of(out) == hostname, out


def test_counters_and_uptime_advance(running_lab):
    hostname = _access_switch(running_lab)
    port = topology.build(running_lab.inv).uplink[hostname].port
    oid = f"1.3.6.1.2.1.31.1.1.1.6.{port}"
    _, first = snmp("snmpget", running_lab.endpoint(hostname), oid, SYS_UPTIME)
    time.sleep(1.1)
    _, second = snmp("snmpget", running_lab.endpoint(hostname), oid, SYS_UPTIME)
    octets = [int(value_of(out.splitlines()[0])) for out in (first, second)]
    ticks = [int(out.splitlines()[1].split("(")[1].split(")")[0]) for out in (first, second)]
    assert octets[1] > octets[0]
    assert ticks[1] >= ticks[0] + 100  # TimeTicks: 1.1 s elapsed at least
    assert ticks[0] > 3 * 86400 * 100  # booted days ago


def test_lldp_neighbour_is_the_inventory_uplink(running_lab):
    hostname = _access_switch(running_lab)
    link = topology.build(running_lab.inv).uplink[hostname]
    rc, out = snmp("snmpbulkwalk", running_lab.endpoint(hostname), "1.0.8802.1.1.2.1.4.1.1.9")
    assert rc == 0, out
    neighbours = {line.split(" = ")[0]: value_of(line) for line in out.strip().splitlines()}
    assert neighbours[f".1.0.8802.1.1.2.1.4.1.1.9.0.{link.port}.1"] == link.peer
    peer_site = running_lab.inv.devices[link.peer].site
    assert peer_site in (running_lab.inv.sites[running_lab.inv.devices[hostname].site].uplink,
                         running_lab.inv.devices[hostname].site)


def test_optical_power_and_poe_are_served(running_lab):
    hostname = _access_switch(running_lab)
    link = topology.build(running_lab.inv).uplink[hostname]
    sensor = 100000 + 10 * link.port + 1
    cisco = running_lab.inv.devices[hostname].profile == "cisco-iosxe"
    value_oid = (f"1.3.6.1.4.1.9.9.91.1.1.1.1.4.{sensor}" if cisco else f"1.3.6.1.2.1.99.1.1.1.4.{sensor}")
    rc, out = snmp("snmpget", running_lab.endpoint(hostname), value_oid, f"1.3.6.1.2.1.47.1.1.1.1.7.{sensor}",
                   "1.3.6.1.2.1.105.1.3.1.1.2.1")
    assert rc == 0, out
    lines = out.strip().splitlines()
    assert -200 < int(value_of(lines[0])) < 0  # dBm x 10
    assert value_of(lines[1]).endswith("Receive Power Sensor")
    assert int(value_of(lines[2])) in (195, 370)


def test_snmpv3_authpriv_device(running_lab):
    endpoint = running_lab.endpoint("dc-bobigny-wlc1")
    rc, out = snmp("snmpget", endpoint, SYS_NAME, v3=True)
    assert rc == 0 and value_of(out) == "dc-bobigny-wlc1", out
    rc, out = snmp("snmpbulkwalk", endpoint, "1.3.6.1.4.1.14179.2.1.1.1.2", v3=True)
    assert rc == 0
    assert [value_of(line) for line in out.strip().splitlines()] == ["SSD-WiFi-Public", "SSD-Education",
                                                                      "SSD-Agents"]
    rc, _ = snmp("snmpget", endpoint, SYS_NAME, timeout=0.5)  # the community gets nothing from it
    assert rc != 0


def test_wifi_ap_reports_its_radios(running_lab):
    # a Cisco AP (AIRESPACE); the park's UniFi APs answer UBNT-UniFi-MIB (tests/integration/snmp_profiles)
    hostname = next((h for h in sorted(running_lab.state["devices"])
                     if "-ap" in h and "model:C9120AXI-E" in running_lab.inv.devices[h].tags), None)
    assert hostname is not None
    rc, out = snmp("snmpbulkwalk", running_lab.endpoint(hostname), "1.3.6.1.4.1.14179.2.2.2.1.4")
    assert rc == 0, out
    channels = [int(value_of(line)) for line in out.strip().splitlines()]
    assert len(channels) == 2 and channels[0] in (1, 6, 11) and channels[1] >= 36


def test_real_device_recording_is_served_at_its_lab_address(running_lab):
    require((SHARED / "snmprec").is_dir(), f"{SHARED / 'snmprec'} is absent")
    rc, out = snmp("snmpget", running_lab.endpoint("rec-aruba-cx6300m"), "1.3.6.1.2.1.1.1.0")
    assert rc == 0, out
    expected = next(line.split("|", 2)[2] for line in
                    (SHARED / "snmprec" / "arubaos-cx_10.16.snmprec").read_text().splitlines()
                    if line.startswith("1.3.6.1.2.1.1.1.0|"))
    assert value_of(out) == expected
