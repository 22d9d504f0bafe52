""".snmprec data of one simulated device, from the inventory and the lab topology.

Standard MIB objects only (plus AIRESPACE and CISCO-ENTITY-SENSOR where a Cisco device has them), so
that the SNMP profiles decode the lab exactly as they decode real devices:
SNMPv2-MIB system group, IF-MIB ifTable/ifXTable, LLDP-MIB (local ports, remote table, management
addresses), ENTITY-MIB + ENTITY-SENSOR-MIB (chassis temperature, optical Rx/Tx power per SFP, the
supplies' power on AOS-CX models),
CISCO-ENTITY-SENSOR-MIB with thresholds (Cisco devices instead of ENTITY-SENSOR-MIB), POWER-ETHERNET-MIB
(access switches), HOST-RESOURCES-MIB (CPU, RAM), AIRESPACE-WIRELESS-MIB (Cisco APs and controllers);
UniFi and Aruba Instant APs answer their own MIBs (lab.snmp.wifi_families).
Moving values use the `labvalue` variation (lab.snmp.values). Everything is seeded by the hostname:
the same inventory gives the same files.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from inventory.model import Device, Inventory, Role
from lab.snmp import wifi_families
from lab.snmp.topology import Port, Topology

Record = tuple[tuple[int, ...], str, str]

SYS = (1, 3, 6, 1, 2, 1, 1)
IF = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IFX = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
LLDP_LOC = (1, 0, 8802, 1, 1, 2, 1, 3)
LLDP_REM = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
LLDP_MAN = (1, 0, 8802, 1, 1, 2, 1, 4, 2, 1)
ENT = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1)
ENT_SENSOR = (1, 3, 6, 1, 2, 1, 99, 1, 1, 1)
CISCO_SENSOR = (1, 3, 6, 1, 4, 1, 9, 9, 91, 1, 1, 1, 1)
CISCO_THRESHOLD = (1, 3, 6, 1, 4, 1, 9, 9, 91, 1, 2, 1, 1)
PETH_PORT = (1, 3, 6, 1, 2, 1, 105, 1, 1, 1)
PETH_MAIN = (1, 3, 6, 1, 2, 1, 105, 1, 3, 1, 1)
HR = (1, 3, 6, 1, 2, 1, 25)
BSN_ESS = (1, 3, 6, 1, 4, 1, 14179, 2, 1, 1, 1)
BSN_AP = (1, 3, 6, 1, 4, 1, 14179, 2, 2, 1, 1)
BSN_APIF = (1, 3, 6, 1, 4, 1, 14179, 2, 2, 2, 1)
BSN_LOAD = (1, 3, 6, 1, 4, 1, 14179, 2, 2, 13, 1)
BSN_NOISE = (1, 3, 6, 1, 4, 1, 14179, 2, 2, 15, 1)

# A Cisco Rx power sensor's critical low threshold (entSensorThresholdTable, dBm x 10): what the
# cisco_entity_sensor profile exports as threshold="low_alarm".
RX_LOW_ALARM = -170

# Entity indexes: chassis 1, its temperature sensor 10, power supplies 20 + k and their power sensors
# 30 + k, port containers 1000+ifIndex, Rx/Tx power sensors 100000 + 10 x ifIndex + 1/2.
CHASSIS, TEMP_SENSOR, SUPPLY, SUPPLY_SENSOR = 1, 10, 20, 30

# The supplies' power sensors (ENTITY-SENSOR-MIB watts(6)) of the models whose family has them, as the
# AOS-CX 6300M recording (../shared/snmprec/arubaos-cx_10.16) has one per supply: (supplies, the device's
# own draw in W without PoE). Plausible figures of the models' class (the recorded 6300M draws 47 W), not
# data-sheet values; the PoE an access switch delivers comes on top (a supply feeds its ports). The Cisco,
# Huawei and Juniper recordings have no such sensor: the lab serves none for them.
SUPPLY_POWER: dict[str, tuple[int, float]] = {
    "JL675A": (1, 46.0),    # 6100 48G Class4 PoE
    "JL677A": (1, 31.0),    # 6100 24G Class4 PoE
    "JL658A": (2, 52.0),    # 6300M 24SFP+ (the recording: 20 + 27 W)
    "JL700A": (2, 190.0),   # 8360-32Y4C core
}


@dataclass(frozen=True, slots=True)
class Vendor:
    descr: str
    object_id: str
    mfg: str
    oui: str


_IOSXE = ("Cisco IOS Software [Cupertino], {train} Software ({image}), Version 17.9.4a, RELEASE SOFTWARE "
          "(fc3) Technical Support: http://www.cisco.com/techsupport Copyright (c) 1986-2023 by Cisco Systems")
_ARUBA = "Aruba {model} {name} {train}.10.13.1010"

MODELS: dict[str, Vendor] = {
    "JL675A": Vendor(_ARUBA.format(model="JL675A", name="6100 48G Class4 PoE 4SFP+ 370W Swch", train="PL"),
                     "1.3.6.1.4.1.47196.4.1.1.1.61", "Aruba", "883a30"),
    "JL677A": Vendor(_ARUBA.format(model="JL677A", name="6100 24G Class4 PoE 4SFP+ 195W Swch", train="PL"),
                     "1.3.6.1.4.1.47196.4.1.1.1.63", "Aruba", "883a30"),
    "JL658A": Vendor(_ARUBA.format(model="JL658A", name="6300M 24SFP+ 4SFP56 Swch", train="FL"),
                     "1.3.6.1.4.1.47196.4.1.1.1.100", "Aruba", "b8d4e7"),
    "JL700A": Vendor(_ARUBA.format(model="JL700A", name="8360-32Y4C v2 Swch", train="LL"),
                     "1.3.6.1.4.1.47196.4.1.1.1.120", "Aruba", "b8d4e7"),
    "C9200L-24P-4X": Vendor(_IOSXE.format(train="Catalyst L3 Switch", image="CAT9K_LITE_IOSXE"),
                            "1.3.6.1.4.1.9.1.2693", "Cisco Systems, Inc.", "00a3d1"),
    "C9200L-48P-4X": Vendor(_IOSXE.format(train="Catalyst L3 Switch", image="CAT9K_LITE_IOSXE"),
                            "1.3.6.1.4.1.9.1.2694", "Cisco Systems, Inc.", "00a3d1"),
    "C9500-48Y4C": Vendor(_IOSXE.format(train="Catalyst L3 Switch", image="CAT9K_IOSXE"),
                          "1.3.6.1.4.1.9.1.2494", "Cisco Systems, Inc.", "70db98"),
    "ASR1001-X": Vendor(_IOSXE.format(train="ASR1000", image="X86_64_LINUX_IOSD-UNIVERSALK9-M"),
                        "1.3.6.1.4.1.9.1.1861", "Cisco Systems, Inc.", "70db98"),
    "C9800-40-K9": Vendor(_IOSXE.format(train="C9800", image="C9800_IOSXE-K9"),
                          "1.3.6.1.4.1.9.1.2530", "Cisco Systems, Inc.", "f4cfe2"),
    "C9120AXI-E": Vendor("Cisco AP Software, ap1g7-k9w8 Version: 17.9.4.27 Technical Support: "
                         "http://www.cisco.com/techsupport", "1.3.6.1.4.1.9.1.2441", "Cisco Systems, Inc.",
                         "3c41a0"),
    # UniFi firmwares answer net-snmp's Linux sysObjectID: found by probing wifi_unifi (collector.snmp.select)
    "U6-Pro": Vendor("U6-Pro 6.6.55.15189", "1.3.6.1.4.1.8072.3.2.10",
                     "Ubiquiti Inc.", "245a4c"),
    "AP-505": Vendor("ArubaOS (MODEL: 505), Version 8.10.0.6-8.10.0.6", "1.3.6.1.4.1.14823.1.2.104",
                     "Aruba Networks", "204c03"),
    "FG-600E": Vendor("FortiGate-600E v7.2.8,build1639,240313 (GA.M)", "1.3.6.1.4.1.12356.101.1.6004",
                      "Fortinet", "704ca5"),
}

# The Wi-Fi MIB each AP model answers (the controllers are all AIRESPACE: Catalyst 9800).
WIFI_FAMILY: dict[str, str] = {"C9120AXI-E": "airespace", "U6-Pro": "unifi", "AP-505": "aruba_instant"}

_SCHOOL = {"SSD-Education": 0.8, "SSD-Agents": 0.2}
# Share of an AP's clients on each SSID, by the kind of site the AP is in.
SSID_SHARES: dict[str, dict[str, float]] = {
    "park": {"SSD-WiFi-Public": 1.0}, "college": _SCHOOL, "lycee": _SCHOOL, "cfa": _SCHOOL,
}
OTHER_SHARES = {"SSD-Agents": 1.0}
ALL_SSIDS = ("SSD-WiFi-Public", "SSD-Education", "SSD-Agents")
# The channels the controller's RRM may assign (its DCA list) per AIRESPACE radio type, dot11b(1) and
# dot11a(2): a radio runs on one, and scans them all for noise (bsnAPIfDBNoiseTable: one row per channel).
DCA_CHANNELS: dict[int, tuple[int, ...]] = {1: (1, 6, 11), 2: (36, 40, 44, 48, 52, 100, 116)}


def model_of(device: Device) -> str:
    for tag in device.tags:
        if tag.startswith("model:"):
            return tag.split(":", 1)[1]
    return "JL675A"


def vendor_of(device: Device) -> Vendor:
    return MODELS.get(model_of(device), MODELS["JL675A"])


def base_mac(device: Device) -> bytes:
    return bytes.fromhex(vendor_of(device).oui) + (zlib.crc32(device.hostname.encode()) & 0xFFFF00).to_bytes(3, "big")


def port_mac(device: Device, index: int) -> bytes:
    mac = bytearray(base_mac(device))
    mac[5] = index & 0xFF
    return bytes(mac)


def counter(rate: float, init: int) -> str:
    return f"c,rate={rate:g},init={init}"


def wave(base: float, amp: float, period: float, phase: float) -> str:
    return f"w,base={base:g},amp={amp:g},period={period:g},phase={phase:.3f}"


def _text(value: str) -> str:
    # snmprec splits on "|" and lines on newlines: anything else is safe as plain text.
    if "|" in value or "\n" in value or "\r" in value or not value.isprintable():
        return value.encode().hex()
    return value


class _Builder:
    def __init__(self, device: Device, inv: Inventory, topo: Topology) -> None:
        self.device = device
        self.inv = inv
        self.topo = topo
        self.site = inv.sites[device.site]
        self.rng = random.Random(device.hostname)
        self.records: list[Record] = []
        self.ports = topo.ports[device.hostname]
        self.links = {link.port: link for link in topo.neighbours(device.hostname)}
        self.uptime0 = self.rng.randint(3, 400) * 86400 + self.rng.randint(0, 86399)
        self.poe_drawn = 0.0  # W the PoE ports deliver (poe()), which the supplies carry too

    # -- primitives ------------------------------------------------------------------------------
    def add(self, oid: tuple[int, ...], tag: str, value: object) -> None:
        self.records.append((oid, tag, str(value)))

    def text(self, oid: tuple[int, ...], value: str) -> None:
        encoded = _text(value)
        self.add(oid, "4x" if encoded != value else "4", encoded)

    def hexa(self, oid: tuple[int, ...], tag: str, value: bytes) -> None:
        self.add(oid, f"{tag}x", value.hex())

    def moving(self, oid: tuple[int, ...], tag: str, spec: str) -> None:
        self.add(oid, f"{tag}:labvalue", spec)

    def port_up(self, port: Port) -> bool:
        if port.index in self.links:
            return True
        if self.device.role == Role.access_switch and not port.fibre:
            return self.rng.random() < 0.6
        return self.device.role == Role.wifi_ap

    # -- MIB groups ------------------------------------------------------------------------------
    def system(self) -> None:
        vendor = vendor_of(self.device)
        self.text(SYS + (1, 0), vendor.descr)
        self.add(SYS + (2, 0), "6", vendor.object_id)
        self.moving(SYS + (3, 0), "67", counter(100, self.uptime0 * 100))
        self.text(SYS + (4, 0), "DSI Seine-Saint-Denis - reseau THD-SSD <noc-thd@seinesaintdenis.fr>")
        self.text(SYS + (5, 0), self.device.hostname)
        self.text(SYS + (6, 0), f"{self.site.name}, {self.site.commune}")
        self.add(SYS + (7, 0), "2", 6 if self.device.role != Role.wifi_ap else 2)

    def interfaces(self) -> None:
        self.add((1, 3, 6, 1, 2, 1, 2, 1, 0), "2", len(self.ports))
        for port in self.ports:
            i = port.index
            up = self.port_up(port)
            link = self.links.get(i)
            radio = port.name.startswith("Dot11Radio")
            self.add(IF + (1, i), "2", i)
            self.text(IF + (2, i), port.descr)
            self.add(IF + (3, i), "2", 71 if radio else 6)
            self.add(IF + (4, i), "2", 1500 if radio else 9198 if port.fibre else 1500)
            self.add(IF + (5, i), "66", min(port.speed_mbps * 1_000_000, 4_294_967_295))
            self.hexa(IF + (6, i), "4", port_mac(self.device, i))
            self.add(IF + (7, i), "2", 1 if up or port.fibre else 2)
            self.add(IF + (8, i), "2", 1 if up else 2)
            self.add(IF + (9, i), "67", self.rng.randint(0, self.uptime0 * 100 // 2))
            if link is not None:
                peer = self.inv.devices[link.peer]
                peer_port = next(p for p in self.topo.ports[link.peer] if p.index == link.peer_port)
                alias = f"{'uplink' if port.uplink else 'downlink'} {peer.hostname} {peer_port.name}"
            elif radio:
                alias = f"{'2.4' if i == 2 else '5'} GHz radio"
            elif up:
                alias = "desk" if self.device.role == Role.access_switch else ""
            else:
                alias = ""
            if up:
                scale = 40 if port.uplink or link is not None else 1
                in_rate = int(self.rng.uniform(5e3, 6e5) * scale)
                out_rate = int(self.rng.uniform(5e3, 6e5) * scale)
                pps_in, pps_out = max(in_rate // 700, 1), max(out_rate // 700, 1)
                init = self.rng.randint(10**9, 10**12)
                self.moving(IF + (10, i), "65", counter(in_rate, init))
                self.moving(IF + (11, i), "65", counter(pps_in, init // 700))
                self.add(IF + (13, i), "65", self.rng.randint(0, 50))
                self.moving(IF + (14, i), "65", counter(0.01 if self.rng.random() < 0.1 else 0, 0))
                self.moving(IF + (16, i), "65", counter(out_rate, init // 2))
                self.moving(IF + (17, i), "65", counter(pps_out, init // 1400))
                self.add(IF + (19, i), "65", self.rng.randint(0, 50))
                self.add(IF + (20, i), "65", 0)
                self.text(IFX + (1, i), port.name)
                self.moving(IFX + (6, i), "70", counter(in_rate, init))
                self.moving(IFX + (7, i), "70", counter(pps_in, init // 700))
                self.moving(IFX + (8, i), "70", counter(max(pps_in // 50, 1), init // 35000))
                self.moving(IFX + (9, i), "70", counter(max(pps_in // 100, 1), init // 70000))
                self.moving(IFX + (10, i), "70", counter(out_rate, init // 2))
                self.moving(IFX + (11, i), "70", counter(pps_out, init // 1400))
                self.moving(IFX + (12, i), "70", counter(max(pps_out // 50, 1), init // 70000))
                self.moving(IFX + (13, i), "70", counter(max(pps_out // 100, 1), init // 140000))
            else:
                for col in (10, 11, 13, 14, 16, 17, 19, 20):
                    self.add(IF + (col, i), "65", 0)
                self.text(IFX + (1, i), port.name)
                for col in (6, 7, 8, 9, 10, 11, 12, 13):
                    self.add(IFX + (col, i), "70", 0)
            self.add(IFX + (15, i), "66", port.speed_mbps)
            self.text(IFX + (18, i), alias)

    def lldp(self) -> None:
        self.add(LLDP_LOC + (1, 0), "2", 4)
        self.hexa(LLDP_LOC + (2, 0), "4", base_mac(self.device))
        self.text(LLDP_LOC + (3, 0), self.device.hostname)
        self.text(LLDP_LOC + (4, 0), vendor_of(self.device).descr)
        for port in self.ports:
            self.add(LLDP_LOC + (7, 1, 2, port.index), "2", 5)
            self.text(LLDP_LOC + (7, 1, 3, port.index), port.name)
            self.text(LLDP_LOC + (7, 1, 4, port.index), port.descr)
        for local_port, link in sorted(self.links.items()):
            peer = self.inv.devices[link.peer]
            peer_port = next(p for p in self.topo.ports[link.peer] if p.index == link.peer_port)
            row = (0, local_port, 1)
            self.add(LLDP_REM + (4,) + row, "2", 4)
            self.hexa(LLDP_REM + (5,) + row, "4", base_mac(peer))
            self.add(LLDP_REM + (6,) + row, "2", 5)
            self.text(LLDP_REM + (7,) + row, peer_port.name)
            self.text(LLDP_REM + (8,) + row, peer_port.descr)
            self.text(LLDP_REM + (9,) + row, peer.hostname)
            self.text(LLDP_REM + (10,) + row, vendor_of(peer).descr)
            caps = b"\x28\x00" if peer.role != Role.wifi_ap else b"\x08\x00"  # bridge+router / wlanAP
            self.hexa(LLDP_REM + (11,) + row, "4", caps)
            self.hexa(LLDP_REM + (12,) + row, "4", caps)
            address = tuple(int(x) for x in str(peer.address).split("."))
            self.add(LLDP_MAN + (3,) + row + (1, 4) + address, "2", 2)
            self.add(LLDP_MAN + (4,) + row + (1, 4) + address, "2", 0)

    def entities(self, cisco: bool) -> None:
        vendor = vendor_of(self.device)
        serial = f"{'FOC' if cisco else 'SG'}{zlib.crc32(self.device.hostname.encode()) % 10**8:08d}"
        rows: list[tuple[int, str, int, int, str]] = [(CHASSIS, vendor.descr[:60], 0, 3, model_of(self.device))]
        rows.append((TEMP_SENSOR, "Chassis Temperature Sensor", CHASSIS, 8, "Chassis Temperature Sensor"))
        optics = [p for p in self.ports if p.fibre and p.index in self.links]
        for port in optics:
            rows.append((1000 + port.index, port.descr, CHASSIS, 10, port.descr))
            rows.append((100000 + 10 * port.index + 1, f"{port.name} Receive Power Sensor", 1000 + port.index, 8,
                         f"{port.name} Receive Power Sensor"))
            rows.append((100000 + 10 * port.index + 2, f"{port.name} Transmit Power Sensor", 1000 + port.index,
                         8, f"{port.name} Transmit Power Sensor"))
        for index, descr, parent, klass, name in rows:
            self.text(ENT + (2, index), descr)
            self.add(ENT + (4, index), "2", parent)
            self.add(ENT + (5, index), "2", klass)
            self.text(ENT + (7, index), name)
            if index == CHASSIS:
                self.text(ENT + (11, index), serial)
                self.text(ENT + (12, index), vendor.mfg)
                self.text(ENT + (13, index), model_of(self.device))
        sensors: list[tuple[int, int, int, str]] = [
            (TEMP_SENSOR, 8, 0, wave(self.rng.randint(34, 46), 3, 3600, self.rng.uniform(0, 6.28)))]
        for port in optics:
            # dBm x 10 (precision 1): one link in thirty runs a weak receiver, near its -13 dBm warning.
            rx = -125 if self.rng.random() < 1 / 30 else self.rng.randint(-70, -20)
            # `low`: what the receiver reads under `thdmon lab fail --mode optical-low` (lab.snmp.values).
            # A Cisco transceiver gives its own low alarm (-17.0 dBm): 3 dB under it, yet above the
            # policy's default floor (-24), so only the device's threshold can make OpticalRxLow fire.
            # Elsewhere there is no threshold: -30 dBm, a dirty or cracked fibre, under any default.
            low = RX_LOW_ALARM - 30 if cisco else -300
            sensors.append((100000 + 10 * port.index + 1, 14, 1,
                            wave(rx, 4, 900, self.rng.uniform(0, 6.28)) + f",low={low}"))
            sensors.append((100000 + 10 * port.index + 2, 14, 1,
                            wave(self.rng.randint(-30, -10), 2, 1800, self.rng.uniform(0, 6.28))))
        table, value_col = (CISCO_SENSOR, 4) if cisco else (ENT_SENSOR, 4)
        for index, kind, precision, spec in sensors:
            self.add(table + (1, index), "2", kind)
            self.add(table + (2, index), "2", 9)  # units
            self.add(table + (3, index), "2", precision)
            self.moving(table + (value_col, index), "2", spec)
            self.add(table + (5, index), "2", 1)  # ok
            if not cisco:
                self.text(table + (6, index), "dBm" if kind == 14 else "C")
            self.add(table + (7 if not cisco else 6, index), "67", 0)
            self.add(table + (8 if not cisco else 7, index), "66" if not cisco else "2", 60000 if not cisco else 60)
            if cisco and kind == 14:
                receive = index % 10 == 1
                limits = ((30, 4, 20), (10, 4, -10), (10, 2, -130 if receive else -80),
                          (30, 2, RX_LOW_ALARM if receive else -110))
                for k, (severity, relation, value) in enumerate(limits, 1):
                    self.add(CISCO_THRESHOLD + (2, index, k), "2", severity)
                    self.add(CISCO_THRESHOLD + (3, index, k), "2", relation)
                    self.add(CISCO_THRESHOLD + (4, index, k), "2", value)
                    if receive and relation == 2:
                        # entSensorThresholdEvaluation: true(1) while optical-low holds the Rx under it
                        self.moving(CISCO_THRESHOLD + (5, index, k), "2", "k,value=2,low=1")
                    else:
                        self.add(CISCO_THRESHOLD + (5, index, k), "2", 2)  # false: not crossed
                    self.add(CISCO_THRESHOLD + (6, index, k), "2", 1)
            if cisco and kind == 8:
                for k, (severity, relation, value) in enumerate(((10, 4, 60), (30, 4, 75)), 1):
                    self.add(CISCO_THRESHOLD + (2, index, k), "2", severity)
                    self.add(CISCO_THRESHOLD + (3, index, k), "2", relation)
                    self.add(CISCO_THRESHOLD + (4, index, k), "2", value)
                    self.add(CISCO_THRESHOLD + (5, index, k), "2", 2)
                    self.add(CISCO_THRESHOLD + (6, index, k), "2", 1)

    def poe(self) -> None:
        copper = [p for p in self.ports if not p.fibre]
        powered = 0.0
        for port in copper:
            link = self.links.get(port.index)
            is_ap = link is not None and self.inv.devices[link.peer].role == Role.wifi_ap
            phone = not is_ap and self.rng.random() < 0.25
            row = (1, port.index)
            self.add(PETH_PORT + (3,) + row, "2", 1)
            self.add(PETH_PORT + (6,) + row, "2", 3 if is_ap or phone else 2)
            self.add(PETH_PORT + (7,) + row, "2", 2 if is_ap else 3)
            self.add(PETH_PORT + (10,) + row, "2", 5 if is_ap else 3 if phone else 1)
            powered += 15.0 if is_ap else 4.5 if phone else 0.0
        budget = 370 if len(copper) >= 48 else 195
        self.add(PETH_MAIN + (2, 1), "66", budget)
        self.add(PETH_MAIN + (3, 1), "2", 1)
        self.moving(PETH_MAIN + (4, 1), "66", wave(max(powered, 1), max(powered * 0.05, 1), 1200, 0.5))
        self.add(PETH_MAIN + (5, 1), "2", 80)
        self.poe_drawn = powered

    def supplies(self) -> None:
        """Power supplies and their power sensors (watts, units, precision 0), the AOS-CX way: the sensor is
        named after its supply. The supplies share the draw, PoE delivered included, never quite evenly."""
        count, own = SUPPLY_POWER[model_of(self.device)]
        rng = random.Random(f"power:{self.device.hostname}")  # apart: self.rng's draws stay as they were
        total = own * rng.uniform(0.9, 1.1) + self.poe_drawn / 0.9  # the supply's losses on PoE too
        for k in range(count):
            name = f"1/{k + 1}"
            self.text(ENT + (2, SUPPLY + k), f"{vendor_of(self.device).descr[:40]} Power Supply")
            self.add(ENT + (4, SUPPLY + k), "2", CHASSIS)
            self.add(ENT + (5, SUPPLY + k), "2", 6)  # powerSupply
            self.text(ENT + (7, SUPPLY + k), name)
            sensor = SUPPLY_SENSOR + k
            self.text(ENT + (2, sensor), f"Power sensor for power supply {name}")
            self.add(ENT + (4, sensor), "2", SUPPLY + k)
            self.add(ENT + (5, sensor), "2", 8)  # sensor
            self.text(ENT + (7, sensor), f"Power sensor for power supply {name}")
            share = total / count * (rng.uniform(0.85, 1.15) if count > 1 else 1.0)
            self.add(ENT_SENSOR + (1, sensor), "2", 6)  # watts
            self.add(ENT_SENSOR + (2, sensor), "2", 9)  # units
            self.add(ENT_SENSOR + (3, sensor), "2", 0)
            self.moving(ENT_SENSOR + (4, sensor), "2", wave(round(share), max(round(share * 0.04), 1), 1800,
                                                            rng.uniform(0, 6.28)))
            self.add(ENT_SENSOR + (5, sensor), "2", 1)  # ok
            self.text(ENT_SENSOR + (6, sensor), "Watts")
            self.add(ENT_SENSOR + (7, sensor), "67", 0)
            self.add(ENT_SENSOR + (8, sensor), "66", 60000)

    def host_resources(self) -> None:
        self.moving(HR + (1, 1, 0), "67", counter(100, self.uptime0 * 100))
        ram_kb = {Role.core: 32, Role.router: 16, Role.firewall: 32, Role.wifi_controller: 64}.get(
            self.device.role, 4) * 1024 * 1024
        self.add(HR + (2, 2, 0), "2", ram_kb)
        self.add(HR + (2, 3, 1, 1, 1), "2", 1)
        self.add(HR + (2, 3, 1, 2, 1), "6", "1.3.6.1.2.1.25.2.1.2")
        self.text(HR + (2, 3, 1, 3, 1), "Physical memory")
        self.add(HR + (2, 3, 1, 4, 1), "2", 1024)
        self.add(HR + (2, 3, 1, 5, 1), "2", ram_kb)
        used = self.rng.uniform(0.3, 0.7)
        self.moving(HR + (2, 3, 1, 6, 1), "2", wave(int(ram_kb * used), int(ram_kb * 0.03), 7200, 1.0))
        cpus = 4 if self.device.role in (Role.core, Role.router, Role.firewall, Role.wifi_controller) else 1
        for k in range(cpus):
            index = 768 + k
            self.add(HR + (3, 2, 1, 1, index), "2", index)
            self.add(HR + (3, 2, 1, 2, index), "6", "1.3.6.1.2.1.25.3.1.3")
            self.text(HR + (3, 2, 1, 3, index), f"CPU {k}")
            self.add(HR + (3, 3, 1, 1, index), "6", "0.0")
            load = self.rng.randint(5, 35)
            self.moving(HR + (3, 3, 1, 2, index), "2", wave(load, min(load - 1, 10), 600, self.rng.uniform(0, 6.28)))

    def wifi(self, aps: list[Device]) -> None:
        """AIRESPACE tables for `aps` (one AP: itself; a controller: the APs it manages)."""
        ssids = ALL_SSIDS if self.device.role == Role.wifi_controller else tuple(
            SSID_SHARES.get(self.site.kind, OTHER_SHARES))
        totals = {ssid: 0.0 for ssid in ssids}
        for ap in aps:
            ap_rng = random.Random(f"wifi:{ap.hostname}")  # same radios whoever reports them
            mac = tuple(base_mac(ap))
            self.text(BSN_AP + (3,) + mac, ap.hostname)
            self.text(BSN_AP + (4,) + mac, self.inv.sites[ap.site].name)
            self.add(BSN_AP + (6,) + mac, "2", 1)
            self.text(BSN_AP + (16,) + mac, model_of(ap))
            self.add(BSN_AP + (19,) + mac, "64", str(ap.address))
            ap_kind = self.inv.sites[ap.site].kind
            shares = SSID_SHARES.get(ap_kind, OTHER_SHARES)
            crowd = 3.0 if ap_kind == "park" else 1.0
            noise_rng = random.Random(f"noise:{ap.hostname}")  # apart: ap_rng's draws stay as they were
            for slot, (band_type, channel) in enumerate(((1, ap_rng.choice(DCA_CHANNELS[1])),
                                                         (2, ap_rng.choice(DCA_CHANNELS[2])))):
                row = (*mac, slot)
                clients = ap_rng.uniform(2, 12) * crowd * (0.6 if slot == 0 else 1.0)
                for ssid, share in shares.items():
                    totals[ssid] = totals.get(ssid, 0.0) + clients * share
                phase = ap_rng.uniform(0, 6.28)
                self.add(BSN_APIF + (1,) + row, "66", slot)
                self.add(BSN_APIF + (2,) + row, "2", band_type)
                self.add(BSN_APIF + (3,) + row, "2", 1)
                self.add(BSN_APIF + (4,) + row, "2", channel)
                self.add(BSN_APIF + (6,) + row, "2", ap_rng.randint(1, 4))
                self.add(BSN_APIF + (12,) + row, "2", 2)
                client_wave = wave(round(clients), max(round(clients * 0.5), 1), 3600, phase)
                self.moving(BSN_APIF + (15,) + row, "65", client_wave)
                util = ap_rng.randint(10, 45) if slot == 0 else ap_rng.randint(5, 30)
                self.moving(BSN_LOAD + (1,) + row, "2", wave(util // 2, util // 4, 900, phase))
                self.moving(BSN_LOAD + (2,) + row, "2", wave(util // 3, util // 6, 900, phase))
                self.moving(BSN_LOAD + (3,) + row, "2", wave(util, util // 2, 900, phase))
                self.moving(BSN_LOAD + (4,) + row, "2", client_wave)
                # Every channel of the DCA list, as a real controller reports the RRM scans: only the current
                # channel's row is the radio's noise floor. The others are static (nothing for snmpsim to
                # compute per request) and 9 dB or more above the current one's range, so that a profile
                # reading the wrong row shows a wrong value, never a plausible one.
                for scanned in DCA_CHANNELS[band_type]:
                    self.add(BSN_NOISE + (1,) + row + (scanned,), "2", scanned)  # bsnAPIfDBNoiseChannelNumber
                    if scanned == channel:
                        self.moving(BSN_NOISE + (21,) + row + (scanned,), "2",
                                    wave(-92 if slot else -88, 3, 1200, phase))
                    else:
                        self.add(BSN_NOISE + (21,) + row + (scanned,), "2",
                                 (-80 if slot else -76) + noise_rng.randint(0, 6))
        for k, ssid in enumerate(ALL_SSIDS if self.device.role == Role.wifi_controller else ssids, 1):
            self.text(BSN_ESS + (2, k), ssid)
            self.moving(BSN_ESS + (38, k), "65", wave(round(totals[ssid]), max(round(totals[ssid] * 0.4), 1),
                                                      3600, 0.0))

    def ap_wifi(self) -> None:
        """The AP's own Wi-Fi MIB, by the family of its model."""
        family = WIFI_FAMILY.get(model_of(self.device), "airespace")
        kind = self.site.kind
        crowd = 3.0 if kind == "park" else 1.0
        if family == "unifi":
            wifi_families.unifi(self, self.device.hostname, SSID_SHARES.get(kind, OTHER_SHARES), crowd)
        elif family == "aruba_instant":
            wifi_families.aruba_instant(self, self.device.hostname, tuple(base_mac(self.device)), crowd)
        else:
            self.wifi([self.device])

    def build(self, aps: list[Device]) -> list[Record]:
        role = self.device.role
        cisco = self.device.profile in ("cisco-iosxe", "generic-wifi-controller")
        self.system()
        self.interfaces()
        if role != Role.firewall:
            self.lldp()
        if role != Role.wifi_ap:
            self.entities(cisco)
        if role == Role.access_switch:
            self.poe()
        if role != Role.wifi_ap and not cisco and model_of(self.device) in SUPPLY_POWER:
            self.supplies()
        self.host_resources()
        if role == Role.wifi_ap:
            self.ap_wifi()
        elif role == Role.wifi_controller:
            self.wifi(aps)
        self.records.sort(key=lambda r: r[0])
        return self.records


def controller_aps(inv: Inventory) -> dict[str, list[Device]]:
    """Each controller's APs: every AP joins one controller, by a stable hash of its hostname."""
    controllers = sorted(h for h, d in inv.devices.items()
                         if d.role == Role.wifi_controller and "lab-recording" not in d.tags)
    joined: dict[str, list[Device]] = {h: [] for h in controllers}
    if controllers:
        for hostname in sorted(inv.devices):
            device = inv.devices[hostname]
            if (device.role == Role.wifi_ap and "lab-recording" not in device.tags
                    and WIFI_FAMILY.get(model_of(device), "airespace") == "airespace"):  # Cisco APs join a 9800
                joined[controllers[zlib.crc32(hostname.encode()) % len(controllers)]].append(device)
    return joined


def records(device: Device, inv: Inventory, topo: Topology, aps: list[Device] | None = None) -> list[Record]:
    return _Builder(device, inv, topo).build(aps or [])


def render(recs: Iterable[Record]) -> str:
    return "".join(f"{'.'.join(map(str, oid))}|{tag}|{value}\n" for oid, tag, value in recs)
