"""The Wi-Fi MIBs of the simulated access points that are not Cisco (AIRESPACE is lab.snmp.datagen's):
UniFi (UBNT-UniFi-MIB, behind net-snmp's Linux sysObjectID as real UniFi firmwares answer) and Aruba
Instant (AI-AP-MIB). The parks mix these families, so the demo and the tests decode every Wi-Fi module
with moving values. Clients, channels and utilisation follow the same seeded model as the AIRESPACE APs:
seeded by the AP's hostname, moving with the lab clock (lab.snmp.values).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Protocol

UNIFI_RADIO = (1, 3, 6, 1, 4, 1, 41112, 1, 6, 1, 1, 1)   # unifiRadioTable
UNIFI_VAP = (1, 3, 6, 1, 4, 1, 41112, 1, 6, 1, 2, 1)     # unifiVapTable
AI_AP = (1, 3, 6, 1, 4, 1, 14823, 2, 3, 3, 1, 2, 1, 1)   # aiAccessPointTable
AI_RADIO = (1, 3, 6, 1, 4, 1, 14823, 2, 3, 3, 1, 2, 2, 1)  # aiRadioTable

# (UniFi radio name, 2.4 GHz?) of the two radios every simulated AP has
RADIOS = (("ng", True), ("na", False))


class Writer(Protocol):
    """The record primitives of lab.snmp.datagen's builder."""

    def add(self, oid: tuple[int, ...], tag: str, value: object) -> None: ...
    def text(self, oid: tuple[int, ...], value: str) -> None: ...
    def moving(self, oid: tuple[int, ...], tag: str, spec: str) -> None: ...


def wave(base: float, amp: float, period: float, phase: float) -> str:
    return f"w,base={base},amp={amp},period={period},phase={phase:.3f}"


def _radio(rng: random.Random, low_band: bool, crowd: float) -> tuple[int, float, int, float]:
    """(channel, clients, utilisation %, phase) of one radio, as the AIRESPACE APs draw them."""
    channel = rng.choice((1, 6, 11)) if low_band else rng.choice((36, 40, 44, 48, 52, 100, 116))
    clients = rng.uniform(2, 12) * crowd * (0.6 if low_band else 1.0)
    util = rng.randint(10, 45) if low_band else rng.randint(5, 30)
    return channel, clients, util, rng.uniform(0, 6.28)


def unifi(w: Writer, hostname: str, shares: Mapping[str, float], crowd: float) -> None:
    """unifiRadioTable (utilisation per radio) and unifiVapTable (one VAP per radio and SSID)."""
    rng = random.Random(f"wifi:{hostname}")
    vap = 0
    for index, (name, low_band) in enumerate(RADIOS, 1):
        channel, clients, util, phase = _radio(rng, low_band, crowd)
        w.add(UNIFI_RADIO + (1, index), "2", index)
        w.text(UNIFI_RADIO + (2, index), name)
        w.text(UNIFI_RADIO + (3, index), name)
        w.moving(UNIFI_RADIO + (6, index), "2", wave(util, util // 2, 900, phase))      # unifiRadioCuTotal
        for ssid, share in shares.items():
            n = clients * share
            w.add(UNIFI_VAP + (1, vap), "2", vap)
            w.add(UNIFI_VAP + (4, vap), "2", channel)                                    # unifiVapChannel
            w.text(UNIFI_VAP + (6, vap), ssid)                                           # unifiVapEssId
            w.moving(UNIFI_VAP + (8, vap), "2", wave(round(n), max(round(n * 0.5), 1), 3600, phase))
            w.text(UNIFI_VAP + (9, vap), name)                                           # unifiVapRadio
            w.add(UNIFI_VAP + (21, vap), "2", 20 if low_band else 23)                    # unifiVapTxPower
            vap += 1


def aruba_instant(w: Writer, hostname: str, mac: tuple[int, ...], crowd: float) -> None:
    """aiAccessPointTable (the AP itself: name, CPU, memory, up) and aiRadioTable (two radios)."""
    rng = random.Random(f"wifi:{hostname}")
    w.text(AI_AP + (2,) + mac, hostname)                                                 # aiAPName
    w.moving(AI_AP + (7,) + mac, "2", wave(rng.randint(4, 20), 3, 600, rng.uniform(0, 6.28)))  # CPU %
    w.add(AI_AP + (10,) + mac, "2", 536870912)                                           # aiAPTotalMemory
    w.add(AI_AP + (11,) + mac, "2", 1)                                                   # aiAPStatus up
    for radio, (_, low_band) in enumerate(RADIOS):
        channel, clients, util, phase = _radio(rng, low_band, crowd)
        row = (*mac, radio)
        w.text(AI_RADIO + (4,) + row, str(channel) if low_band else f"{channel}E")      # "116E"
        w.add(AI_RADIO + (5,) + row, "2", 18 if low_band else 21)                        # tx power dBm
        w.moving(AI_RADIO + (6,) + row, "2", wave(92 if low_band else 95, 3, 1200, phase))  # noise, -dBm
        w.moving(AI_RADIO + (8,) + row, "2", wave(util, util // 2, 900, phase))          # utilisation %
        w.moving(AI_RADIO + (21,) + row, "2", wave(round(clients), max(round(clients * 0.5), 1), 3600, phase))
