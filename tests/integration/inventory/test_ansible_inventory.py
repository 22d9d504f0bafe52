"""The Ansible export read by the real `ansible-inventory` (ansible-core, installed in the venv)."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from inventory import load_inventory
from inventory.exports import ansible_yaml
from lab.sample import DATA as SAMPLE_DATA
from tests.conftest import require
from tests.unit.inventory.conftest import ALL_SECRETS

ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"


def _ansible_list(path: Path, tmp_path: Path) -> dict:
    require(ANSIBLE_INVENTORY.exists(), f"{ANSIBLE_INVENTORY} missing (pip install ansible-core)")
    env = {**os.environ, "HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
           "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true", "ANSIBLE_INVENTORY_ENABLED": "yaml"}
    proc = subprocess.run([str(ANSIBLE_INVENTORY), "--list", "-i", str(path)], capture_output=True, text=True,
                          env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr  # invalid group names would warn
    return json.loads(proc.stdout)


def test_ansible_inventory_reads_the_export(write_inventory, secrets_file, tmp_path):
    inv = load_inventory(write_inventory(extra_yaml=(
        "sites:\n  - {id: parc-ile, name: Parc de l'Île, kind: park, commune: L'Île-Saint-Denis}\n"
        "devices:\n  - {hostname: ap-ile-1, address: 10.93.3.1, site: parc-ile, role: wifi_ap, ssh_port: 2022}\n")),
        secrets_file)
    path = tmp_path / "hosts.yml"
    text = ansible_yaml(inv)
    path.write_text(text)
    for value in ALL_SECRETS:
        assert value not in text
    data = _ansible_list(path, tmp_path)
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == ["ap-ile-1", "ap-parc-sausset-1", "rt-pop-bobigny", "sw-col-jean-moulin-1"]
    assert hostvars["ap-ile-1"] == {"ansible_host": "10.93.3.1", "ansible_port": 2022, "site": "parc-ile",
                                    "site_kind": "park", "commune": "L'Île-Saint-Denis", "role": "wifi_ap",
                                    "profile": None, "thdmon_disabled_devices": []}
    assert hostvars["sw-col-jean-moulin-1"]["profile"] == "cisco-ios"
    assert sorted(data["all"]["children"]) == sorted([
        "ungrouped", "commune_aubervilliers", "commune_aulnay_sous_bois", "commune_bobigny",
        "commune_l_ile_saint_denis", "kind_college", "kind_park", "kind_pop", "profile_cisco_ios",
        "role_access_switch", "role_router", "role_wifi_ap", "site_col_jean_moulin", "site_parc_ile",
        "site_parc_sausset", "site_pop_bobigny"])
    assert sorted(data["kind_park"]["hosts"]) == ["ap-ile-1", "ap-parc-sausset-1"]
    assert data["commune_l_ile_saint_denis"]["hosts"] == ["ap-ile-1"]
    assert data["role_router"]["hosts"] == ["rt-pop-bobigny"]


def test_ansible_inventory_reads_the_sample_export(tmp_path):
    require(SAMPLE_DATA.is_dir() and any(SAMPLE_DATA.rglob("*.yaml")), "sample inventory not generated")
    inv = load_inventory(SAMPLE_DATA, check_secrets=False)
    path = tmp_path / "hosts.yml"
    path.write_text(ansible_yaml(inv))
    data = _ansible_list(path, tmp_path)
    enabled = [d for d in inv.devices.values() if d.enabled]
    assert len(data["_meta"]["hostvars"]) == len(enabled)
    by_role = Counter(d.role.value for d in enabled)
    for role, count in by_role.items():
        assert len(data[f"role_{role}"]["hosts"]) == count
