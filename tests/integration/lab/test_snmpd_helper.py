"""lab.snmp.snmpd: real net-snmp agents for SNMPv3 and scale tests."""

from __future__ import annotations

import shutil

from lab.snmp.snmpd import snmpd_agents
from tests.conftest import require
from tests.integration.lab.conftest import snmp, value_of


def test_snmpd_agents_answer_v2c_and_v3(tmp_path):
    require(shutil.which("snmpget") is not None and shutil.which("snmpd") is not None
            or __import__("pathlib").Path("/usr/sbin/snmpd").is_file(), "net-snmp snmpd/snmp missing")
    with snmpd_agents(2, tmp_path, addresses=["127.5.1.1", "127.5.1.2"]) as agents:
        assert [a.address for a in agents] == ["127.5.1.1", "127.5.1.2"]
        a = agents[1]
        import subprocess

        v2c = subprocess.run(["snmpget", "-v2c", "-c", a.community, "-On", "-t", "2", "-r", "0", a.endpoint,
                              "1.3.6.1.2.1.1.5.0"], capture_output=True, text=True)
        assert value_of(v2c.stdout) == "thdmon-lab-snmpd"
        v3 = subprocess.run(["snmpget", "-v3", "-l", "authPriv", "-u", a.v3_user, "-a", "SHA", "-A", a.auth_key,
                             "-x", "AES", "-X", a.priv_key, "-On", "-t", "2", "-r", "0", a.endpoint,
                             "1.3.6.1.2.1.1.5.0"], capture_output=True, text=True)
        assert value_of(v3.stdout) == "thdmon-lab-snmpd"
        wrong = subprocess.run(["snmpget", "-v3", "-l", "authPriv", "-u", a.v3_user, "-a", "SHA", "-A", "wrongpass1",
                                "-x", "AES", "-X", a.priv_key, "-On", "-t", "1", "-r", "0", a.endpoint,
                                "1.3.6.1.2.1.1.5.0"], capture_output=True, text=True)
        assert wrong.returncode != 0
        pids = [agent.pid for agent in agents]
    for pid in pids:
        assert not __import__("pathlib").Path(f"/proc/{pid}").exists() or \
            "Z" in __import__("pathlib").Path(f"/proc/{pid}/stat").read_text().split(")")[1][:3]
    assert snmp  # the shared helper stays importable
