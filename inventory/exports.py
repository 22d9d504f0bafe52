"""Exports derived from the inventory: Prometheus file_sd, Ansible inventory, CSV.

None of them carries a secret: they are built from sites and devices only (a device's credential
*names* appear in the CSV, never a reference's value).

The scrape contract (docs/exporter.md): Prometheus scrapes each collector (`thdmon serve`) whole.
`collectors_file_sd` lists them, the K-th of N as shard K/N: that is what a scrape job reads. The
device groups (`file_sd`, target `address:snmp_port`, `[v6]:port` for IPv6) list devices, for jobs
that probe the devices themselves (blackbox) or check that each expected device is exposed; they are
never relabelled into a `?target=` of thdmon, which serves no per-device scrape.

`shard` (K/N) keeps only the devices of that shard's sites, the split `thdmon serve --shard K/N` polls
(`inventory.shard`): one file_sd file per collector.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import yaml

from inventory.builtin import merged as merged_profiles
from inventory.model import Device, Inventory, Profile, Site, SshCredential
from inventory.shard import Shard, devices_of_shard

FORMATS = ("file_sd", "ansible", "csv")
CSV_COLUMNS: tuple[str, ...] = (
    "hostname", "address", "snmp_port", "ssh_port", "role", "profile", "snmp", "ssh", "radius", "enabled",
    "maintenance", "tags", "site", "site_name", "site_kind", "commune", "insee", "lat", "lon", "uplink",
    "criticality", "site_tags",
)


def target_of(device: Device) -> str:
    host = f"[{device.address}]" if device.address.version == 6 else str(device.address)
    return f"{host}:{device.snmp_port}"


def device_labels(device: Device, site: Site) -> dict[str, str]:
    """The identity labels of a device, as every metric carries them (metrics.catalogue.DEVICE_LABELS)."""
    return {"site": site.id, "site_kind": site.kind.value, "commune": site.commune, "role": device.role.value,
            "device": device.hostname}


def _enabled(inv: Inventory, shard: Shard | None = None) -> Iterable[Device]:
    devices = inv.devices if shard is None else devices_of_shard(inv, shard)
    return (d for d in devices.values() if d.enabled)


def file_sd(inv: Inventory, group_by: Literal["device", "site"] = "device",
            shard: Shard | None = None) -> list[dict[str, Any]]:
    """Prometheus file_sd target groups: one per device (all labels) or one per site (site labels)."""
    if group_by == "device":
        return [{"targets": [target_of(d)], "labels": device_labels(d, inv.site_of(d))}
                for d in sorted(_enabled(inv, shard), key=lambda d: d.hostname)]
    by_site: dict[str, list[str]] = {}
    for d in _enabled(inv, shard):
        by_site.setdefault(d.site, []).append(target_of(d))
    groups = []
    for site_id in sorted(by_site):
        site = inv.sites[site_id]
        groups.append({"targets": sorted(by_site[site_id]),
                       "labels": {"site": site.id, "site_kind": site.kind.value, "commune": site.commune}})
    return groups


def collectors_file_sd(collectors: Sequence[str]) -> list[dict[str, Any]]:
    """The scrape targets: the K-th of N collectors (HOST:PORT of its /metrics) runs `--shard K/N`."""
    n = len(collectors)
    return [{"targets": [address], "labels": {"shard": f"{k}/{n}"}} for k, address in enumerate(collectors, 1)]


def file_sd_json(inv: Inventory, group_by: Literal["device", "site"] = "device",
                 shard: Shard | None = None) -> str:
    return json.dumps(file_sd(inv, group_by, shard), indent=2, ensure_ascii=False) + "\n"


def ansible_group(prefix: str, value: str) -> str:
    """A valid Ansible group name: ASCII letters, digits and '_', not starting with a digit."""
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_.lower()).strip("_") or "unnamed"
    return f"{prefix}_{name}"


# netmiko device_type (a profile's `ssh_platform`) -> (ansible_network_os, ansible_connection) of the
# collection that drives that platform. A platform missing here gets `ssh_platform` and `ansible_user`
# but no network_os: add it here (tests/unit/inventory/test_exports.py lists the expectations).
NETWORK_CLI = "ansible.netcommon.network_cli"
ANSIBLE_PLATFORMS: dict[str, tuple[str, str]] = {
    "cisco_ios": ("cisco.ios.ios", NETWORK_CLI),
    "cisco_xe": ("cisco.ios.ios", NETWORK_CLI),
    "cisco_nxos": ("cisco.nxos.nxos", NETWORK_CLI),
    "cisco_xr": ("cisco.iosxr.iosxr", NETWORK_CLI),
    "cisco_asa": ("cisco.asa.asa", NETWORK_CLI),
    "cisco_wlc": ("community.network.aireos", NETWORK_CLI),
    "juniper_junos": ("junipernetworks.junos.junos", NETWORK_CLI),
    "arista_eos": ("arista.eos.eos", NETWORK_CLI),
    "aruba_aoscx": ("arubanetworks.aoscx.aoscx", NETWORK_CLI),
    "hp_procurve": ("arubanetworks.aos_switch.arubaoss", NETWORK_CLI),
    "fortinet": ("fortinet.fortios.fortios", "ansible.netcommon.httpapi"),
    "mikrotik_routeros": ("community.routeros.routeros", NETWORK_CLI),
    "vyos": ("vyos.vyos.vyos", NETWORK_CLI),
    "huawei": ("community.network.ce", NETWORK_CLI),
}
# Platforms that are plain Unix hosts: Ansible's own ssh connection, no network_os.
ANSIBLE_SSH_PLATFORMS = frozenset({"linux"})


def _ansible_access(inv: Inventory, device: Device, profiles: dict[str, Profile]) -> dict[str, Any]:
    """How Ansible reaches a device: network_os and connection from its profile's ssh_platform (the
    inventory's profiles merged over the built-in ones), the SSH user (a name, never a secret) and key file
    path from its ssh credential."""
    out: dict[str, Any] = {}
    profile = profiles.get(device.profile) if device.profile else None
    platform = profile.ssh_platform if profile is not None else None
    if platform:
        out["ssh_platform"] = platform
        if platform in ANSIBLE_PLATFORMS:
            out["ansible_network_os"], out["ansible_connection"] = ANSIBLE_PLATFORMS[platform]
        elif platform in ANSIBLE_SSH_PLATFORMS:
            out["ansible_connection"] = "ssh"
    cred = inv.credentials.get(device.ssh) if device.ssh else None
    if isinstance(cred, SshCredential):
        out["ansible_user"] = cred.username
        if cred.key_file:
            out["ansible_ssh_private_key_file"] = cred.key_file
    return out


def ansible_inventory(inv: Inventory) -> dict[str, Any]:
    """An Ansible YAML inventory of the enabled devices, ready for network modules, grouped by site, site
    kind, role, commune and profile. Disabled devices are left outside `all` (every host of an Ansible
    inventory is in `all`, so a play on `all` must not reach them); their names are listed in the
    variable `thdmon_disabled_devices`."""
    hosts: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, None]] = {}
    disabled: list[str] = []
    profiles = {name: entry.profile for name, entry in merged_profiles(inv.profiles).items()}
    for device in sorted(inv.devices.values(), key=lambda d: d.hostname):
        if not device.enabled:
            disabled.append(device.hostname)
            continue
        site = inv.site_of(device)
        hostvars: dict[str, Any] = {"ansible_host": str(device.address), "site": site.id,
                                    "site_kind": site.kind.value, "commune": site.commune,
                                    "role": device.role.value, "profile": device.profile}
        if device.ssh_port != 22:
            hostvars["ansible_port"] = device.ssh_port
        hostvars.update(_ansible_access(inv, device, profiles))
        hosts[device.hostname] = hostvars
        names = [ansible_group("site", site.id), ansible_group("kind", site.kind.value),
                 ansible_group("role", device.role.value), ansible_group("commune", site.commune)]
        if device.profile:
            names.append(ansible_group("profile", device.profile))
        for group in names:
            groups.setdefault(group, {})[device.hostname] = None
    children = {name: {"hosts": groups[name]} for name in sorted(groups)}
    return {"all": {"hosts": hosts, "children": children, "vars": {"thdmon_disabled_devices": disabled}}}


def ansible_yaml(inv: Inventory) -> str:
    header = "# Generated by `thdmon inventory export --format ansible`: edit the inventory, not this file.\n"
    return header + yaml.safe_dump(ansible_inventory(inv), sort_keys=False, allow_unicode=True,
                                   default_flow_style=False)


def csv_rows(inv: Inventory) -> list[dict[str, str]]:
    rows = []
    for device in sorted(inv.devices.values(), key=lambda d: d.hostname):
        site = inv.site_of(device)
        rows.append({
            "hostname": device.hostname, "address": str(device.address), "snmp_port": str(device.snmp_port),
            "ssh_port": str(device.ssh_port), "role": device.role.value, "profile": device.profile or "",
            "snmp": device.snmp or "", "ssh": device.ssh or "", "radius": device.radius or "",
            "enabled": "true" if device.enabled else "false",
            "maintenance": device.maintenance.isoformat() if device.maintenance else "",
            "tags": ",".join(device.tags), "site": site.id, "site_name": site.name, "site_kind": site.kind.value,
            "commune": site.commune, "insee": site.insee or "", "lat": _num(site.lat), "lon": _num(site.lon),
            "uplink": site.uplink or "", "criticality": site.criticality.value, "site_tags": ",".join(site.tags),
        })
    return rows


def csv_text(inv: Inventory) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(inv))
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else repr(value)


def render(inv: Inventory, fmt: str, group_by: Literal["device", "site"] = "device",
           shard: Shard | None = None) -> str:
    if shard is not None and fmt != "file_sd":
        raise ValueError(f"a shard applies to the file_sd export only, not to {fmt}")
    if fmt == "file_sd":
        return file_sd_json(inv, group_by, shard)
    if fmt == "ansible":
        return ansible_yaml(inv)
    if fmt == "csv":
        return csv_text(inv)
    raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
