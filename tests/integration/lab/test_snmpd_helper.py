"""lab.snmp.snmpd: real net-snmp agents for SNMPv3 and scale tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from lab.snmp.snmpd import SNMPD, snmpd_agents
from tests.conftest import require
from tests.integration.lab.conftest import value_of

SYS_NAME = "1.3.6.1.2.1.1.5.0"


def _get(agent, *auth: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["snmpget", *auth, "-On", "-t", "2", "-r", "0", agent.endpoint, SYS_NAME],
                          capture_output=True, text=True, timeout=30)


def _gone(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_snmpd_agents_answer_v2c_and_v3_then_stop(tmp_path):
    require(Path(SNMPD).is_file() and shutil.which("snmpget") is not None, "net-snmp snmpd/snmpget missing")
    with snmpd_agents(2, tmp_path, addresses=["127.5.1.1", "127.5.1.2"]) as agents:
        assert [a.host for a in agents] == ["127.5.1.1", "127.5.1.2"]
        agent = agents[1]
        assert value_of(_get(agent, "-v2c", "-c", agent.community).stdout) == "thdmon-lab-snmpd"
        v3 = ["-v3", "-l", "authPriv", "-u", agent.user.name, "-a", "SHA", "-x", "AES", "-X", str(agent.user.priv_key)]
        assert value_of(_get(agent, *v3, "-A", str(agent.user.auth_key)).stdout) == "thdmon-lab-snmpd"
        assert _get(agent, *v3, "-A", "wrongpass1").returncode != 0
        assert "auth_key" not in repr(agent) and str(agent.user.auth_key) not in repr(agent)
        pids = [a.pid for a in agents]
    assert all(_gone(pid) for pid in pids)
