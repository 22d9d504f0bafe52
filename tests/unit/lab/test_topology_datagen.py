"""Lab topology and generated .snmprec data, checked offline."""

from __future__ import annotations

import collections

import pytest

from lab.snmp import datagen, topology, values
from tests.conftest import load_sample

SYSNAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
LLDP_REM_SYSNAME = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 9)


@pytest.fixture(scope="module")
def inv():
    return load_sample()


@pytest.fixture(scope="module")
def topo(inv):
    return topology.build(inv)


def test_every_device_but_datacentre_cores_has_an_uplink(inv, topo):
    roots = sorted(h for h, d in inv.devices.items() if h not in topo.uplink and "lab-recording" not in d.tags)
    assert roots == ["dc-bobigny-core1", "dc-bobigny-core2", "dc-pleyel-core1", "dc-pleyel-core2"]


def test_uplinks_follow_the_inventory(inv, topo):
    for hostname, link in topo.uplink.items():
        device, peer = inv.devices[hostname], inv.devices[link.peer]
        site = inv.sites[device.site]
        if device.role == "wifi_ap":
            assert peer.role == "access_switch" and peer.site == device.site
        elif peer.site != device.site:
            assert peer.site == site.uplink, hostname
            assert peer.role == "core"


def test_parent_ports_are_used_once(topo):
    for parent, links in topo.downlinks.items():
        ports = [link.port for link in links]
        assert len(ports) == len(set(ports)), parent
        assert all(topo.uplink[link.peer].peer_port == link.port for link in links)


def test_access_switch_data(inv, topo):
    hostname = next(h for h, d in sorted(inv.devices.items()) if d.role == "access_switch" and
                    inv.sites[d.site].kind == "college")
    recs = datagen.records(inv.devices[hostname], inv, topo)
    oids = [r[0] for r in recs]
    assert oids == sorted(oids) and len(set(oids)) == len(oids)
    by_oid = {oid: (tag, value) for oid, tag, value in recs}
    assert by_oid[SYSNAME] == ("4", hostname)
    link = topo.uplink[hostname]
    assert by_oid[LLDP_REM_SYSNAME + (0, link.port, 1)] == ("4", link.peer)
    ports = int(next(t for t in inv.devices[hostname].tags if t.startswith("ports:")).split(":")[1])
    assert by_oid[(1, 3, 6, 1, 2, 1, 2, 1, 0)] == ("2", str(ports + 4))
    assert by_oid[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, link.port)][0] == "70:labvalue"
    assert by_oid[(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, link.port)][1].startswith(f"uplink {link.peer} ")
    assert (1, 3, 6, 1, 2, 1, 105, 1, 3, 1, 1, 2, 1) in by_oid  # pethMainPsePower


def test_controller_reports_the_same_radios_as_its_aps(inv, topo):
    joined = datagen.controller_aps(inv)
    assert sum(len(aps) for aps in joined.values()) == sum(   # the Cisco APs; UniFi and Instant are standalone
        1 for d in inv.devices.values() if d.role == "wifi_ap" and "lab-recording" not in d.tags
        and datagen.WIFI_FAMILY[datagen.model_of(d)] == "airespace")
    wlc, aps = next((h, aps) for h, aps in sorted(joined.items()) if aps)
    ap = aps[0]
    wlc_recs = {r[0]: r[1:] for r in datagen.records(inv.devices[wlc], inv, topo, aps)}
    ap_recs = {r[0]: r[1:] for r in datagen.records(ap, inv, topo)}
    users = (1, 3, 6, 1, 4, 1, 14179, 2, 2, 2, 1, 15, *datagen.base_mac(ap), 1)
    assert wlc_recs[users] == ap_recs[users]
    assert wlc_recs[(1, 3, 6, 1, 4, 1, 14179, 2, 1, 1, 1, 2, 1)] == ("4", "SSD-WiFi-Public")


def test_labvalue_counters_reset_on_reboot():
    kind, params = values.parse("c,rate=100,init=5000")
    start = values.STARTED
    assert values.compute(kind, params, "67", start + 10, None) == 5000 + 1000
    assert values.compute(kind, params, "67", start + 10, start + 8) == 200
    assert values.compute(*values.parse("c,rate=1,init=4294967290"), "65", start + 10, None) == 4
    wave = [values.compute(*values.parse("w,base=-40,amp=4,period=60,phase=0"), "2", t, None) for t in range(60)]
    assert min(wave) == -44 and max(wave) == -36
    assert values.device_index("/x/data/abc/1.3.6.1.6.1.1.42.snmprec") == "42"


