import csv
import io
import json

import pytest

from inventory import load_inventory
from inventory.exports import CSV_COLUMNS, ansible_group, ansible_inventory, render, target_of

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
                              "commune": "Bobigny", "role": "core", "profile": None, "enabled": True,
                              "ansible_port": 2222}
    assert hosts["sw-off"]["enabled"] is False
    children = data["all"]["children"]
    assert sorted(children["role_access_switch"]["hosts"]) == ["sw-col-jean-moulin-1", "sw-off"]
    assert sorted(children["commune_aulnay_sous_bois"]["hosts"]) == ["ap-parc-sausset-1"]


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
