"""Vendor profiles built into thdmon (`builtin_profiles.yaml`), merged with an inventory's `profiles:`.

A new inventory without a profiles file still gets each vendor's modules: these profiles ship with the
package. An inventory profile of the same name overrides only the keys it sets (`model_fields_set`), so
`aruba-instant: {ssh_platform: ...}` keeps the built-in modules and prefixes; a new name adds a profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import ValidationError

from collector.errors import CollectorError
from inventory.model import Profile

BUILTIN_FILE = Path(__file__).resolve().parent / "builtin_profiles.yaml"

Source = Literal["built-in", "inventory", "built-in + inventory"]


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """A profile as selection sees it: the inventory schema, its probed modules, and where it came from."""

    name: str
    profile: Profile
    probe_modules: tuple[str, ...]
    source: Source


def load_builtin(path: Path = BUILTIN_FILE) -> dict[str, ProfileEntry]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CollectorError(f"{path}: cannot load the built-in profiles: {exc}") from None
    out: dict[str, ProfileEntry] = {}
    for name, body in (raw.get("profiles") or {}).items():
        body = dict(body or {})
        probes = tuple(body.pop("probe_modules", ()) or ())
        try:
            out[name] = ProfileEntry(name, Profile.model_validate(body), probes, "built-in")
        except ValidationError as exc:
            raise CollectorError(f"{path}: profile {name}: {exc}") from None
    return out


_BUILTIN: dict[str, ProfileEntry] | None = None
# Merged sets by the identity of the inventory's mapping (frozen; a reload brings a new one). The mapping
# is held so its id cannot be reused while cached.
_MERGED: dict[int, tuple[Mapping[str, Profile], dict[str, ProfileEntry]]] = {}


def builtin() -> dict[str, ProfileEntry]:
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = load_builtin()
    return _BUILTIN


def merged(inventory_profiles: Mapping[str, Profile]) -> dict[str, ProfileEntry]:
    """Built-in profiles, then the inventory's: a new name adds, a known one overrides the keys it sets."""
    hit = _MERGED.get(id(inventory_profiles))
    if hit is not None and hit[0] is inventory_profiles:
        return hit[1]
    out = dict(builtin())
    for name, profile in inventory_profiles.items():
        base = out.get(name)
        if base is None:
            out[name] = ProfileEntry(name, profile, (), "inventory")
            continue
        given = {key: getattr(profile, key) for key in profile.model_fields_set}
        # The modules an inventory names are all expected: a probe it lists as a module is no longer a probe.
        probes = tuple(m for m in base.probe_modules if m not in given.get("snmp_modules", ()))
        out[name] = ProfileEntry(name, base.profile.model_copy(update=given), probes, "built-in + inventory")
    if len(_MERGED) >= 64:  # inventories are reloaded rarely; this only bounds a pathological loop
        _MERGED.clear()
    _MERGED[id(inventory_profiles)] = (inventory_profiles, out)
    return out
