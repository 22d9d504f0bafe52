"""Inventory directories for the tests and benchmarks: one factory instead of a YAML writer per suite.

Build the parts with `site()`, `device()`, `snmp_v2c()`, `snmp_v3()`, `radius()`, `profile()` (plain
dicts in the schema of `inventory/model.py`), then write them:

    files = write_inventory(tmp_path / "inventory",
                            sites=[site("col-x", name="Collège X")],
                            credentials={"v2c": snmp_v2c("env:THDMON_TEST_COMMUNITY")},
                            devices=[device("sw-a", "col-x", snmp_port=agent.port, snmp="v2c")])
    load_inventory(files.root, ...)

Each section goes to its own file (sites.yaml, credentials.yaml, profiles.yaml, devices.yaml), each
replaced atomically, so that a running `thdmon serve` watching the directory never reads half a file
and a rewrite is a reload. `write_sample_subset()` copies part of the sample département instead.
Secret values never go in these files: credentials hold `env:`/`file:` references.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from inventory.model import Inventory, Role
from lab import secrets as lab_secrets
from lab.sample import DATA as SAMPLE

Fields = dict[str, Any]


@dataclass(frozen=True, slots=True)
class InventoryFiles:
    root: Path
    files: tuple[Path, ...]
    secrets: Path | None = None  # a 0600 secrets file, when the factory wrote one


def site(id: str, *, name: str | None = None, kind: str = "college", commune: str = "Bobigny",
         **fields: Any) -> Fields:
    return _present({"id": id, "name": name or id, "kind": kind, "commune": commune, **fields})


def device(hostname: str, site: str, *, address: str = "127.0.0.1", role: str = "access_switch",
           **fields: Any) -> Fields:
    """A device; keyword fields (snmp_port, snmp, profile, intervals, ...) left None are not written."""
    return _present({"hostname": hostname, "address": address, "site": site, "role": role, **fields})


def snmp_v2c(community: str) -> Fields:
    """`community` is a reference (`env:NAME` or `file:key`), never the value."""
    return {"type": "snmp_v2c", "community": community}


def snmp_v3(user: str, *, auth_key: str, priv_key: str, auth_protocol: str = "SHA", priv_protocol: str = "AES",
            security_level: str = "authPriv") -> Fields:
    return {"type": "snmp_v3", "user": user, "security_level": security_level, "auth_protocol": auth_protocol,
            "auth_key": auth_key, "priv_protocol": priv_protocol, "priv_key": priv_key}


def radius(secret: str) -> Fields:
    return {"type": "radius", "secret": secret}


def profile(snmp_modules: Sequence[str], *, sys_object_ids: Sequence[str] = (), description: str | None = None,
            **fields: Any) -> Fields:
    return _present({"description": description, "snmp_modules": list(snmp_modules),
                     "sys_object_ids": list(sys_object_ids) or None, **fields})


def write_inventory(root: Path, *, sites: Iterable[Fields], devices: Iterable[Fields],
                    credentials: Mapping[str, Fields] | None = None,
                    profiles: Mapping[str, Fields] | None = None) -> InventoryFiles:
    """Write (or rewrite) the inventory in `root`; a section left empty has no file."""
    root.mkdir(parents=True, exist_ok=True)
    sections = {"sites": list(sites), "credentials": dict(credentials or {}), "profiles": dict(profiles or {}),
                # devices last: a watcher that reloads between two files sees the new sites first
                "devices": list(devices)}
    files = [_write(root / f"{key}.yaml", {key: value}) for key, value in sections.items() if value]
    return InventoryFiles(root, tuple(files))


def chosen_devices(inv: Inventory, commune: str) -> list[str]:
    """The commune's devices, then the cores of its PoP, then the cores of that PoP's data centre."""
    local = sorted(h for h, d in inv.devices.items() if inv.sites[d.site].commune == commune)
    pop = inv.sites[inv.devices[local[0]].site].uplink
    dc = inv.sites[pop].uplink
    cores = sorted(h for h, d in inv.devices.items() if d.site in {pop, dc} and d.role == Role.core)
    return local + cores


def write_sample_subset(root: Path, devices: Sequence[str], *, snmp_port: int,
                        sample: Path = SAMPLE) -> InventoryFiles:
    """A copy of the sample département holding only `devices` (polled on `snmp_port`, where the lab
    serves them), the sites they stand in and those sites' uplink chain, with the sample's credentials
    and profiles, and the lab's secrets in `root`'s parent (0600, outside the inventory)."""
    files = sorted(sample.glob("*.yaml")) + sorted((sample / "communes").glob("*.yaml"))
    # lab-recordings.yaml too: a caller may poll a real-device recording (the lab serves it from ../shared).
    docs = [yaml.safe_load(f.read_text(encoding="utf-8")) or {} for f in files]
    all_sites = {s["id"]: s for doc in docs for s in doc.get("sites", [])}
    selected = [{**d, "snmp_port": snmp_port} for doc in docs for d in doc.get("devices", [])
                if d["hostname"] in devices]
    if len(selected) != len(devices):
        unknown = sorted(set(devices) - {d["hostname"] for d in selected})
        raise ValueError(f"not in the sample: {', '.join(unknown)}")
    wanted: set[str] = set()
    for start in (d["site"] for d in selected):
        current: str | None = start
        while current and current not in wanted:
            wanted.add(current)
            current = all_sites[current].get("uplink")
    credentials = yaml.safe_load((sample / "credentials.yaml").read_text(encoding="utf-8"))
    profiles = yaml.safe_load((sample / "profiles.yaml").read_text(encoding="utf-8"))
    written = write_inventory(root, sites=[all_sites[s] for s in sorted(wanted)], devices=selected,
                              credentials=credentials.get("credentials"), profiles=profiles.get("profiles"))
    return InventoryFiles(written.root, written.files, lab_secrets.provision(root.parent))


def _present(fields: Fields) -> Fields:
    return {k: v for k, v in fields.items() if v is not None}


def _write(path: Path, doc: Fields) -> Path:
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return path  # unchanged: no new mtime for a watcher to reload on
    tmp = path.with_name(f".{path.name}.tmp")  # a dot file: the loader skips it
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
