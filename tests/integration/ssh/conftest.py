"""A real SSH lab: the lab's sshd sessions (OpenSSH `sshd -i` per connection, emulated CLIs) for a dozen
sample devices of the three emulated platforms, on a free TCP port, with snmpsim serving them over SNMP
on a free UDP port. Package-scoped: starting it costs a few seconds."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from collector.poller import PollerOptions
from collector.ssh.poller import SshPoller
from inventory.model import Device, Inventory, SshCredential
from lab.sample import generate
from lab.snmp.snmpd import free_udp_port
from lab.ssh import prepare
from lab.supervisor import Lab
from tests.conftest import load_sample, require
from tests.peers import free_tcp_port

PER_PROFILE = {"cisco-iosxe": 5, "aruba-cx": 5, "fortigate": 2}
KEY_CREDENTIAL = "lab-ssh-key"  # public-key authentication (no password) for one device: the last FortiGate


@dataclass
class SshLab:
    lab: Lab
    inv: Inventory  # the sample inventory with these devices' ssh_port set to the lab's
    state: dict
    by_profile: dict[str, list[str]] = field(default_factory=dict)
    state_dir: Path = Path()

    def devices(self, *names: str) -> list[Device]:
        return [self.inv.devices[n] for n in names]

    def poller(self, state_dir: Path, **options: float) -> SshPoller:
        opts = {"ssh_connect_timeout": 5.0, "ssh_auth_timeout": 5.0, "ssh_command_timeout": 4.0,
                "ssh_session_timeout": 8.0, "config_batch": 0.2, "ssh_max_output": 2_000_000, **options}
        return SshPoller(self.inv, PollerOptions(state_dir=str(state_dir), **opts))  # type: ignore[arg-type]


@pytest.fixture(scope="package")
def ssh_lab(tmp_path_factory) -> SshLab:
    missing = prepare.unavailable()
    require(missing is None, str(missing))
    require(shutil.which("git") is not None, "git is not installed")
    sample = load_sample()
    by_profile = {p: sorted(h for h, d in sample.devices.items() if d.profile == p and d.ssh)[:n]
                  for p, n in PER_PROFILE.items()}
    only = {h for names in by_profile.values() for h in names}
    ssh_port = free_tcp_port()
    key_file = tmp_path_factory.mktemp("sshkey") / "id_ed25519"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
    devices = dict(sample.devices)
    for h in only:
        devices[h] = devices[h].model_copy(update={"ssh_port": ssh_port})
    keyed = by_profile["fortigate"][-1]
    devices[keyed] = devices[keyed].model_copy(update={"ssh": KEY_CREDENTIAL})
    credentials = {**sample.credentials,
                   KEY_CREDENTIAL: SshCredential(type="ssh", username="thdmon", key_file=str(key_file))}
    inv = sample.model_copy(update={"devices": devices, "credentials": credentials})
    state_dir = tmp_path_factory.mktemp("sshlab")
    lab = Lab(state_dir / "lab")  # where `thdmon lab` finds it with THDMON_STATE_DIR=state_dir
    state = lab.start(inv, generate.DATA_DIR, processes=1, port=free_udp_port(), only=only, ssh_port=ssh_port,
                      timeout=120)
    assert set(state["ssh_devices"]) == only, state["notes"]
    try:
        yield SshLab(lab, inv, state, by_profile, state_dir)
    finally:
        lab.stop()


@pytest.fixture
def heal(ssh_lab):
    """Heal every SSH failure a test switched on."""
    yield
    for hostname in ssh_lab.state["ssh_devices"]:
        ssh_lab.lab.heal(hostname)


