"""Device-level links of the simulated département, derived from the inventory.

The inventory says which PoP or data centre a site hangs from (`Site.uplink`); the lab needs to know
which device and port: the rule, deterministic, is
- a Wi-Fi AP hangs from its site's access switches, round robin (ap01 -> acc1, ap02 -> acc2, ...);
- an access switch from its site's distribution switch if there is one, else from a core switch of
  the site's PoP; a site's distribution switch from a core switch of its PoP (core1 or core2, by a
  stable hash of the hostname);
- a PoP core switch N from core switch N of its data centre; in a data centre, routers, firewalls,
  distribution switches and controllers N from core N. Data-centre cores are the roots.
Ports: every device has a port plan (see `ports_of`); children take the parent's downlink ports in
hostname order, a child uses its first uplink port.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from dataclasses import dataclass

from inventory.model import Device, Inventory, Role


@dataclass(frozen=True, slots=True)
class Port:
    index: int  # ifIndex = lldpLocPortNum
    name: str  # ifName
    descr: str  # ifDescr
    speed_mbps: int
    fibre: bool  # an SFP: has a transceiver with optical sensors
    uplink: bool


@dataclass(frozen=True, slots=True)
class Link:
    device: str
    port: int
    peer: str
    peer_port: int


def _number(hostname: str) -> int:
    match = re.search(r"(\d+)$", hostname)
    return int(match.group(1)) if match else 1


def access_ports(device: Device) -> int:
    for tag in device.tags:
        if tag.startswith("ports:"):
            return int(tag.split(":", 1)[1])
    return 24


def ports_of(device: Device, downlinks: int = 0) -> list[Port]:
    """The device's interfaces; `downlinks` sizes core switches to their number of children."""
    aruba = device.profile == "aruba-cx"
    if device.role == Role.access_switch:
        n = access_ports(device)
        copper = [Port(i, f"1/1/{i}" if aruba else f"Gi1/0/{i}",
                       f"1/1/{i}" if aruba else f"GigabitEthernet1/0/{i}", 1000, False, False)
                  for i in range(1, n + 1)]
        sfp = [Port(n + k, f"1/1/{n + k}" if aruba else f"Te1/1/{k}",
                    f"1/1/{n + k}" if aruba else f"TenGigabitEthernet1/1/{k}", 10000, True, True)
               for k in range(1, 5)]
        return copper + sfp
    if device.role in (Role.distribution, Role.core):
        n = max(24 if device.role == Role.distribution else 48, -(-downlinks // 8) * 8)
        cisco = device.profile == "cisco-iosxe"
        speed = 10000 if device.role == Role.distribution else 25000
        down = [Port(i, f"Twe1/0/{i}" if cisco else f"1/1/{i}",
                     f"TwentyFiveGigE1/0/{i}" if cisco else f"1/1/{i}", speed, True, False)
                for i in range(1, n + 1)]
        up = [Port(n + k, f"Hu1/0/{n + k}" if cisco else f"1/1/{n + k}",
                   f"HundredGigE1/0/{n + k}" if cisco else f"1/1/{n + k}", 40000 if not cisco else 100000,
                   True, True) for k in range(1, 5)]
        return down + up
    if device.role == Role.wifi_ap:
        return [Port(1, "Gi0", "GigabitEthernet0", 1000, False, True),
                Port(2, "Dot11Radio0", "Dot11Radio0", 867, False, False),
                Port(3, "Dot11Radio1", "Dot11Radio1", 1200, False, False)]
    if device.role == Role.wifi_controller:
        return [Port(k, f"Te0/0/{k - 1}", f"TenGigabitEthernet0/0/{k - 1}", 10000, True, k == 1)
                for k in range(1, 5)]
    # routers, firewalls
    return [Port(k, f"Te0/1/{k - 1}" if device.role == Role.router else f"port{k}",
                 f"TenGigabitEthernet0/1/{k - 1}" if device.role == Role.router else f"port{k}",
                 10000, True, k == 1) for k in range(1, 9)]


def _parents(inv: Inventory) -> dict[str, str]:
    """hostname -> the hostname of the device it hangs from."""
    by_site: dict[str, list[Device]] = defaultdict(list)
    for device in inv.devices.values():
        by_site[device.site].append(device)
    for devices in by_site.values():
        devices.sort(key=lambda d: d.hostname)

    def of_role(site: str, role: Role) -> list[Device]:
        return [d for d in by_site.get(site, []) if d.role == role and "lab-recording" not in d.tags]

    def core(site: str | None, n: int) -> str | None:
        cores = of_role(site, Role.core) if site else []
        return cores[(n - 1) % len(cores)].hostname if cores else None

    parents: dict[str, str | None] = {}
    for device in inv.devices.values():
        if "lab-recording" in device.tags:
            continue
        site = inv.sites[device.site]
        n = _number(device.hostname)
        stable = zlib.crc32(device.hostname.encode()) % 2 + 1
        parent: str | None = None
        if device.role == Role.wifi_ap:
            switches = of_role(device.site, Role.access_switch)
            parent = switches[(n - 1) % len(switches)].hostname if switches else None
        elif device.role == Role.access_switch:
            dists = of_role(device.site, Role.distribution)
            parent = dists[0].hostname if dists else core(site.uplink, stable)
        elif site.kind in ("datacenter",):
            parent = None if device.role == Role.core else core(site.id, n)
        elif device.role == Role.core:  # PoP cores
            parent = core(site.uplink, n)
        else:
            parent = core(site.uplink, stable)
        if parent is not None:
            parents[device.hostname] = parent
    return {k: v for k, v in parents.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Topology:
    ports: dict[str, list[Port]]
    uplink: dict[str, Link]  # device -> its link towards the root
    downlinks: dict[str, list[Link]]  # device -> links towards its children (device = the parent)

    def neighbours(self, hostname: str) -> list[Link]:
        """Every link seen from `hostname` (its uplink first), as LLDP would report them."""
        links = [self.uplink[hostname]] if hostname in self.uplink else []
        return links + self.downlinks.get(hostname, [])


def build(inv: Inventory) -> Topology:
    parents = _parents(inv)
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in sorted(parents.items()):
        children[parent].append(child)
    ports = {h: ports_of(d, len(children.get(h, ()))) for h, d in inv.devices.items()
             if "lab-recording" not in d.tags}
    uplink: dict[str, Link] = {}
    downlinks: dict[str, list[Link]] = defaultdict(list)
    for parent, kids in children.items():
        free = [p for p in ports[parent] if not p.uplink and
                (inv.devices[parent].role != Role.access_switch or not p.fibre)]
        if inv.devices[parent].role == Role.access_switch:
            free = free[::-1]  # APs on the last copper ports, users' desks from port 1
        for kid, port in zip(kids, free, strict=False):
            kid_port = next(p for p in ports[kid] if p.uplink)
            uplink[kid] = Link(kid, kid_port.index, parent, port.index)
            downlinks[parent].append(Link(parent, port.index, kid, kid_port.index))
    return Topology(ports, uplink, dict(downlinks))
