"""Module selection: inventory profile, else sysObjectID prefix, plus vendor modules by their own prefix."""

from __future__ import annotations

import pytest

from collector.errors import CollectorError
from collector.snmp.poller import check_profiles
from collector.snmp.profile import modules
from collector.snmp.select import profile_for, select_modules
from inventory.model import Inventory, Location, Profile

PROFILES = {
    "cisco": Profile(snmp_modules=("system", "if_mib", "cisco_entity_sensor"), sys_object_ids=("1.3.6.1.4.1.9",)),
    "cisco-wlc": Profile(snmp_modules=("system", "wifi_airespace"), sys_object_ids=("1.3.6.1.4.1.9.6.1.37",)),
    "linux": Profile(snmp_modules=("system", "if_mib", "host_resources"), sys_object_ids=("1.3.6.1.4.1.8072",)),
}


def _names(mods: list) -> list[str]:
    return [m.name for m in mods]


def test_longest_prefix_wins() -> None:
    assert profile_for("1.3.6.1.4.1.9.6.1.37.240.1", PROFILES) == "cisco-wlc"
    assert profile_for("1.3.6.1.4.1.9.1.2683", PROFILES) == "cisco"
    assert profile_for("1.3.6.1.4.1.90", PROFILES) is None  # 90 is not under 9
    assert profile_for(None, PROFILES) is None


def test_vendor_modules_join_by_their_own_prefix() -> None:
    chosen = _names(select_modules(None, "1.3.6.1.4.1.9.1.2683", PROFILES, modules()))
    assert chosen[:3] == ["system", "if_mib", "cisco_entity_sensor"]
    assert "cisco_cpu_memory" in chosen  # sys_object_ids 1.3.6.1.4.1.9.1 in its YAML
    assert "wifi_airespace" not in chosen


def test_explicit_profile_and_default() -> None:
    assert _names(select_modules("linux", "1.3.6.1.4.1.9.1.1", PROFILES, modules()))[:3] == [
        "system", "if_mib", "host_resources"]
    assert _names(select_modules(None, "1.3.6.1.4.1.99999.1", PROFILES, modules())) == ["system", "if_mib"]


def test_unknown_module_in_profile_is_an_error() -> None:
    bad = {"x": Profile(snmp_modules=("system", "wifi_nonexistent"))}
    with pytest.raises(CollectorError, match="wifi_nonexistent"):
        select_modules("x", None, bad, modules())
    inv = Inventory(root="/inv", sites={}, devices={}, credentials={}, profiles=bad,
                    locations={("profiles", "x"): Location(file="/inv/profiles.yaml", line=12)})
    with pytest.raises(CollectorError, match=r"/inv/profiles.yaml:12: profile x: unknown SNMP module"):
        check_profiles(inv, modules())
