"""`thdmon collect --once` against agents that never stop answering (issue 11, defect 6): the pass ends
within bounded time and memory with the device down and its reason, with either engine, and a healthy
device polled in the same pass (the `snmpd` of tests/integration/hostile/conftest.py) is still reported up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab import inventory_files as inv
from lab.snmp.snmpd import SnmpdAgent
from tests.bounded import thdmon
from tests.integration.snmp_engine.agents import ScriptedAgent

MAX_SECONDS = 40.0  # the per-device deadline of `collect --once` is 20 x timeout x tries, at least 10 s
MAX_RSS_MIB = 300.0


def _inventory(root: Path, devices: dict[str, int]) -> None:
    inv.write_inventory(
        root, sites=[inv.site("col-x", name="X", commune="Bondy")],
        credentials={"v2c": inv.snmp_v2c("env:THDMON_TEST_COMMUNITY")},
        profiles={"linux": inv.profile(["system", "if_mib"])},
        devices=[inv.device(name, "col-x", snmp_port=port, role="core", profile="linux", snmp="v2c")
                 for name, port in devices.items()])


# ~11 s each (the deadline): one case by default, the others with the slow suite.
@pytest.mark.parametrize(("behaviour", "engine"), [
    ("endless", "gufo"),
    pytest.param("endless", "pysnmp", marks=pytest.mark.slow),
    pytest.param("drip", "gufo", marks=pytest.mark.slow),
    pytest.param("drip", "pysnmp", marks=pytest.mark.slow),
])
def test_collect_once_ends_on_an_agent_that_never_stops(tmp_path: Path, snmpd: SnmpdAgent, engine: str,
                                                       behaviour: str) -> None:
    with ScriptedAgent(behaviour, delay=0.1 if behaviour == "drip" else 0.0) as agent:
        _inventory(tmp_path / "inv", {"sw-endless": agent.port, "sw-healthy": snmpd.port})
        outcome = thdmon("--inventory", str(tmp_path / "inv"), "collect", "--once", "--json", "--protocol", "snmp",
                         "--engine", engine, timeout=90,
                         env={"THDMON_TEST_COMMUNITY": "public", "THDMON_COLLECTOR__TIMEOUT": "0.5",
                              "THDMON_COLLECTOR__RETRIES": "0", "THDMON_STATE_DIR": str(tmp_path / "state")},
                         cwd=tmp_path)
    assert not outcome.hung and not outcome.traceback, outcome.stderr[-2000:]
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    assert outcome.seconds < MAX_SECONDS, outcome.seconds
    assert outcome.peak_rss_mib < MAX_RSS_MIB, outcome.peak_rss_mib
    devices = json.loads(outcome.stdout)["devices"]
    endless = devices["sw-endless"]["protocols"]["snmp"]
    assert endless["up"] is False and endless["reason"] == "timeout", endless["detail"]
    assert devices["sw-healthy"]["up"] is True


def test_the_whole_pass_has_a_deadline(tmp_path: Path, snmpd: SnmpdAgent) -> None:
    """`--deadline` bounds the pass as a whole, below the per-device deadline (10 s here)."""
    with ScriptedAgent("endless") as endless, ScriptedAgent("drip", delay=0.1) as drip:
        _inventory(tmp_path / "inv", {"sw-endless": endless.port, "sw-drip": drip.port, "sw-healthy": snmpd.port})
        outcome = thdmon("--inventory", str(tmp_path / "inv"), "collect", "--once", "--json", "--protocol", "snmp",
                         "--deadline", "3", timeout=60,
                         env={"THDMON_TEST_COMMUNITY": "public", "THDMON_COLLECTOR__TIMEOUT": "0.5",
                              "THDMON_COLLECTOR__RETRIES": "0", "THDMON_STATE_DIR": str(tmp_path / "state")},
                         cwd=tmp_path)
    assert not outcome.hung and not outcome.traceback and outcome.returncode == 0, outcome.stderr[-2000:]
    assert outcome.seconds < 8, outcome.seconds  # 3 s, plus start-up and the pollers' close
    devices = json.loads(outcome.stdout)["devices"]
    for name in ("sw-endless", "sw-drip"):
        snmp = devices[name]["protocols"]["snmp"]
        assert snmp["reason"] == "timeout" and snmp["detail"] == "the pass exceeded its 3 s deadline"
    assert devices["sw-healthy"]["up"] is True
