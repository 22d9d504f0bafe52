"""Vendor profiles built into thdmon (`builtin_profiles.yaml`), merged with an inventory's `profiles:`.

A new inventory without a profiles file still gets each vendor's modules: these profiles ship with the
package. An inventory profile of the same name overrides only the keys it sets (`model_fields_set`), so
`aruba-instant: {ssh_platform: ...}` keeps the built-in modules and prefixes; a new name adds a profile.
`load_inventory` keeps `Inventory.profiles` as written in the inventory; the collector merges (`merged`),
and validation accepts a device `profile:` naming a built-in profile (`names`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from inventory.model import Profile

BUILTIN_FILE = Path(__file__).resolve().parent / "builtin_profiles.yaml"

Source = Literal["built-in", "inventory", "built-in + inventory"]


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """A profile as module selection sees it, with where it came from."""

    name: str
    profile: Profile
    source: Source


def load_builtin(path: Path = BUILTIN_FILE) -> dict[str, ProfileEntry]:
    """The shipped profiles; a broken file is a packaging bug, so it fails loudly (ValueError)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {name: ProfileEntry(name, Profile.model_validate(body or {}), "built-in")
            for name, body in (raw.get("profiles") or {}).items()}


_BUILTIN: dict[str, ProfileEntry] | None = None
# Merged sets by the identity of the inventory's mapping (frozen; a reload brings a new one). The mapping
# is held so its id cannot be reused while cached.
_MERGED: dict[int, tuple[Mapping[str, Profile], dict[str, ProfileEntry]]] = {}


def builtin() -> dict[str, ProfileEntry]:
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = load_builtin()
    return _BUILTIN


def names() -> frozenset[str]:
    return frozenset(builtin())


def merged(inventory_profiles: Mapping[str, Profile]) -> dict[str, ProfileEntry]:
    """Built-in profiles, then the inventory's: a new name adds, a known one overrides the keys it sets."""
    hit = _MERGED.get(id(inventory_profiles))
    if hit is not None and hit[0] is inventory_profiles:
        return hit[1]
    out = dict(builtin())
    for name, profile in inventory_profiles.items():
        base = out.get(name)
        if base is None:
            out[name] = ProfileEntry(name, profile, "inventory")
            continue
        given = {key: getattr(profile, key) for key in profile.model_fields_set}
        if "snmp_modules" in given and "probe_modules" not in given:
            # The modules an inventory names are all expected: a probe it lists is no longer a probe.
            given["probe_modules"] = tuple(m for m in base.profile.probe_modules if m not in given["snmp_modules"])
        out[name] = ProfileEntry(name, base.profile.model_copy(update=given), "built-in + inventory")
    if len(_MERGED) >= 64:  # inventories are reloaded rarely; this only bounds a pathological loop
        _MERGED.clear()
    _MERGED[id(inventory_profiles)] = (inventory_profiles, out)
    return out