def test_optical_low_reads_the_low_value_of_the_failure_only():
    wave = values.parse("w,base=-40,amp=4,period=60,phase=0,low=-200")
    assert values.compute(*wave, "2", 0.0, None) == -40
    assert values.compute(*wave, "2", 0.0, None, "low") == -200
    flag = values.parse("k,value=2,low=1")
    assert [values.compute(*flag, "2", 0.0, None, optical) for optical in (None, "low")] == [2, 1]
    # values without a `low` (counters, uptime) are not touched by the optical failure
    assert values.compute(*values.parse("c,rate=0,init=7"), "65", values.STARTED, None, "low") == 7


def _rx_sensors(recs, table):
    """(sensor index, labvalue spec) of the dBm sensors named Receive in `table` (entity sensor value column)."""
    names = {oid[-1]: value for oid, _, value in recs if oid[:-1] == datagen.ENT + (7,)}
    return {oid[-1]: value for oid, tag, value in recs
            if oid[:-1] == table + (4,) and "Receive Power" in names.get(oid[-1], "")}


def test_optical_low_is_under_the_device_threshold_or_any_default(inv, topo):
    cisco = datagen.records(inv.devices["dc-bobigny-core1"], inv, topo)
    rx = _rx_sensors(cisco, datagen.CISCO_SENSOR)
    assert rx and all(values.parse(spec)[1]["low"] == datagen.RX_LOW_ALARM - 30 for spec in rx.values())
    by_oid = {oid: (tag, value) for oid, tag, value in cisco}
    sensor = next(iter(rx))
    # the critical low threshold (row 4) is the one the profile calls low_alarm; its evaluation follows
    assert by_oid[datagen.CISCO_THRESHOLD + (4, sensor, 4)] == ("2", str(datagen.RX_LOW_ALARM))
    assert by_oid[datagen.CISCO_THRESHOLD + (5, sensor, 4)] == ("2:labvalue", "k,value=2,low=1")
    # above the policy's -24 dBm default: only the transceiver's own threshold can fire OpticalRxLow
    assert -240 < datagen.RX_LOW_ALARM - 30 < datagen.RX_LOW_ALARM
    aruba = datagen.records(inv.devices["pop-clichy-montfermeil-core1"], inv, topo)
    assert {values.parse(s)[1]["low"] for s in _rx_sensors(aruba, datagen.ENT_SENSOR).values()} == {-300}


def test_generated_population(inv, topo):
    kinds = collections.Counter()
    for hostname in ("dc-bobigny-core1", "dc-bobigny-fw1", "dc-bobigny-rtr1"):
        recs = datagen.records(inv.devices[hostname], inv, topo)
        kinds[hostname] = len(recs)
    assert all(n > 100 for n in kinds.values())


@pytest.mark.parametrize(("park", "family_root"), [
    ("parc-jean-moulin-les-guilands", (1, 3, 6, 1, 4, 1, 41112, 1, 6, 1, 2, 1)),    # UniFi unifiVapTable
    ("parc-du-sausset", (1, 3, 6, 1, 4, 1, 14823, 2, 3, 3, 1, 2, 2, 1)),           # Aruba Instant aiRadioTable
    ("parc-georges-valbon", (1, 3, 6, 1, 4, 1, 14179, 2, 2, 2, 1)),                # AIRESPACE bsnAPIfTable
])
def test_park_aps_answer_their_family_mib_with_moving_values(inv, topo, park, family_root):
    ap = next(d for d in inv.devices.values() if d.site == park and d.role == "wifi_ap")
    recs = datagen.records(ap, inv, topo)
    rows = [r for r in recs if r[0][:len(family_root)] == family_root]
    assert rows and any(tag.endswith(":labvalue") for _, tag, _ in rows)
    others = {(1, 3, 6, 1, 4, 1, 41112), (1, 3, 6, 1, 4, 1, 14823), (1, 3, 6, 1, 4, 1, 14179)} - {family_root[:7]}
    assert not any(r[0][:7] in others for r in recs)   # one Wi-Fi MIB per AP
