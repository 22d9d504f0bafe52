"""ansible/: ansible-lint (production profile, offline), the playbook's syntax, and the Ansible inventory of
the monitored devices read by the real `ansible-inventory` (--graph and --list)."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import require
from tests.integration.ansible.harness import ANSIBLE_DIR, BIN, DEVICE_INVENTORY, THDMON


def _env(tmp_path):
    import os
    return {**os.environ, "HOME": str(tmp_path), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1", "NO_COLOR": "1", "PATH": f"{BIN}:{os.environ['PATH']}"}


def test_ansible_lint_production_profile_offline(tmp_path):
    require((BIN / "ansible-lint").exists(), f"{BIN}/ansible-lint missing (pip install -e '.[test]')")
    proc = subprocess.run([str(BIN / "ansible-lint"), "--offline", "--profile", "production", "--nocolor"],
                          cwd=ANSIBLE_DIR, env=_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Profile 'production' was required, and it passed" in proc.stdout + proc.stderr


def test_playbook_syntax(tmp_path):
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", "inventories/example/hosts.yml",
                           "site.yml"], cwd=ANSIBLE_DIR, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_example_inventory_graph(tmp_path):
    proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", "inventories/example/hosts.yml", "--graph"],
                          cwd=ANSIBLE_DIR, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for group in ("@collectors:", "@connlog:", "@postgresql:", "@prometheus:", "@alertmanager:", "@grafana:",
                  "@victoriametrics:"):
        assert group in proc.stdout, proc.stdout


def test_device_inventory_ready_for_network_modules(tmp_path):
    """`thdmon inventory export --format ansible` (what the build role writes to build/devices.yml), read
    by ansible-inventory: groups per site, kind, commune, role and profile; network_os and connection from
    the profile's ssh_platform; ansible_user from the SSH credential; the disabled device outside `all`."""
    src = tmp_path / "inv"
    src.mkdir()
    (src / "departement.yaml").write_text(DEVICE_INVENTORY)
    out = tmp_path / "devices.yml"
    proc = subprocess.run([str(THDMON), "--config", "/dev/null", "inventory", "export", "--format", "ansible",
                           "--no-secrets", "-o", str(out), str(src)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    env = {**_env(tmp_path), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true", "ANSIBLE_INVENTORY_ENABLED": "yaml"}
    graph = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(out), "--graph"], env=env,
                           capture_output=True, text=True, timeout=300)
    assert graph.returncode == 0, graph.stderr
    assert "WARNING" not in graph.stderr, graph.stderr
    for line in ("@site_col_jean_moulin:", "@kind_college:", "@commune_aubervilliers:", "@role_access_switch:",
                 "@profile_cisco_ios:", "@site_lyc_eugene_henaff:", "@commune_bagnolet:"):
        assert line in graph.stdout, graph.stdout
    assert "sw-col-jean-moulin-old" not in graph.stdout  # disabled: no play can reach it
    listed = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(out), "--list"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    hv = data["_meta"]["hostvars"]
    assert sorted(hv) == ["rt-pop-bobigny", "sw-col-jean-moulin-1", "sw-lyc-eugene-henaff-1", "wlc-parc-sausset"]
    sw = hv["sw-col-jean-moulin-1"]
    assert (sw["ansible_network_os"], sw["ansible_connection"], sw["ansible_user"], sw["ansible_port"]) == (
        "cisco.ios.ios", "ansible.netcommon.network_cli", "netops", 2222)
    assert hv["rt-pop-bobigny"]["ansible_network_os"] == "junipernetworks.junos.junos"
    assert "ansible_user" not in hv["sw-lyc-eugene-henaff-1"]  # no ssh credential
    assert "ansible_network_os" not in hv["wlc-parc-sausset"]  # no profile, no platform
    assert hv["wlc-parc-sausset"]["thdmon_disabled_devices"] == ["sw-col-jean-moulin-old"]
    text = out.read_text()
    refs = ("file:ssh_password", "file:snmp_community", "file:radius_secret", "password")
    assert not any(ref in text for ref in refs)
