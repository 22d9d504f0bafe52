"""A real lab: snmpsim processes serving one commune of the sample département (plus the data centre
of Bobigny, for SNMPv3 and the Wi-Fi controllers, and the real-device recordings when ../shared is
here), on a free UDP port, in a temporary runtime directory."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

from inventory.model import Inventory
from lab.sample import generate
from lab.sample.lab_secrets import LAB_SECRETS
from lab.snmp.snmpd import free_udp_port
from lab.supervisor import Lab
from tests.conftest import SHARED, load_sample, require

COMMUNE = "Bagnolet"
COMMUNITY = LAB_SECRETS["lab_snmp_community"]


@dataclass
class RunningLab:
    lab: Lab
    inv: Inventory
    state: dict
    port: int

    def address(self, hostname: str) -> str:
        return self.state["devices"][hostname]["address"]

    def endpoint(self, hostname: str) -> str:
        return f"{self.address(hostname)}:{self.port}"


def subset(inv: Inventory, commune: str) -> set[str]:
    return {h for h, d in inv.devices.items()
            if inv.sites[d.site].commune == commune or d.site == "dc-bobigny"}


@pytest.fixture(scope="session")
def sample_inventory() -> Inventory:
    return load_sample()


@pytest.fixture(scope="package")
def running_lab(tmp_path_factory, sample_inventory) -> RunningLab:
    require(shutil.which("snmpget") is not None, "net-snmp client tools (Debian package snmp) are missing")
    port = free_udp_port()
    lab = Lab(tmp_path_factory.mktemp("lab") / "runtime")
    recordings = SHARED / "snmprec" if (SHARED / "snmprec").is_dir() else None
    state = lab.start(sample_inventory, generate.DATA_DIR, processes=2, port=port,
                      only=subset(sample_inventory, COMMUNE), recordings_dir=recordings, timeout=120)
    try:
        yield RunningLab(lab, sample_inventory, state, port)
    finally:
        lab.stop()


def snmp(tool: str, endpoint: str, *oids: str, timeout: float = 2.0, v3: bool = False) -> tuple[int, str]:
    """Run a net-snmp client (the independent reference); returns (exit code, stdout+stderr)."""
    import subprocess

    if v3:
        auth = ["-v3", "-l", "authPriv", "-u", "thdmon-lab", "-a", "SHA", "-A", LAB_SECRETS["lab_snmp_v3_auth"],
                "-x", "AES", "-X", LAB_SECRETS["lab_snmp_v3_priv"]]
    else:
        auth = ["-v2c", "-c", COMMUNITY]
    proc = subprocess.run([tool, *auth, "-On", "-t", str(timeout), "-r", "0", endpoint, *oids],
                          capture_output=True, text=True, timeout=timeout * 4 + 30)
    return proc.returncode, proc.stdout + proc.stderr


def value_of(output: str) -> str:
    """The value of a single `-On` line: 'OID = TYPE: value' -> 'value'."""
    line = output.strip().splitlines()[0]
    return line.split(" = ", 1)[1].split(": ", 1)[-1].strip('"')

