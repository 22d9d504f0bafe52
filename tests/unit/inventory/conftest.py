"""A small valid inventory written to tmp_path, with real secret values, for the inventory tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

SITES = """\
sites:
  - id: pop-bobigny
    name: PoP Bobigny
    kind: pop
    commune: Bobigny
  - id: col-jean-moulin
    name: Collège Jean Moulin
    kind: college
    commune: Aubervilliers
    insee: "93001"
    uplink: pop-bobigny
  - id: parc-sausset
    name: Parc du Sausset
    kind: park
    commune: Aulnay-sous-Bois
    uplink: pop-bobigny
"""

CREDENTIALS = """\
credentials:
  lab-v2c:
    type: snmp_v2c
    community: file:lab_snmp_community
  lab-v3:
    type: snmp_v3
    user: thdmon
    security_level: authPriv
    auth_protocol: SHA
    auth_key: file:lab_snmp_v3_auth
    priv_protocol: AES
    priv_key: file:lab_snmp_v3_priv
  lab-ssh:
    type: ssh
    username: thdmon
    password: env:THDMON_TEST_SSH_PASSWORD
  lab-radius:
    type: radius
    secret: file:lab_radius_secret
profiles:
  cisco-ios:
    snmp_modules: [if_mib, cisco_env]
    ssh_platform: cisco_ios
"""

DEVICES = """\
devices:
  - hostname: rt-pop-bobigny
    address: 10.93.0.1
    site: pop-bobigny
    role: router
    snmp: lab-v3
    ssh: lab-ssh
  - hostname: sw-col-jean-moulin-1
    address: 10.93.1.1
    site: col-jean-moulin
    role: access_switch
    profile: cisco-ios
    snmp: lab-v2c
  - hostname: ap-parc-sausset-1
    address: 10.93.2.1
    site: parc-sausset
    role: wifi_ap
    snmp: lab-v2c
    radius: lab-radius
"""

# Real values: the "never printed" tests look for each of them in every output.
SECRET_VALUES = {
    "lab_snmp_community": "Comm-S3cret-93",
    "lab_snmp_v3_auth": "AuthK3y-S3cret-93",
    "lab_snmp_v3_priv": "PrivK3y-S3cret-93",
    "lab_radius_secret": "Radius-S3cret-93",
}
SSH_PASSWORD = "Ssh-S3cret-pw-93"
ALL_SECRETS = (*SECRET_VALUES.values(), SSH_PASSWORD)

WriteInventory = Callable[..., Path]


@pytest.fixture
def secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 0600 secrets file beside (not inside) the inventory, and the env secret set."""
    path = tmp_path / "secrets.yaml"
    path.write_text("".join(f'{k}: "{v}"\n' for k, v in SECRET_VALUES.items()))
    os.chmod(path, 0o600)
    monkeypatch.setenv("THDMON_TEST_SSH_PASSWORD", SSH_PASSWORD)
    return path


@pytest.fixture
def write_inventory(tmp_path: Path) -> WriteInventory:
    """write_inventory(**files) -> root: the base inventory; a file given as None is left out,
    a name given with text replaces or adds that file (`extra_yaml=...` writes extra.yaml)."""

    def write(**files: str | None) -> Path:
        root = tmp_path / "inv"
        root.mkdir(exist_ok=True)
        content: dict[str, str | None] = {"sites.yaml": SITES, "credentials.yaml": CREDENTIALS,
                                          "devices.yaml": DEVICES}
        content.update({name.replace("_yaml", ".yaml").replace("_yml", ".yml").replace("__", "/"): text
                        for name, text in files.items()})
        for name, text in content.items():
            if text is not None:
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(text)
        return root

    return write
