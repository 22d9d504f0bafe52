"""Generate the sample département (THD-SSD) as inventory YAML: `python -m lab.sample.generate`.

Deterministic: the same seed rewrites `data/` byte for byte. Every device answers SNMP on a unique
127.0.0.0/8 address, port 16100, so that `thdmon lab start` can simulate the whole département on one
machine: 127.1.0.0/16 for schools, departmental sites and parks (64 addresses per site), 127.2.0.0/16 for
data centres and PoPs (256 per site), 127.3.0.0/24 for the real-device recordings of the lab.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lab.sample.places import (
    COMMUNES,
    DATACENTRES,
    DEPARTMENTAL_KINDS,
    NAMESAKES,
    PARKS,
    POPS,
    Commune,
    Place,
)

SEED = 93
DATA_DIR = Path(__file__).resolve().parent / "data"
LAB_SNMP_PORT = 16100
# Park AP models in turn, park by park: Cisco (AIRESPACE), UniFi (UBNT-UniFi-MIB), Aruba Instant (AI-AP-MIB).
PARK_AP_MODELS = ("C9120AXI-E", "U6-Pro", "AP-505")
SITE_BLOCK = ipaddress.IPv4Address("127.1.0.0")
CORE_BLOCK = ipaddress.IPv4Address("127.2.0.0")
RECORDING_BLOCK = ipaddress.IPv4Address("127.3.0.0")
ADDRESSES_PER_SITE = 64

N_COLLEGES = 131
N_LYCEES = 66
N_CFA = 8

# Real-device recordings served by the lab (lab/snmp/recordings.py reads them from ../shared/snmprec):
# file stem -> (hostname, role, profile).
RECORDINGS: tuple[tuple[str, str, str, str], ...] = (
    ("ios_ie32008t2s-ios17-12", "rec-cisco-ie3200", "access_switch", "cisco-iosxe"),
    ("iosxe_c9200l", "rec-cisco-c9200l", "access_switch", "cisco-iosxe"),
    ("arubaos-cx_10.16", "rec-aruba-cx6300m", "distribution", "aruba-cx"),
    ("procurve_2520", "rec-hp-procurve", "access_switch", "hp-procurve"),
    ("aos6_aos6", "rec-alcatel-os6450", "access_switch", "alcatel-aos6"),
    ("junos_ex", "rec-juniper-ex3400", "access_switch", "juniper-junos"),
    ("ciscowlc_cbw240ac", "rec-cisco-cbw240ac", "wifi_controller", "generic-wifi-controller"),
    ("aruba-instant", "rec-aruba-iap225", "wifi_ap", "aruba-instant"),
    ("ruckuswireless-sz", "rec-ruckus-smartzone", "wifi_controller", "ruckus-smartzone"),
    ("unifi_nanohd", "rec-unifi-nanohd", "wifi_ap", "unifi-ap"),
    ("fortigate_fwf60d", "rec-fortiwifi-60d", "firewall", "fortigate"),
    ("linux_xcp-ng", "rec-linux-xcpng", "router", "linux-host"),
)

CREDENTIALS: dict[str, dict[str, Any]] = {
    "lab-v2c": {"type": "snmp_v2c", "community": "file:lab_snmp_community"},
    "lab-v3": {"type": "snmp_v3", "user": "thdmon-lab", "security_level": "authPriv",
               "auth_protocol": "SHA", "auth_key": "file:lab_snmp_v3_auth",
               "priv_protocol": "AES", "priv_key": "file:lab_snmp_v3_priv"},
    "lab-ssh": {"type": "ssh", "username": "thdmon", "password": "file:lab_ssh_password"},
    "lab-radius": {"type": "radius", "secret": "file:lab_radius_secret"},
}

_SWITCH = ("system", "if_mib", "lldp", "entity_sensor", "host_resources")
PROFILES: dict[str, dict[str, Any]] = {
    "aruba-cx": {"description": "HPE Aruba Networking CX switches (6100, 6300, 8360)",
                 "snmp_modules": [*_SWITCH, "poe"], "ssh_platform": "aruba_aoscx",
                 "sys_object_ids": ["1.3.6.1.4.1.47196.4.1.1.1"]},
    "cisco-iosxe": {"description": "Cisco IOS-XE switches and routers (Catalyst 9200/9500, ASR 1000)",
                    "snmp_modules": ["system", "if_mib", "lldp", "cisco_entity_sensor", "poe", "host_resources"],
                    "ssh_platform": "cisco_xe",
                    "sys_object_ids": ["1.3.6.1.4.1.9.1"]},
    "fortigate": {"description": "Fortinet FortiGate firewalls",
                  "snmp_modules": ["system", "if_mib", "host_resources"], "ssh_platform": "fortinet",
                  "sys_object_ids": ["1.3.6.1.4.1.12356.101.1"]},
    "generic-switch": {"description": "Any switch with the standard MIBs",
                       "snmp_modules": list(_SWITCH)},
    "generic-wifi-ap": {"description": "Wi-Fi access points (Cisco Catalyst 9120, AIRESPACE MIB)",
                        "snmp_modules": ["system", "if_mib", "host_resources", "wifi_airespace"],
                        "sys_object_ids": ["1.3.6.1.4.1.9.1.2441"]},
    "generic-wifi-controller": {"description": "Wi-Fi controllers (Cisco Catalyst 9800, AireOS)",
                                "snmp_modules": ["system", "if_mib", "lldp", "entity_sensor",
                                                 "host_resources", "wifi_airespace"],
                                "ssh_platform": "cisco_wlc",
                                "sys_object_ids": ["1.3.6.1.4.1.9.1.2530", "1.3.6.1.4.1.9.6.1.37"]},
    "hp-procurve": {"description": "HP ProCurve / Aruba OS-Switch", "snmp_modules": [*_SWITCH, "poe"],
                    "ssh_platform": "hp_procurve", "sys_object_ids": ["1.3.6.1.4.1.11.2.3.7"]},
    "alcatel-aos6": {"description": "Alcatel-Lucent Enterprise OmniSwitch (AOS 6)",
                     "snmp_modules": ["system", "if_mib"], "ssh_platform": "alcatel_aos",
                     "sys_object_ids": ["1.3.6.1.4.1.6486.800"]},
    "juniper-junos": {"description": "Juniper EX switches", "snmp_modules": ["system", "if_mib"],
                      "ssh_platform": "juniper_junos", "sys_object_ids": ["1.3.6.1.4.1.2636"]},
    "aruba-instant": {"description": "Aruba Instant access points",
                      "snmp_modules": ["system", "if_mib", "wifi_aruba_instant"],
                      "sys_object_ids": ["1.3.6.1.4.1.14823.1.2"]},   # Instant APs, not the controllers
    "ruckus-smartzone": {"description": "Ruckus SmartZone controllers",
                         "snmp_modules": ["system", "host_resources", "wifi_ruckus"],
                         "sys_object_ids": ["1.3.6.1.4.1.25053.3.1.11"]},   # not ZoneDirector/Unleashed
    "unifi-ap": {"description": "Ubiquiti UniFi access points",
                 "snmp_modules": ["system", "if_mib", "host_resources", "wifi_unifi"]},
    "linux-host": {"description": "Linux hosts running net-snmp",
                   "snmp_modules": ["system", "if_mib", "host_resources"], "ssh_platform": "linux",
                   "sys_object_ids": ["1.3.6.1.4.1.8072.3.2.10"]},
}


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass
class SiteSpec:
    id: str
    name: str
    kind: str
    insee: str
    lat: float
    lon: float
    uplink: str | None = None
    criticality: str = "normal"
    devices: list[dict[str, Any]] = field(default_factory=list)


def _distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return math.hypot(lat1 - lat2, (lon1 - lon2) * math.cos(math.radians(lat1)))


def _nearest(places: tuple[Place, ...], lat: float, lon: float) -> Place:
    return min(places, key=lambda p: _distance(lat, lon, p.lat, p.lon))


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.communes = {c.insee: c for c in COMMUNES}
        self.sites: list[SiteSpec] = []
        self.used_names: set[tuple[str, str]] = set()

    # -- sites -----------------------------------------------------------------------------------
    def _weighted_communes(self, count: int) -> list[Commune]:
        return self.rng.choices(COMMUNES, weights=[c.weight for c in COMMUNES], k=count)

    def _jitter(self, commune: Commune) -> tuple[float, float]:
        return (round(commune.lat + self.rng.uniform(-0.008, 0.008), 5),
                round(commune.lon + self.rng.uniform(-0.011, 0.011), 5))

    def _namesake(self, insee: str) -> str:
        while True:
            name = self.rng.choice(NAMESAKES)
            if (name, insee) not in self.used_names:
                self.used_names.add((name, insee))
                return name

    def _add_site(self, stem: str, name: str, kind: str, commune: Commune, criticality: str = "normal") -> SiteSpec:
        lat, lon = self._jitter(commune)
        base = slugify(stem)[:48].rstrip("-")
        site_id, n = base, 2
        while any(s.id == site_id for s in self.sites):
            site_id, n = f"{base}-{n}", n + 1
        pop = _nearest(POPS, lat, lon)
        site = SiteSpec(site_id, name, kind, commune.insee, lat, lon, pop.slug, criticality)
        self.sites.append(site)
        return site

    def build_sites(self) -> None:
        for place in DATACENTRES:
            self.sites.append(SiteSpec(place.slug, place.name, "datacenter", place.insee, place.lat, place.lon,
                                       None, "critical"))
        for place in POPS:
            dc = _nearest(DATACENTRES, place.lat, place.lon)
            self.sites.append(SiteSpec(place.slug, place.name, "pop", place.insee, place.lat, place.lon,
                                       dc.slug, "critical"))
        for place, _aps in PARKS:
            site = SiteSpec(place.slug, place.name, "park", place.insee, place.lat, place.lon,
                            _nearest(POPS, place.lat, place.lon).slug, "high")
            self.sites.append(site)
        for commune in self._weighted_communes(N_COLLEGES):
            namesake = self._namesake(commune.insee)
            self._add_site(f"col-{commune.name}-{namesake}", f"Collège {namesake}", "college", commune)
        for commune in self._weighted_communes(N_LYCEES):
            label = self.rng.choice(("Lycée", "Lycée", "Lycée polyvalent", "Lycée professionnel"))
            namesake = self._namesake(commune.insee)
            self._add_site(f"lyc-{commune.name}-{namesake}", f"{label} {namesake}", "lycee", commune)
        for commune in self._weighted_communes(N_CFA):
            trade = self.rng.choice(("des métiers du bâtiment", "de l'automobile", "des métiers de bouche",
                                     "de la logistique", "du numérique", "des services à la personne"))
            self._add_site(f"cfa-{commune.name}", f"CFA {trade} de {commune.name}", "cfa", commune)
        for prefix, label, count in DEPARTMENTAL_KINDS:
            for commune in self._weighted_communes(count):
                site = self._add_site(f"{prefix}-{commune.name}", f"{label} de {commune.name}",
                                      "departmental_site", commune,
                                      criticality=self.rng.choice(("low", "normal", "normal")))
                if site.id[-2] == "-" and site.id[-1].isdigit():
                    site.name = f"{site.name} ({site.id[-1]})"

    # -- devices ---------------------------------------------------------------------------------
    def _device(self, site: SiteSpec, suffix: str, role: str, profile: str | None, model: str,
                **extra: Any) -> None:
        device: dict[str, Any] = {"hostname": f"{site.id}-{suffix}", "site": site.id, "role": role,
                                  **({"profile": profile} if profile else {}), "snmp_port": LAB_SNMP_PORT,
                                  "snmp": "lab-v2c"}
        if role != "wifi_ap":
            device["ssh"] = "lab-ssh"
        if role in ("wifi_ap", "wifi_controller"):
            device["radius"] = "lab-radius"
        device["tags"] = [f"model:{model}", *extra.pop("tags", [])]
        device.update(extra)
        site.devices.append(device)

    def _access_switches(self, site: SiteSpec, sizes: list[int]) -> None:
        vendor = self.rng.choice(("aruba-cx", "aruba-cx", "cisco-iosxe"))
        for i, ports in enumerate(sizes, 1):
            model = ({24: "JL677A", 48: "JL675A"} if vendor == "aruba-cx" else
                     {24: "C9200L-24P-4X", 48: "C9200L-48P-4X"})[ports]
            self._device(site, f"acc{i}", "access_switch", vendor, model, tags=[f"ports:{ports}"])

    def _aps(self, site: SiteSpec, count: int, model: str = "C9120AXI-E") -> None:
        # Cisco APs name their inventory profile; UniFi and Aruba Instant APs are added with none, as a
        # new user would: the built-in profiles find them by sysObjectID (and UniFi by probing).
        profile = "generic-wifi-ap" if model == "C9120AXI-E" else None
        for i in range(1, count + 1):
            self._device(site, f"ap{i:02d}", "wifi_ap", profile, model)

    def _distribution(self, site: SiteSpec) -> None:
        self._device(site, "dist1", "distribution", "aruba-cx", "JL658A")

    def build_devices(self) -> None:
        rng = self.rng
        park_aps = {place.slug: aps for place, aps in PARKS}
        # The parks' APs come in three families (AIRESPACE, UniFi, Aruba Instant), by park order.
        park_models = {place.slug: PARK_AP_MODELS[i % len(PARK_AP_MODELS)] for i, (place, _) in enumerate(PARKS)}
        for site in self.sites:
            if site.kind == "datacenter":
                for i in (1, 2):
                    self._device(site, f"core{i}", "core", "cisco-iosxe", "C9500-48Y4C")
                for i in (1, 2):
                    self._device(site, f"rtr{i}", "router", "cisco-iosxe", "ASR1001-X", snmp="lab-v3")
                    self._device(site, f"fw{i}", "firewall", "fortigate", "FG-600E", snmp="lab-v3")
                    self._device(site, f"dist{i}", "distribution", "aruba-cx", "JL700A")
                for i in (1, 2) if site.id == "dc-bobigny" else (1,):
                    self._device(site, f"wlc{i}", "wifi_controller", "generic-wifi-controller", "C9800-40-K9",
                                 snmp="lab-v3")
            elif site.kind == "pop":
                for i in (1, 2):
                    self._device(site, f"core{i}", "core", "aruba-cx", "JL700A")
            elif site.kind == "park":
                aps = park_aps[site.id]
                self._distribution(site)
                self._access_switches(site, [24] * math.ceil(aps / 10))
                self._aps(site, aps, park_models[site.id])
            elif site.kind == "college":
                big = rng.random() < 0.2
                if big:
                    self._distribution(site)
                self._access_switches(site, [48, 24] if big or rng.random() < 0.6 else [48])
                if rng.random() < 0.35:
                    self._aps(site, rng.randint(2, 6))
            elif site.kind in ("lycee", "cfa"):
                self._distribution(site)
                self._access_switches(site, [48] * rng.randint(2, 5) if site.kind == "lycee" else [48, 24])
                if rng.random() < 0.5 or site.kind == "cfa":
                    self._aps(site, rng.randint(3, 8))
            else:
                big = rng.random() < 0.1
                if big:
                    self._distribution(site)
                self._access_switches(site, [24, 48] if big or rng.random() < 0.3 else [24])
                if rng.random() < 0.1:
                    self._aps(site, rng.randint(1, 2))

    def assign_addresses(self) -> None:
        core_index = site_index = 0
        for site in self.sites:
            if site.kind in ("datacenter", "pop"):
                base, core_index = CORE_BLOCK + 256 * core_index, core_index + 1
            else:
                base, site_index = SITE_BLOCK + ADDRESSES_PER_SITE * site_index, site_index + 1
            limit = 255 if site.kind in ("datacenter", "pop") else ADDRESSES_PER_SITE - 1
            if len(site.devices) > limit:
                raise ValueError(f"site {site.id} has {len(site.devices)} devices, more than {limit}")
            for k, device in enumerate(site.devices, 1):
                device["address"] = str(base + k)
                # Keep the YAML keys in a readable order: identity first.
                order = ("hostname", "address", "snmp_port", "site", "role", "profile", "snmp", "ssh",
                         "radius", "tags")
                reordered = {key: device[key] for key in order if key in device}
                device.clear()
                device.update(reordered)


def _recordings_devices() -> list[dict[str, Any]]:
    devices = []
    for k, (stem, hostname, role, profile) in enumerate(RECORDINGS, 1):
        device: dict[str, Any] = {"hostname": hostname, "address": str(RECORDING_BLOCK + k),
                                  "snmp_port": LAB_SNMP_PORT, "site": "dc-bobigny", "role": role,
                                  "profile": profile, "snmp": "lab-v2c",
                                  "tags": ["lab-recording", f"recording:{stem}"]}
        devices.append(device)
    return devices


def _site_dict(site: SiteSpec, communes: dict[str, Commune]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": site.id, "name": site.name, "kind": site.kind,
                           "commune": communes[site.insee].name, "insee": site.insee,
                           "lat": site.lat, "lon": site.lon}
    if site.uplink:
        out["uplink"] = site.uplink
    if site.criticality != "normal":
        out["criticality"] = site.criticality
    return out


def build(seed: int = SEED) -> dict[str, dict[str, Any]]:
    """The data directory's files: relative file name -> YAML document."""
    gen = _Generator(seed)
    gen.build_sites()
    gen.build_devices()
    gen.assign_addresses()
    files: dict[str, dict[str, Any]] = {
        "credentials.yaml": {"credentials": CREDENTIALS},
        "profiles.yaml": {"profiles": PROFILES},
    }
    core = [s for s in gen.sites if s.kind in ("datacenter", "pop")]
    files["core.yaml"] = {"sites": [_site_dict(s, gen.communes) for s in core],
                          "devices": [d for s in core for d in s.devices]}
    files["lab-recordings.yaml"] = {"devices": _recordings_devices()}
    for commune in COMMUNES:
        sites = [s for s in gen.sites if s.insee == commune.insee and s.kind not in ("datacenter", "pop")]
        if sites:
            files[f"communes/{commune.insee}-{slugify(commune.name)}.yaml"] = {
                "sites": [_site_dict(s, gen.communes) for s in sites],
                "devices": [d for s in sites for d in s.devices]}
    return files


_HEADER = "# Generated by `python -m lab.sample.generate` (seed {seed}); do not edit by hand.\n"


def render(files: dict[str, dict[str, Any]], seed: int = SEED) -> Iterator[tuple[str, str]]:
    for name, doc in sorted(files.items()):
        body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120, default_flow_style=False)
        yield name, _HEADER.format(seed=seed) + body


def write(target: Path = DATA_DIR, seed: int = SEED) -> int:
    """Rewrite `target` (removing stale generated YAML files); returns the number of files."""
    rendered = dict(render(build(seed), seed))
    if target.is_dir():
        for old in target.rglob("*.yaml"):
            if str(old.relative_to(target)) not in rendered:
                old.unlink()
    for name, text in rendered.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return len(rendered)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="data directory to (re)write")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    n = write(args.out, args.seed)
    print(f"wrote {n} files to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
