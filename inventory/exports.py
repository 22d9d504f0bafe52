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

from inventory.model import Device, Inventory, Site
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


def ansible_inventory(inv: Inventory) -> dict[str, Any]:
    """An Ansible YAML inventory: hosts with their vars, grouped by site kind, role and commune."""
    hosts: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, None]] = {}
    for device in sorted(inv.devices.values(), key=lambda d: d.hostname):
        site = inv.site_of(device)
        hostvars: dict[str, Any] = {"ansible_host": str(device.address), "site": site.id,
                                    "site_kind": site.kind.value, "commune": site.commune,
                                    "role": device.role.value, "profile": device.profile,
                                    "enabled": device.enabled}
        if device.ssh_port != 22:
            hostvars["ansible_port"] = device.ssh_port
        hosts[device.hostname] = hostvars
        for group in (ansible_group("kind", site.kind.value), ansible_group("role", device.role.value),
                      ansible_group("commune", site.commune)):
            groups.setdefault(group, {})[device.hostname] = None
    children = {name: {"hosts": groups[name]} for name in sorted(groups)}
    return {"all": {"hosts": hosts, "children": children}}


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
