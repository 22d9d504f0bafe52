"""Decode REAL recordings (../shared/snmprec, read in place) with the shipped modules.

Each expectation below was read by hand from the recording named beside it (OID|TAG|VALUE lines).
"""

from __future__ import annotations

import pytest

from collector.snmp.decode import Walked, decode
from collector.snmp.profile import modules
from tests.conftest import require
from tests.unit.snmp_profiles import snmprec

# recording -> [(module, metric, labels subset, value)]
EXPECTED: dict[str, list[tuple[str, str, dict[str, str], float]]] = {
    "ios_ie32008t2s-ios17-12": [
        ("system", "thdmon_device_uptime_seconds", {}, 700277.24),               # sysUpTime 70027724
        ("if_mib", "thdmon_interface_info", {"ifname": "Gi1/1", "ifindex": "1", "iftype": "6"}, 1),
        # CISCO-ENTITY-SENSOR 1126 "FS Rx Power Sensor 1/1": -62, precision 1; port GigabitEthernet1/1
        ("cisco_entity_sensor", "thdmon_optical_rx_power_dbm", {"ifname": "Gi1/1"}, -6.2),
        ("cisco_entity_sensor", "thdmon_optical_tx_power_dbm", {"ifname": "Gi1/1"}, -5.6),
        ("cisco_entity_sensor", "thdmon_optical_rx_power_threshold_dbm",
         {"ifname": "Gi1/1", "threshold": "low_alarm"}, -19.0),                  # 1126.4: lessOrEqual critical -190
        ("cisco_entity_sensor", "thdmon_optical_rx_power_threshold_dbm",
         {"ifname": "Gi1/1", "threshold": "high_warning"}, -3.0),                # 1126.2: greaterOrEqual minor -30
        ("cisco_entity_sensor", "thdmon_optical_temperature_celsius", {"ifname": "Gi1/1"}, 46.925),
        # cpmCPUTotal1minRev.2 = 2, its cpmCPUTotalPhysicalIndex 1141 named "cpu R0/0" by entPhysicalName
        ("cisco_cpu_memory", "thdmon_cpu_utilisation_ratio", {"cpu": "cpu R0/0"}, 0.02),
        ("cisco_cpu_memory", "thdmon_cpu_info", {"cpu": "cpu R0/0", "cpu_index": "2"}, 1),
        ("cisco_cpu_memory", "thdmon_memory_total_bytes", {"pool": "Processor"}, 155265440 + 279062172),
        ("lldp", "thdmon_lldp_neighbor_info",
         {"ifname": "Gi1/1", "remote_sys_name": "DE-XXX-XXX-FAC-MP-SW110", "remote_port": "Gi1/25"}, 1),
    ],
    "iosxe_c9200l": [
        # the sensor's row (entPhysicalIndex 1010) on the info series, its name on the readings
        ("cisco_entity_sensor", "thdmon_sensor_info",
         {"sensor": "Switch 1 - Inlet Temp Sensor", "sensor_index": "1010"}, 1),
        ("system", "thdmon_device_uptime_seconds", {}, 7585438.93),
        ("poe", "thdmon_poe_power_budget_watts", {"group": "1"}, 740),           # pethMainPsePower.1
        ("poe", "thdmon_poe_power_consumption_watts", {"group": "3"}, 24),       # pethMainPseConsumptionPower.3
        ("cisco_entity_sensor", "thdmon_optical_rx_power_dbm",
         {"sensor": "Te1/1/4 Receive Power Sensor", "ifname": "Te1/1/4"}, 0.0),
        ("cisco_entity_sensor", "thdmon_temperature_celsius", {"sensor": "Switch 1 - Inlet Temp Sensor"}, 25),
        # CISCO-STACKWISE: three members ready, Switch 2 master, Switch 3 standby; stack port ifIndex 445 down
        ("cisco_stack", "thdmon_stack_member_ready", {"member": "Switch 3"}, 1),
        ("cisco_stack", "thdmon_stack_member_info", {"member": "Switch 2", "stack_role": "master"}, 1),
        ("cisco_stack", "thdmon_stack_member_info", {"member": "Switch 3", "stack_role": "standby"}, 1),
        ("cisco_stack", "thdmon_stack_port_up", {"ifname": "62"}, 1),      # no IF-MIB here: the ifIndex
        ("cisco_stack", "thdmon_stack_port_up", {"ifname": "445"}, 0),
    ],
    "arubaos-cx_10.16": [
        ("entity_sensor", "thdmon_sensor_info", {"sensor": "Temp Sensor", "sensor_index": "107001"}, 1),
        ("aruba_cx_optics", "thdmon_sensor_info", {"sensor": "1/1/27 lane 1", "sensor_index": "27.1"}, 1),  # ifIdx.lane
        ("aruba_cx_optics", "thdmon_sensor_info", {"sensor": "1/1/27", "sensor_index": "27"}, 1),
        ("if_mib", "thdmon_interface_info", {"ifname": "1/1/1", "ifindex": "1"}, 1),
        ("entity_sensor", "thdmon_temperature_celsius", {"sensor": "Temp Sensor"}, 28.875),  # 28875 milli
        # entPhySensorType watts(6), scale units(9), precision 0: one sensor per power supply
        ("entity_sensor", "thdmon_device_power_watts", {"sensor": "Power sensor for power supply 1/1"}, 20),
        ("entity_sensor", "thdmon_device_power_watts", {"sensor": "Power sensor for power supply 1/2"}, 27),
        ("entity_sensor", "thdmon_sensor_info",
         {"sensor": "Power sensor for power supply 1/2", "sensor_index": "107501"}, 1),
        ("host_resources", "thdmon_cpu_utilisation_ratio", {"cpu": "cpu0"}, 0.09),   # hrDeviceIndex 196608
        ("host_resources", "thdmon_cpu_info", {"cpu": "cpu0", "cpu_index": "196608"}, 1),
        ("system", "thdmon_device_info", {"vendor": "aruba", "sys_object_id": "1.3.6.1.4.1.47196.4.1.1.1.100"}, 1),
        # ARUBAWIRED-PM-MIB port 27 lane 1: rx "0.5537" mW = -2.57 dBm, tx "0.6451" mW = -1.90 dBm
        ("aruba_cx_optics", "thdmon_optical_rx_power_dbm", {"ifname": "1/1/27", "sensor": "1/1/27 lane 1"}, -2.57),
        ("aruba_cx_optics", "thdmon_optical_tx_power_dbm", {"ifname": "1/1/27"}, -1.90),
        ("aruba_cx_optics", "thdmon_optical_rx_power_threshold_dbm", {"ifname": "1/1/27", "threshold": "low_alarm"},
         -15.0),                                                                  # "0.0316" mW
        ("aruba_cx_optics", "thdmon_optical_temperature_celsius", {"ifname": "1/1/27"}, 33.6797),
    ],
    "procurve_2520": [
        ("entity_sensor", "thdmon_sensor_info", {"sensor": "Chassis Temperature", "sensor_index": "25"}, 1),
        ("system", "thdmon_device_uptime_seconds", {}, 10841045.45),
        ("entity_sensor", "thdmon_temperature_celsius", {"sensor": "Chassis Temperature"}, 20),
        ("procurve_system", "thdmon_cpu_utilisation_ratio", {"cpu": "total"}, 0.42),  # hpSwitchCpuStat 42
        ("if_mib", "thdmon_interface_info", {"ifname": "1", "ifindex": "1"}, 1),
    ],
    "aos6_aos6": [
        ("if_mib", "thdmon_interface_info", {"ifname": "1/1", "ifalias": "G189", "ifindex": "1001"}, 1),
        ("system", "thdmon_device_info", {"vendor": "alcatel-lucent"}, 1),
    ],
    "junos_ex": [
        ("system", "thdmon_device_uptime_seconds", {}, 7924698.35),
        ("juniper_system", "thdmon_cpu_utilisation_ratio", {"cpu": "Routing Engine 0"}, 0.11),
        ("juniper_system", "thdmon_cpu_info", {"cpu": "Routing Engine 0", "cpu_index": "9.1.0.0"}, 1),
        ("juniper_system", "thdmon_memory_total_bytes", {"pool": "Routing Engine 0"}, 1950 * 1048576),
    ],
    "ciscowlc_cbw240ac": [
        ("wifi_airespace", "thdmon_wifi_clients", {"ap": "ap2", "radio": "1", "band": "5GHz"}, 5),
        ("wifi_airespace", "thdmon_wifi_channel", {"ap": "ap1", "radio": "1"}, 36),
        ("wifi_airespace", "thdmon_wifi_channel_utilisation_ratio", {"ap": "ap4", "radio": "0"}, 0.31),
        ("wifi_airespace", "thdmon_wifi_ssid_clients", {"ssid": "ssid1"}, 23),
        ("if_mib", "thdmon_interface_info", {"ifname": "GigabitEthernet0/0/1"}, 1),
    ],
    "aruba-instant": [
        ("wifi_aruba_instant", "thdmon_wifi_channel", {"ap": "instant-ap-src-1", "band": "5GHz"}, 116),
        ("wifi_aruba_instant", "thdmon_wifi_noise_dbm", {"radio": "1", "band": "2.4GHz"}, -96),
        ("wifi_aruba_instant", "thdmon_wifi_tx_power_dbm", {"radio": "0"}, 21),
        ("wifi_aruba_instant", "thdmon_cpu_utilisation_ratio", {"cpu": "instant-ap-src-1"}, 0.09),
        ("wifi_aruba_instant", "thdmon_wifi_ap_up", {"ap": "instant-ap-src-1"}, 1),
    ],
    "ruckuswireless-sz": [
        ("wifi_ruckus", "thdmon_wifi_controller_aps", {}, 40),
        ("wifi_ruckus", "thdmon_wifi_controller_clients", {}, 146),
        ("wifi_ruckus", "thdmon_wifi_ssid_clients", {"ssid": "<private>", "ap": "all", "band": "all"},
         52 + 16 + 9 + 0 + 67 + 2),
        ("host_resources", "thdmon_cpu_utilisation_ratio", {"cpu": "cpu3"}, 1.0),    # hrDeviceIndex 196611
    ],
    "unifi_nanohd": [
        ("wifi_unifi", "thdmon_wifi_clients", {"radio": "na", "band": "5GHz", "ap": "<private>"}, 14),  # sysName
        ("wifi_unifi", "thdmon_wifi_ssid_clients", {"ssid": "homewifi_ac", "band": "2.4GHz"}, 4),
        ("wifi_unifi", "thdmon_wifi_channel", {"radio": "na"}, 157),
        ("wifi_unifi", "thdmon_wifi_tx_power_dbm", {"radio": "ng"}, 23),
        ("if_mib", "thdmon_interface_info", {"ifname": "eth0", "ifindex": "2"}, 1),
    ],
    "fortigate_fwf60d": [
        ("fortinet_system", "thdmon_cpu_utilisation_ratio", {"cpu": "total"}, 0.88),
        ("fortinet_system", "thdmon_memory_total_bytes", {"pool": "system"}, 1878928 * 1024),
        ("wifi_fortinet", "thdmon_wifi_ssid_clients", {"ap": "FWF60D-WIFI0", "ssid": "fortinet"}, 0),
        ("if_mib", "thdmon_interface_info", {"ifname": "wan1", "ifindex": "2"}, 1),
    ],
    # ArubaOS 6.4 controller (more/arubaos, a composite capture): the totals are the switch's own scalars
    # (wlsxSwitchTotalNumAccessPoints 1386, ...StationsAssociated 2654), asserted as the controller says
    # them; the radio table is asserted row by row. The two do not reconcile in this file (690 APs x 2
    # radios, 6,695 clients) because upstream assembled it from several captures: neither is derived from
    # the other, so no cross-check (test_arubaos_radio_table_is_decoded_whole checks the table alone).
    "arubaos": [
        ("wifi_arubaos", "thdmon_wifi_controller_aps", {}, 1386),
        ("wifi_arubaos", "thdmon_wifi_controller_clients", {}, 2654),
        ("wifi_arubaos", "thdmon_cpu_utilisation_ratio", {"cpu": "Supervisor Card CPU"}, 0.03),
        ("wifi_arubaos", "thdmon_cpu_utilisation_ratio", {"cpu": "Network Processor CPU2"}, 0.42),
        ("wifi_arubaos", "thdmon_memory_total_bytes", {"pool": "system"}, 760784 * 1024),
        ("wifi_arubaos", "thdmon_memory_used_bytes", {"pool": "system"}, 416524 * 1024),
        ("wifi_arubaos", "thdmon_temperature_celsius", {"sensor": "internal"}, 58.0),   # "58.000000 C"
        # AP ar6-bib4le2n (MAC 00:4e:35:c2:22:e8) radio 1: dot11a, channel 44, 18 clients, 4 %, 190 = 19.0 dBm
        ("wifi_arubaos", "thdmon_wifi_clients", {"ap": "ar6-bib4le2n", "radio": "1", "band": "5GHz"}, 18),
        ("wifi_arubaos", "thdmon_wifi_channel", {"ap": "ar6-bib4le2n", "radio": "1"}, 44),
        ("wifi_arubaos", "thdmon_wifi_channel_utilisation_ratio", {"ap": "ar6-bib4le2n", "radio": "1"}, 0.04),
        ("wifi_arubaos", "thdmon_wifi_tx_power_dbm", {"ap": "ar6-bib4le2n", "radio": "1"}, 19.0),
        ("if_mib", "thdmon_interface_info", {"ifindex": "1"}, 1),
        ("system", "thdmon_device_info", {"vendor": "aruba", "sys_object_id": "1.3.6.1.4.1.14823.1.1.9999"}, 1),
    ],
    # Catalyst 2960-X stack, classic IOS 15.0(2a)EX5 (more/ios_2960x)
    "ios_2960x": [
        # cpmCPUTotal1minRev.1 63; cpmCPUTotalPhysicalIndex 0 (no entity): named by position
        ("cisco_cpu_memory", "thdmon_cpu_utilisation_ratio", {"cpu": "cpu0"}, 0.63),
        ("cisco_cpu_memory", "thdmon_memory_used_bytes", {"pool": "Processor"}, 50661572),
        ("cisco_cpu_memory", "thdmon_memory_total_bytes", {"pool": "Processor"}, 50661572 + 392203472),
        ("cisco_entity_sensor", "thdmon_optical_rx_power_dbm", {"ifname": "Gi1/0/52"}, -4.7),
        ("cisco_entity_sensor", "thdmon_optical_temperature_celsius", {"ifname": "Gi3/0/52"}, 31.0),
        ("poe", "thdmon_poe_power_budget_watts", {"group": "1"}, 370),
        ("poe", "thdmon_poe_power_consumption_watts", {"group": "1"}, 115),
        ("etherlike", "thdmon_interface_duplex_info", {"ifname": "Gi1/0/1", "duplex": "full"}, 1),
        ("cisco_stack", "thdmon_stack_member_info", {"member": "1", "stack_role": "master"}, 1),   # 3-switch stack
        ("cisco_stack", "thdmon_stack_member_ready", {"member": "3"}, 1),
        ("cisco_stack", "thdmon_stack_port_up", {"ifname": "StackSub-St1-1"}, 1),
        # VLAN interfaces give only ifHC{In,Out}UcastPkts (no multicast/broadcast, no 32-bit NUcast):
        # the packets series is their unicast count rather than nothing (if_mib partial_sum)
        ("if_mib", "thdmon_interface_receive_packets_total", {"ifname": "Vl99"}, 109708446),
        ("if_mib", "thdmon_interface_transmit_packets_total", {"ifname": "Vl99"}, 109699497),
        ("system", "thdmon_device_info", {"vendor": "cisco"}, 1),
    ],
    # CT5760 IOS-XE controller (more/iosxe_ct5760): its per-WLAN client counts are empty OCTET STRINGs,
    # so no thdmon_wifi_ssid_clients at all (test_empty_strings_are_unknown_not_zero), the rest decodes.
    "iosxe_ct5760": [
        ("wifi_airespace", "thdmon_wifi_channel", {"ap": "APC-013", "radio": "1", "band": "5GHz"}, 36),
        ("wifi_airespace", "thdmon_wifi_channel_utilisation_ratio", {"ap": "APC-013", "radio": "0"}, 0.15),
        ("wifi_airespace", "thdmon_wifi_clients", {"ap": "APC-013", "radio": "0"}, 0),
        ("cisco_cpu_memory", "thdmon_cpu_utilisation_ratio", {"cpu": "Switch 1"}, 0.01),  # entPhysicalName.1000
        ("cisco_cpu_memory", "thdmon_memory_total_bytes", {"pool": "Processor"}, 1610612736),
    ],
    # Huawei S5720-32X-EI, VRP V200R010 (more/vrp_5720-32x-ei): MPU Board 0 (entity 67108873)
    "vrp_5720-32x-ei": [
        ("huawei_system", "thdmon_cpu_utilisation_ratio", {"cpu": "MPU Board 0"}, 0.44),
        ("huawei_system", "thdmon_cpu_utilisation_threshold_ratio", {"cpu": "MPU Board 0"}, 0.95),
        ("huawei_system", "thdmon_memory_total_bytes", {"pool": "MPU Board 0"}, 1598029824),
        ("huawei_system", "thdmon_memory_used_bytes", {"pool": "MPU Board 0"}, round(1598029824 * 9 / 100)),
        ("huawei_system", "thdmon_memory_utilisation_threshold_ratio", {"pool": "MPU Board 0"}, 0.9),
        ("huawei_system", "thdmon_temperature_celsius", {"sensor": "MPU Board 0"}, 40),
        ("huawei_system", "thdmon_temperature_threshold_celsius", {"sensor": "MPU Board 0"}, 55),
        ("huawei_system", "thdmon_sensor_info", {"sensor": "MPU Board 0", "sensor_index": "67108873"}, 1),
        ("huawei_system", "thdmon_cpu_info", {"cpu": "MPU Board 0", "cpu_index": "67108873"}, 1),
        ("huawei_optics", "thdmon_sensor_info", {"sensor": "GigabitEthernet0/0/1", "sensor_index": "67436622"}, 1),
        # GigabitEthernet0/0/1: lane strings "-1104.03" / "-597.39" (hundredths of dBm) win over the uW
        # integers 78 / 252 (-11.08 / -5.99 dBm: the same light, coarser)
        ("huawei_optics", "thdmon_optical_rx_power_dbm", {"ifname": "GigabitEthernet0/0/1"}, -11.04),
        ("huawei_optics", "thdmon_optical_tx_power_dbm", {"ifname": "GigabitEthernet0/0/1"}, -5.97),
        ("huawei_optics", "thdmon_optical_temperature_celsius", {"ifname": "GigabitEthernet0/0/1"}, 45),
        ("huawei_optics", "thdmon_optical_rx_power_threshold_dbm",
         {"ifname": "GigabitEthernet0/0/1", "threshold": "low_alarm"}, -26.97),
        ("huawei_optics", "thdmon_optical_tx_power_threshold_dbm",
         {"ifname": "GigabitEthernet0/0/1", "threshold": "low_alarm"}, -13.0),
        ("etherlike", "thdmon_interface_duplex_info", {"ifname": "MEth0/0/1", "duplex": "half"}, 1),
        ("qbridge", "thdmon_vlan_info", {"vlan": "10", "name": "data_multicast:core"}, 1),
        ("if_mib", "thdmon_interface_info", {"ifname": "GigabitEthernet0/0/1"}, 1),
        ("system", "thdmon_device_info", {"vendor": "huawei"}, 1),
    ],
    # Ruckus ZoneDirector ZD1200 and Unleashed (tests/data/snmprec, tiny public captures)
    "ruckuswireless": [
        ("wifi_ruckus_zd", "thdmon_wifi_controller_aps", {}, 36),
        ("wifi_ruckus_zd", "thdmon_wifi_controller_clients", {}, 11),
        ("wifi_ruckus_zd", "thdmon_cpu_utilisation_ratio", {"cpu": "total"}, 0.0),       # ruckusZDSystemCPUUtil
        ("wifi_ruckus_zd", "thdmon_memory_utilisation_ratio", {"pool": "system"}, 0.04),
        ("wifi_ruckus_zd", "thdmon_wifi_ssid_clients", {"ssid": "<private>"}, 2 + 3),   # 8 WLANs, one name
        ("system", "thdmon_device_info", {"vendor": "ruckus"}, 1),
    ],
    "ruckuswireless-unleashed": [
        ("wifi_ruckus_zd", "thdmon_wifi_controller_aps", {}, 1),
        ("wifi_ruckus_zd", "thdmon_wifi_controller_clients", {}, 0),
        ("wifi_ruckus_zd", "thdmon_memory_utilisation_ratio", {"pool": "system"}, 0.59),
        ("system", "thdmon_device_uptime_seconds", {}, 21180.73),
    ],
    "linux_xcp-ng": [
        ("system", "thdmon_device_info", {"vendor": "net-snmp"}, 1),
        ("host_resources", "thdmon_cpu_utilisation_ratio", {"cpu": "cpu3"}, 0.01),   # hrDeviceIndex 196611
        ("if_mib", "thdmon_interface_info", {"ifname": "eth0", "ifindex": "2"}, 1),
    ],
}


