"""Module selection: the device's profile, else the longest sysObjectID prefix over the built-in and the
inventory profiles; expected modules, then probes (a profile's probe_modules, modules matching by their
own prefix, every standard MIB for an unknown vendor)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.errors import CollectorError
from collector.snmp.poller import check_profiles
from collector.snmp.profile import modules
from collector.snmp.select import STANDARD_MODULES, profile_for, select, select_modules
from inventory import InventoryError, load_inventory
from inventory.builtin import builtin, merged
from inventory.model import Inventory, Location, Profile
from lab import inventory_files

INVENTORY = {
    "cisco-lab": Profile(snmp_modules=("system", "if_mib", "cisco_entity_sensor"), sys_object_ids=("1.3.6.1.4.1.9",)),
    "linux": Profile(snmp_modules=("system", "if_mib", "host_resources"), sys_object_ids=("1.3.6.1.4.1.8072",)),
}


def _names(mods: list) -> list[str]:
    return [m.name for m in mods]


def test_longest_prefix_wins_across_builtin_and_inventory() -> None:
    assert profile_for("1.3.6.1.4.1.9.6.1.37.240.1", INVENTORY) == "cisco-wlc"     # built-in, longer
    assert profile_for("1.3.6.1.4.1.9.1.1208", INVENTORY) == "cisco-ios"            # a product line
    assert profile_for("1.3.6.1.4.1.9.1.2683", INVENTORY) == "cisco-iosxe"          # 9.1 beats 9
    assert profile_for("1.3.6.1.4.1.9.5.12", INVENTORY) == "cisco-lab"              # only the inventory's 9
    assert profile_for("1.3.6.1.4.1.90", INVENTORY) is None                         # 90 is not under 9
    tie = {"my-wlc": Profile(snmp_modules=("system",), sys_object_ids=("1.3.6.1.4.1.9.6.1.37",))}
    assert profile_for("1.3.6.1.4.1.9.6.1.37.240.1", tie) == "my-wlc"               # a tie: the inventory's
    assert profile_for(None, INVENTORY) is None


def test_product_lines_of_one_vendor_land_apart() -> None:
    assert profile_for("1.3.6.1.4.1.14823.1.1.9999", {}) == "arubaos-controller"
    assert profile_for("1.3.6.1.4.1.14823.1.2.59", {}) == "aruba-instant"
    assert profile_for("1.3.6.1.4.1.25053.3.1.5.15", {}) == "ruckus-zonedirector"
    assert profile_for("1.3.6.1.4.1.25053.3.1.11.1", {}) == "ruckus-smartzone"
    assert profile_for("1.3.6.1.4.1.2011.2.23.294", {}) == "huawei-vrp"
    assert profile_for("1.3.6.1.4.1.4413", {}) == "unifi"          # UniFi switches / EdgeSwitch
    sel = select(None, "1.3.6.1.4.1.41112.1.6", {}, modules())       # APs and switches share 41112:
    assert "wifi_unifi" in _names(list(sel.probed))                 # Wi-Fi probed, never reported empty


def test_expected_then_probed_with_reasons() -> None:
    sel = select(None, "1.3.6.1.4.1.9.1.1208", {}, modules())
    assert sel.profile == "cisco-ios" and sel.source == "built-in"
    assert sel.why == "sysObjectID 1.3.6.1.4.1.9.1.1208 matches prefix 1.3.6.1.4.1.9.1.1208"
    assert _names(list(sel.expected)) == ["system", "if_mib", "cisco_cpu_memory", "cisco_entity_sensor"]
    assert _names(list(sel.probed)) == ["lldp", "poe", "etherlike", "cisco_stack"]
    assert sel.reasons["if_mib"] == "profile cisco-ios" and sel.reasons["lldp"] == "probe of profile cisco-ios"


def test_vendor_modules_join_as_probes_by_their_own_prefix() -> None:
    sel = select(None, "1.3.6.1.4.1.8072.3.2.10", {}, modules())
    assert sel.profile == "linux-host"
    assert "wifi_unifi" in _names(list(sel.probed))  # UniFi firmwares answer net-snmp's Linux OID
    assert sel.reasons["wifi_unifi"] == "probe: module's sysObjectID prefix 1.3.6.1.4.1.8072.3.2.10"


def test_unknown_vendor_probes_every_standard_mib() -> None:
    sel = select(None, "1.3.6.1.4.1.99999.1", {}, modules())
    assert sel.profile is None and sel.why.startswith("no profile matches sysObjectID 1.3.6.1.4.1.99999.1")
    assert _names(list(sel.expected)) == ["system"]
    assert _names(list(sel.probed)) == list(STANDARD_MODULES)


def test_explicit_profile_and_inventory_override() -> None:
    sel = select("linux", "1.3.6.1.4.1.9.1.1", INVENTORY, modules())
    assert sel.why == "inventory: the device's profile" and sel.source == "inventory"
    assert _names(list(sel.expected)) == ["system", "if_mib", "host_resources"]
    # An inventory profile of a built-in name overrides only the keys it sets.
    override = {"huawei-vrp": Profile(ssh_platform="huawei_vrpv8")}
    entry = merged(override)["huawei-vrp"]
    assert entry.source == "built-in + inventory" and entry.profile.ssh_platform == "huawei_vrpv8"
    assert entry.profile.snmp_modules == builtin()["huawei-vrp"].profile.snmp_modules
    assert entry.profile.sys_object_ids == ("1.3.6.1.4.1.2011",)
    assert _names(select_modules(None, "1.3.6.1.4.1.2011.2.23.294", override, modules()))[:4] == [
        "system", "if_mib", "huawei_system", "huawei_optics"]


def test_unknown_module_in_profile_is_an_error() -> None:
    bad = {"x": Profile(snmp_modules=("system", "wifi_nonexistent"))}
    with pytest.raises(CollectorError, match="wifi_nonexistent"):
        select("x", None, bad, modules())
    with pytest.raises(CollectorError, match="neither in the inventory nor built in"):
        select("nope", None, bad, modules())
    inv = Inventory(root="/inv", sites={}, devices={}, credentials={}, profiles=bad,
                    locations={("profiles", "x"): Location(file="/inv/profiles.yaml", line=12)})
    with pytest.raises(CollectorError, match=r"/inv/profiles.yaml:12: profile x: unknown SNMP module"):
        check_profiles(inv, modules())


def test_builtin_profiles_name_existing_modules() -> None:
    known = set(modules())
    for name, entry in builtin().items():
        assert set(entry.profile.snmp_modules) | set(entry.profile.probe_modules) <= known, name
        assert entry.profile.sys_object_ids, f"{name}: a built-in profile is chosen by its prefixes"


def test_a_device_may_name_a_builtin_profile(tmp_path: Path) -> None:
    def write(second: str) -> None:
        inventory_files.write_inventory(
            tmp_path, sites=[inventory_files.site("col-a", name="Collège A", commune="Bondy")],
            devices=[inventory_files.device("sw-a", "col-a", address="10.0.0.1", profile="cisco-ios"),
                     inventory_files.device("sw-b", "col-a", address="10.0.0.2", profile=second)])

    write("cisco-iso")
    with pytest.raises(InventoryError, match=r"unknown profile 'cisco-iso' \(did you mean 'cisco-ios'"):
        load_inventory(tmp_path, check_secrets=False)
    write("cisco-ios")
    inv = load_inventory(tmp_path, check_secrets=False)
    assert inv.profiles == {}  # the inventory's own; selection merges the built-in ones
    assert select("cisco-ios", None, inv.profiles, modules()).source == "built-in"
