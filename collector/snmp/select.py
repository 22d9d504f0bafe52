"""Which SNMP modules to poll on a device, and why.

Profiles are the built-in vendor profiles (`inventory/builtin_profiles.yaml`) merged with the
inventory's (`inventory.builtin.merged`). The profile is the device's own `profile:` (why:
"inventory"), else the one whose `sys_object_ids` prefix matches the sysObjectID best (longest prefix;
why: "sysObjectID prefix P"). Its `snmp_modules` are *expected*: one that answers nothing is reported
(thdmon_device_module_empty). Its `probe_modules`, and the modules that declare a matching
`sys_object_ids` themselves (vendor CPU/memory, Wi-Fi MIBs), are *probed*: walked, kept only if they
answered (the poller remembers, collector.snmp.poll). A device that no profile matches gets `system`
expected and every standard MIB probed, as LibreNMS does for an unknown OS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from collector.errors import CollectorError
from collector.snmp.profile import Module
from inventory.builtin import ProfileEntry, merged
from inventory.model import Profile

# The standard MIBs probed on a device of a vendor no profile knows.
STANDARD_MODULES: tuple[str, ...] = ("if_mib", "entity_sensor", "lldp", "host_resources", "poe", "etherlike",
                                     "qbridge")


def _matches(sys_object_id: str, prefix: str) -> bool:
    return sys_object_id == prefix or sys_object_id.startswith(prefix + ".")


@dataclass(frozen=True, slots=True)
class Selection:
    """The modules of one device: `expected` (reported when empty) then `probed` (kept if they answer)."""

    profile: str | None
    source: str               # built-in | inventory | built-in + inventory | "" (no profile)
    why: str                  # human: "inventory profile", "sysObjectID prefix ...", "no profile matches ..."
    sys_object_id: str | None
    expected: tuple[Module, ...]
    probed: tuple[Module, ...]
    reasons: dict[str, str] = field(default_factory=dict)   # module -> why it is there

    @property
    def modules(self) -> list[Module]:
        return [*self.expected, *self.probed]


def best_prefix(sys_object_id: str | None, entries: Mapping[str, ProfileEntry]) -> tuple[str, str] | None:
    """(profile name, prefix) of the longest matching `sys_object_ids` prefix, if any. On a tie, an
    inventory's profile wins over a built-in one (the inventory adds or overrides), then name order."""
    if not sys_object_id:
        return None
    best: tuple[int, int, str, str] | None = None
    for name, entry in sorted(entries.items()):
        mine = int(entry.source != "built-in")
        for prefix in entry.profile.sys_object_ids:
            if _matches(sys_object_id, prefix) and (best is None or (len(prefix), mine) > best[:2]):
                best = (len(prefix), mine, name, prefix)
    return (best[2], best[3]) if best else None


def profile_for(sys_object_id: str | None, profiles: Mapping[str, Profile]) -> str | None:
    """The profile (built-in or inventory) whose sys_object_ids match best, if any."""
    found = best_prefix(sys_object_id, merged(profiles))
    return found[0] if found else None


def _known(names: list[str], modules: Mapping[str, Module], profile: str | None) -> None:
    unknown = [m for m in names if m not in modules]
    if unknown:
        raise CollectorError(f"profile {profile!r} names unknown SNMP module(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(modules))})")


def select(profile_name: str | None, sys_object_id: str | None, profiles: Mapping[str, Profile],
           modules: Mapping[str, Module]) -> Selection:
    entries = merged(profiles)
    prefix = None
    if profile_name is not None:
        if profile_name not in entries:
            raise CollectorError(f"profile {profile_name!r} is neither in the inventory nor built in")
        name: str | None = profile_name
        why = "inventory: the device's profile"
    elif (found := best_prefix(sys_object_id, entries)) is not None:
        name, prefix = found
        why = f"sysObjectID {sys_object_id} matches prefix {prefix}"
    else:
        name = None
        why = (f"no profile matches sysObjectID {sys_object_id}: standard MIBs probed" if sys_object_id
               else "no sysObjectID: standard MIBs probed")
    reasons: dict[str, str] = {}
    if name is not None:
        entry = entries[name]
        expected = list(entry.profile.snmp_modules)
        probes = [m for m in entry.profile.probe_modules if m not in expected]
        _known(expected + probes, modules, name)
        reasons |= {m: f"profile {name}" for m in expected}
        reasons |= {m: f"probe of profile {name}" for m in probes}
        source = entry.source
    else:
        expected = ["system"]
        probes = [m for m in STANDARD_MODULES if m in modules]
        reasons |= {"system": "always", **{m: "probe: standard MIB" for m in probes}}
        source = ""
    if sys_object_id:
        for module in modules.values():
            if module.name in reasons:
                continue
            hit = next((p for p in module.sys_object_ids if _matches(sys_object_id, p)), None)
            if hit is not None:
                probes.append(module.name)
                reasons[module.name] = f"probe: module's sysObjectID prefix {hit}"
    return Selection(name, source, why, sys_object_id, tuple(modules[m] for m in expected),
                     tuple(modules[m] for m in probes), reasons)


def select_modules(profile_name: str | None, sys_object_id: str | None, profiles: Mapping[str, Profile],
                   modules: Mapping[str, Module]) -> list[Module]:
    """Every module a first poll walks (expected, then probed)."""
    return select(profile_name, sys_object_id, profiles, modules).modules


def describe(selection: Selection) -> dict[str, object]:
    """The selection as plain data, before any poll (`thdmon inventory show --device`)."""
    expected = {m.name for m in selection.expected}
    return {"profile": selection.profile, "profile_source": selection.source, "why": selection.why,
            "sys_object_id": selection.sys_object_id,
            "modules": [{"name": m.name, "why": selection.reasons.get(m.name, ""),
                         "expected": m.name in expected} for m in selection.modules]}
