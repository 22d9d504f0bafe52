"""Which SNMP modules to poll on a device.

The base list is the inventory profile's `snmp_modules`: the device's own profile, else the inventory
profile whose `sys_object_ids` prefix matches the device's sysObjectID best (longest prefix), else the
standard `system` + `if_mib`. Modules that declare `sys_object_ids` themselves (vendor CPU/memory,
Wi-Fi controllers) are added when they match, so a profile need not list every vendor extension.
"""

from __future__ import annotations

from collections.abc import Mapping

from collector.errors import CollectorError
from collector.snmp.profile import Module
from inventory.model import Profile

DEFAULT_MODULES: tuple[str, ...] = ("system", "if_mib")


def _matches(sys_object_id: str, prefix: str) -> bool:
    return sys_object_id == prefix or sys_object_id.startswith(prefix + ".")


def profile_for(sys_object_id: str | None, profiles: Mapping[str, Profile]) -> str | None:
    """The inventory profile whose sys_object_ids match best (longest prefix), if any."""
    if not sys_object_id:
        return None
    best: tuple[int, str] | None = None
    for name, profile in sorted(profiles.items()):
        for prefix in profile.sys_object_ids:
            if _matches(sys_object_id, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), name)
    return best[1] if best else None


def select_modules(profile_name: str | None, sys_object_id: str | None, profiles: Mapping[str, Profile],
                   modules: Mapping[str, Module]) -> list[Module]:
    name = profile_name or profile_for(sys_object_id, profiles)
    if name is not None and name not in profiles:
        raise CollectorError(f"profile {name!r} is not in the inventory")
    wanted = list(profiles[name].snmp_modules) if name is not None else list(DEFAULT_MODULES)
    unknown = [m for m in wanted if m not in modules]
    if unknown:
        raise CollectorError(f"profile {name!r} names unknown SNMP module(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(modules))})")
    if sys_object_id:
        for module in modules.values():
            if module.name not in wanted and any(_matches(sys_object_id, p) for p in module.sys_object_ids):
                wanted.append(module.name)
    return [modules[m] for m in wanted]