@pytest.fixture(scope="module")
def walked() -> dict[str, Walked]:
    require(snmprec.SNMPREC.is_dir(), f"{snmprec.SNMPREC} is absent: recordings unavailable")
    return {name: Walked(snmprec.read(snmprec.recording(name))) for name in EXPECTED}


def test_every_recording_is_covered() -> None:
    require(snmprec.SNMPREC.is_dir(), f"{snmprec.SNMPREC} is absent: recordings unavailable")
    assert set(snmprec.all_recordings()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recording_decodes_to_expected_values(name: str, walked: dict[str, Walked]) -> None:
    mods = modules()
    for module, metric, labels, value in EXPECTED[name]:
        samples = [s for s in decode(mods[module], walked[name], 1.0).samples
                   if s.metric == metric and labels.items() <= dict(s.labels).items()]
        assert samples, f"{name}: no {metric}{labels} from {module}"
        assert samples[0].value == pytest.approx(value), f"{name}: {metric}{labels}"


def test_interface_counters_and_status_from_real_rows(walked: dict[str, Walked]) -> None:
    samples = decode(modules()["if_mib"], walked["ios_ie32008t2s-ios17-12"], 1.0).samples
    by = {(s.metric, dict(s.labels)["ifname"]): s.value for s in samples}
    rec = {vb.oid: vb.value for vb in snmprec.read(snmprec.recording("ios_ie32008t2s-ios17-12"))}
    assert by[("thdmon_interface_receive_bytes_total", "Gi1/1")] == rec["1.3.6.1.2.1.31.1.1.1.6.1"]
    assert by[("thdmon_interface_oper_up", "Gi1/1")] == (1.0 if rec["1.3.6.1.2.1.2.2.1.8.1"] == 1 else 0.0)
    assert by[("thdmon_interface_speed_bits_per_second", "Gi1/1")] == rec["1.3.6.1.2.1.31.1.1.1.15.1"] * 1e6
    # Nu0 (Null0) is filtered out like snmp_exporter's filters would
    assert not any(name == "Nu0" for _, name in by)


def test_counter32_columns_are_flagged_for_unwrapping(walked: dict[str, Walked]) -> None:
    result = decode(modules()["if_mib"], walked["aos6_aos6"], 1.0)
    flagged = {metric for metric, _ in result.counter32}
    assert "thdmon_interface_receive_errors_total" in flagged
    # HC octets are Counter64: never unwrapped as 32-bit
    hc = decode(modules()["if_mib"], walked["ios_ie32008t2s-ios17-12"], 1.0).counter32
    assert not any(m == "thdmon_interface_receive_bytes_total" for m, _ in hc)
    assert any(m == "thdmon_interface_receive_errors_total" for m, _ in hc)


def test_arubaos_radio_table_is_decoded_whole(walked: dict[str, Walked]) -> None:
    samples = decode(modules()["wifi_arubaos"], walked["arubaos"], 1.0).samples
    clients = [s for s in samples if s.metric == "thdmon_wifi_clients"]
    assert len(clients) == 1380                      # 690 APs x 2 radios
    assert sum(s.value for s in clients) == 6695     # wlanAPRadioNumAssociatedClients over the table
    assert {dict(s.labels)["band"] for s in clients} == {"5GHz", "2.4GHz"}


def test_empty_strings_are_unknown_not_zero(walked: dict[str, Walked]) -> None:
    result = decode(modules()["wifi_airespace"], walked["iosxe_ct5760"], 1.0)
    assert not [s for s in result.samples if s.metric == "thdmon_wifi_ssid_clients"]
    assert result.skipped >= 17                      # the 17 WLANs' empty bsnDot11EssNumberOfMobileStations


def test_vendor_of_every_fleet_enterprise_number() -> None:
    from collector.snmp.decode import decode as run
    from tests.unit.snmp_profiles.snmprec import RecVarbind
    fleet = {"9": "cisco", "11": "hpe", "47196": "aruba", "14823": "aruba", "2636": "juniper", "2011": "huawei",
             "6486": "alcatel-lucent", "12356": "fortinet", "11256": "stormshield", "25053": "ruckus",
             "41112": "ubiquiti", "1916": "extreme", "26928": "extreme", "674": "dell", "14988": "mikrotik",
             "8072": "net-snmp"}
    for number, vendor in fleet.items():
        oid = f"1.3.6.1.4.1.{number}.1.2"
        got = run(modules()["system"], [RecVarbind("1.3.6.1.2.1.1.2.0", oid, "object_identifier")], 1.0).samples
        assert dict(got[0].labels)["vendor"] == vendor, number


def test_packets_sum_every_counter_an_interface_has(walked: dict[str, Walked]) -> None:
    rec = {vb.oid: vb.value for vb in snmprec.read(snmprec.recording("ios_2960x"))}
    index = next(o.rsplit(".", 1)[1] for o, v in rec.items()
                 if o.startswith("1.3.6.1.2.1.31.1.1.1.1.") and v == b"Gi1/0/1")         # ifName
    full = sum(rec[f"1.3.6.1.2.1.31.1.1.1.{c}.{index}"] for c in (7, 8, 9))
    samples = decode(modules()["if_mib"], walked["ios_2960x"], 1.0).samples
    got = next(s.value for s in samples
               if s.metric == "thdmon_interface_receive_packets_total" and dict(s.labels)["ifname"] == "Gi1/0/1")
    assert got == full                                   # unicast + multicast + broadcast
