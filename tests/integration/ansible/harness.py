"""Runs the real `ansible-playbook` of ansible/ on this machine (connection local), each monitoring server
rendered into its own temporary root (`deploy_root`): three servers, as in ansible/README.md."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.conftest import ROOT, require
from tests.peers import free_tcp_port

ANSIBLE_DIR = ROOT / "ansible"
BIN = Path(sys.executable).parent
THDMON = BIN / "thdmon"

# The département the tests deploy: three sites, four devices (one disabled), on loopback addresses
# (ICMP answers there; nothing answers SNMP).
DEVICE_INVENTORY = """\
sites:
  - {id: dc-bobigny, name: Datacentre de Bobigny, kind: datacenter, commune: Bobigny}  # the policy's monitoring_site
  - {id: pop-bobigny, name: PoP Bobigny, kind: pop, commune: Bobigny}
  - {id: col-jean-moulin, name: Collège Jean Moulin, kind: college, commune: Aubervilliers, uplink: pop-bobigny}
  - {id: parc-sausset, name: Parc du Sausset, kind: park, commune: Aulnay-sous-Bois, uplink: pop-bobigny}
  - {id: lyc-eugene-henaff, name: Lycée Eugène Hénaff, kind: lycee, commune: Bagnolet, uplink: pop-bobigny}
credentials:
  v2c: {type: snmp_v2c, community: "file:snmp_community"}
  netops: {type: ssh, username: netops, password: "file:ssh_password"}
  parcs: {type: radius, secret: "file:radius_secret"}
profiles:
  cisco-ios: {snmp_modules: [if_mib], ssh_platform: cisco_ios}
  junos: {snmp_modules: [if_mib], ssh_platform: juniper_junos}
devices:
  - {hostname: rt-pop-bobigny, address: 127.0.93.1, snmp_port: 16101, site: pop-bobigny, role: router,
     profile: junos, snmp: v2c, ssh: netops}
  - {hostname: sw-col-jean-moulin-1, address: 127.0.93.2, snmp_port: 16102, site: col-jean-moulin,
     role: access_switch, profile: cisco-ios, snmp: v2c, ssh: netops, ssh_port: 2222}
  - {hostname: wlc-parc-sausset, address: 127.0.93.3, snmp_port: 16103, site: parc-sausset,
     role: wifi_controller, snmp: v2c, radius: parcs}
  - {hostname: sw-lyc-eugene-henaff-1, address: 127.0.93.4, snmp_port: 16104, site: lyc-eugene-henaff,
     role: access_switch, profile: cisco-ios, snmp: v2c}
  - {hostname: sw-col-jean-moulin-old, address: 127.0.93.5, site: col-jean-moulin, role: access_switch,
     snmp: v2c, enabled: false}
