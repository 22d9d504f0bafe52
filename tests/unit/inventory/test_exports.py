import csv
import io
import json

import pytest

from inventory import load_inventory
from inventory.exports import ANSIBLE_PLATFORMS, CSV_COLUMNS, ansible_group, ansible_inventory, render, target_of

IPV6_AND_DISABLED = """\
devices:
  - hostname: rt-v6
    address: "2001:db8::93"
    snmp_port: 1161
    ssh_port: 2222
    site: pop-bobigny
    role: core
  - hostname: sw-off
    address: 10.93.1.2
    site: col-jean-moulin
    role: access_switch
    enabled: false
"""


@pytest.fixture
def inv(write_inventory, secrets_file):
    return load_inventory(write_inventory(extra_yaml=IPV6_AND_DISABLED), secrets_file)


def test_file_sd_per_device_parses_back(inv):
    groups = json.loads(render(inv, "file_sd"))
    by_device = {g["labels"]["device"]: g for g in groups}
    assert sorted(by_device) == ["ap-parc-sausset-1", "rt-pop-bobigny", "rt-v6", "sw-col-jean-moulin-1"]  # no sw-off
    assert by_device["sw-col-jean-moulin-1"] == {
        "targets": ["10.93.1.1:161"],
        "labels": {"site": "col-jean-moulin", "site_kind": "college", "commune": "Aubervilliers",
                   "role": "access_switch", "device": "sw-col-jean-moulin-1"}}
    assert by_device["rt-v6"]["targets"] == ["[2001:db8::93]:1161"]
    for g in groups:
        assert all(isinstance(v, str) for v in g["labels"].values())


def test_file_sd_per_site_parses_back(inv):
    groups = json.loads(render(inv, "file_sd", "site"))
    assert groups == [
        {"targets": ["10.93.1.1:161"],
         "labels": {"site": "col-jean-moulin", "site_kind": "college", "commune": "Aubervilliers"}},
        {"targets": ["10.93.2.1:161"],
         "labels": {"site": "parc-sausset", "site_kind": "park", "commune": "Aulnay-sous-Bois"}},
        {"targets": ["10.93.0.1:161", "[2001:db8::93]:1161"],
         "labels": {"site": "pop-bobigny", "site_kind": "pop", "commune": "Bobigny"}},
    ]


def test_target_of_matches_file_sd(inv):
    assert target_of(inv.devices["rt-pop-bobigny"]) == "10.93.0.1:161"


def test_ansible_group_names_are_sanitised():
    assert ansible_group("commune", "Épinay-sur-Seine") == "commune_epinay_sur_seine"
    assert ansible_group("commune", "L'Île-Saint-Denis") == "commune_l_ile_saint_denis"
    assert ansible_group("kind", "departmental_site") == "kind_departmental_site"
    assert ansible_group("commune", "!!!") == "commune_unnamed"


def test_ansible_inventory_structure(inv):
    data = ansible_inventory(inv)
    hosts = data["all"]["hosts"]
    assert hosts["rt-v6"] == {"ansible_host": "2001:db8::93", "site": "pop-bobigny", "site_kind": "pop",
                              "commune": "Bobigny", "role": "core", "profile": None, "ansible_port": 2222}
    # disabled devices are outside `all` (a play on `all` must not reach them), named in a variable
    assert "sw-off" not in hosts
    assert data["all"]["vars"] == {"thdmon_disabled_devices": ["sw-off"]}
    children = data["all"]["children"]
    assert sorted(children["role_access_switch"]["hosts"]) == ["sw-col-jean-moulin-1"]
    assert sorted(children["commune_aulnay_sous_bois"]["hosts"]) == ["ap-parc-sausset-1"]
    assert sorted(children["site_pop_bobigny"]["hosts"]) == ["rt-pop-bobigny", "rt-v6"]
    assert sorted(children["profile_cisco_ios"]["hosts"]) == ["sw-col-jean-moulin-1"]
    assert not any("sw-off" in g["hosts"] for g in children.values())


def test_ansible_inventory_ready_for_network_modules(inv):
    hosts = ansible_inventory(inv)["all"]["hosts"]
    # the profile's ssh_platform (netmiko cisco_ios) -> the collection's network_os and connection
    sw = hosts["sw-col-jean-moulin-1"]
    assert (sw["ssh_platform"], sw["ansible_network_os"], sw["ansible_connection"]) == (
        "cisco_ios", "cisco.ios.ios", "ansible.netcommon.network_cli")
    assert "ansible_user" not in sw  # no ssh credential on that device
    # the ssh credential's username, never its password reference or value
    rt = hosts["rt-pop-bobigny"]
    assert rt["ansible_user"] == "thdmon"
    assert "ansible_network_os" not in rt  # no profile: no platform known
    assert not any("password" in k or "THDMON_TEST_SSH_PASSWORD" in str(v) for k, v in rt.items())


def test_every_platform_maps_to_a_collection():
    for platform, (network_os, connection) in ANSIBLE_PLATFORMS.items():
        assert network_os.count(".") == 2, platform  # namespace.collection.os
        assert connection.startswith("ansible.netcommon."), platform


def test_csv_export_parses_back(inv):
    rows = list(csv.DictReader(io.StringIO(render(inv, "csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["hostname"] for r in rows] == sorted(inv.devices)
    sw = next(r for r in rows if r["hostname"] == "sw-col-jean-moulin-1")
    assert (sw["address"], sw["role"], sw["profile"], sw["snmp"], sw["site"], sw["site_name"], sw["site_kind"],
            sw["commune"], sw["insee"], sw["uplink"]) == (
        "10.93.1.1", "access_switch", "cisco-ios", "lab-v2c", "col-jean-moulin", "Collège Jean Moulin", "college",
        "Aubervilliers", "93001", "pop-bobigny")
    assert next(r for r in rows if r["hostname"] == "sw-off")["enabled"] == "false"


def test_unknown_format(inv):
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        render(inv, "xml")


def test_ansible_platform_of_a_built_in_profile(write_inventory, secrets_file):
    """A device naming a profile that ships with thdmon (not in the inventory's `profiles:`) gets its platform."""
    inv = load_inventory(write_inventory(extra_yaml=(
        "devices:\n  - {hostname: rt-junos, address: 10.93.0.9, site: pop-bobigny, role: router,"
        " profile: juniper-junos, ssh: lab-ssh}\n")), secrets_file)
    assert "juniper-junos" not in inv.profiles
    rt = ansible_inventory(inv)["all"]["hosts"]["rt-junos"]
    assert (rt["ansible_network_os"], rt["ansible_connection"], rt["ansible_user"]) == (
        "junipernetworks.junos.junos", "ansible.netcommon.network_cli", "thdmon")