"""

HOSTS = {"mon-1": "127.0.0.1", "mon-2": "127.0.0.2", "mon-3": "127.0.0.3"}


@dataclass
class Deployment:
    """A rendered three-server deployment: its inventory, vault, build and roots."""

    base: Path
    vault: dict[str, object] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def inventory(self) -> Path:
        return self.base / "inventory" / "hosts.yml"

    @property
    def build(self) -> Path:
        return self.base / "build"

    @property
    def devices(self) -> Path:
        return self.base / "thdmon-inventory"

    def root(self, host: str) -> Path:
        return self.base / "roots" / host

    def secret_values(self) -> list[str]:
        values: list[str] = []
        for value in self.vault.values():
            values.extend(value.values() if isinstance(value, dict) else [value])  # type: ignore[union-attr]
        return [str(v) for v in values if v]

    def env(self) -> dict[str, str]:
        return {**os.environ, "HOME": str(self.base / "home"), "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
                "ANSIBLE_LOCAL_TEMP": str(self.base / "ansible-tmp"), "ANSIBLE_BECOME": "false",
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PATH": f"{BIN}:{os.environ['PATH']}"}

    def playbook(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(self.inventory), "--vault-password-file",
                               str(self.base / "vault-password"), *args, "site.yml"],
                              cwd=ANSIBLE_DIR, env=self.env(), capture_output=True, text=True, timeout=timeout)


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host: {'mon-1': {'ok': 40, 'changed': 0, 'failed': 0, ...}}."""
    out: dict[str, dict[str, int]] = {}
    for line in output.split("PLAY RECAP")[-1].splitlines():
        m = re.match(r"^(\S+)\s+:\s+(.*)$", line)
        if m:
            out[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return out


def prepare(base: Path) -> Deployment:
    """The inventories (monitoring servers and devices) and an ansible-vault file with throwaway secrets."""
    require((BIN / "ansible-playbook").exists(), f"{BIN}/ansible-playbook missing (pip install -e '.[test]')")
    d = Deployment(base)
    d.devices.mkdir(parents=True)
    (d.devices / "departement.yaml").write_text(DEVICE_INVENTORY)
    d.ports = {name: free_tcp_port() for name in (
        "collector", "trap", "logs_metrics", "radius", "syslog", "portal", "portal_metrics", "prometheus",
        "alertmanager", "alertmanager_cluster", "grafana", "postgresql", "victoriametrics")}
    d.ports["syslog"] = 514  # a port below 1024: the logs unit must get CAP_NET_BIND_SERVICE
    hosts = {h: {"ansible_host": a, "deploy_root": str(d.root(h))} for h, a in HOSTS.items()}
    inventory = {"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "children": {
            "collectors": {"hosts": {"mon-1": hosts["mon-1"], "mon-2": hosts["mon-2"]}},
            "connlog": {"hosts": {"mon-3": hosts["mon-3"]}},
            "postgresql": {"hosts": {"mon-3": None}},
            "prometheus": {"hosts": {"mon-1": {"prometheus_blackbox_icmp": True},
                                     "mon-3": {"prometheus_collector_group": "none"}}},
            "alertmanager": {"hosts": {"mon-1": None}},
            "grafana": {"hosts": {"mon-1": None}},
            "victoriametrics": {"hosts": {"mon-1": None}},
        }}}
    group_vars = d.inventory.parent / "group_vars" / "all"
    group_vars.mkdir(parents=True)
    d.inventory.write_text(yaml.safe_dump(inventory, sort_keys=False))
    (group_vars / "main.yml").write_text(yaml.safe_dump({
        "deploy_thdmon_cli": str(THDMON),
        "deploy_inventory_src": str(d.devices),
        "deploy_build_dir": str(d.build),
        "deploy_ports": d.ports,
        "deploy_admin_networks": ["10.93.250.0/26"],
        "deploy_nas_networks": ["10.93.64.0/20", "2001:db8:93::/48"],
        "deploy_syslog_networks": ["10.93.64.0/20"],
        "deploy_device_networks": ["10.93.0.0/16"],
        "deploy_portal_networks": ["10.93.251.16/28"],
        "deploy_grafana_networks": ["10.93.250.0/26"],
        "thdmon_portal_tls_cert": "/etc/thdmon/tls/portal.pem",  # the portal faces the legal officer's network
        "thdmon_portal_tls_key": "/etc/thdmon/tls/portal.key",
        "alertmanager_smtp_auth_username": "thdmon@thd-ssd.invalid",
    }, sort_keys=False))
    token = secrets.token_hex(8)
    d.vault = {
        "vault_metrics_password": f"metrics-{token}-A",
        "vault_postgresql_password": f"pg:{token}\\B'",  # ':' and '\' need escaping in a pgpass line
        "vault_grafana_admin_password": f"grafana-{token}-C",
        "vault_thdmon_secrets": {"snmp_community": f"community-{token}-D", "ssh_password": f"ssh-{token}-E",
                                 "radius_secret": f"radius-{token}-F"},
        "vault_alertmanager_smtp_password": f"smtp-{token}-G",
        "vault_alertmanager_webhook_urls": {"page": f"https://sms.thd-ssd.invalid/hook?token={token}-H"},
    }
    vault = group_vars / "vault.yml"
    vault.write_text(yaml.safe_dump(d.vault))
    password = d.base / "vault-password"
    password.write_text(secrets.token_hex(16))
    password.chmod(0o600)
    (d.base / "home").mkdir()
    proc = subprocess.run([str(BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(password), str(vault)],
                          env=d.env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert vault.read_text().startswith("$ANSIBLE_VAULT;"), "the vault is not encrypted"
    return d
