"""`thdmon lab start|status|fail|heal|stop` end to end, as a user runs it (subprocesses, real snmpsim)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from lab.snmp import control
from lab.snmp.snmpd import free_udp_port
from tests.integration.lab.conftest import snmp, value_of


def _thdmon(state_dir, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "THDMON_STATE_DIR": str(state_dir)}
    return subprocess.run([sys.executable, "-m", "thdmon", "lab", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def _run_cycle(tmp_path, start_args: list[str]) -> dict:
    """start (twice: idempotent), status, fail, heal, stop; returns the first start's state."""
    port = free_udp_port()
    started = _thdmon(tmp_path, "start", "--port", str(port), "--processes", "2", "--json", *start_args)
    try:
        assert started.returncode == 0, started.stderr
        state = json.loads(started.stdout)
        assert state["devices"] > 0 and len(state["processes"]) == 2
        again = _thdmon(tmp_path, "start", "--port", str(port), "--processes", "2", "--json", *start_args)
        assert json.loads(again.stdout).get("already_running") is True
        status = json.loads(_thdmon(tmp_path, "status", "--json").stdout)
        assert status["running"] and all(p["answering"] for p in status["processes"])
        human = _thdmon(tmp_path, "status")
        assert human.returncode == 0 and "answers" in human.stdout and "yes" in human.stdout
        assert _thdmon(tmp_path, "fail", "cs-coubron-acc1", "--mode", "silent").returncode == 0
        time.sleep(control.REFRESH + 0.2)  # the agents re-read the control file at most every REFRESH s
        rc, _ = snmp("snmpget", f"127.1.{_third_octet(tmp_path)}:{port}", "1.3.6.1.2.1.1.5.0", timeout=1)
        assert rc != 0
        assert _thdmon(tmp_path, "heal", "cs-coubron-acc1").returncode == 0
        unknown = _thdmon(tmp_path, "fail", "no-such-device", "--mode", "silent")
        assert unknown.returncode == 2 and "not a device" in unknown.stderr and "Traceback" not in unknown.stderr
    finally:
        stopped = _thdmon(tmp_path, "stop")
    # two snmpsim processes, and the SSH server when the lab serves SSH
    assert stopped.returncode == 0 and f"stopped {2 + bool(state.get('ssh'))}" in stopped.stdout
    assert "not running" in _thdmon(tmp_path, "status").stdout
    return state


def _third_octet(state_dir) -> str:
    state = json.loads((state_dir / "lab" / "state.json").read_text())
    return state["devices"]["cs-coubron-acc1"]["address"].split(".", 2)[2]


def test_cli_cycle_on_one_commune(tmp_path):
    state = _run_cycle(tmp_path, ["--commune", "Coubron"])
    assert 0 < state["devices"] < 100  # one commune, with its uplinks, not the département


@pytest.mark.slow
def test_full_departement_starts_and_every_device_answers(tmp_path):
    """The whole sample (~1,500 devices): cold start with data generation, then one GET per device."""
    from concurrent.futures import ThreadPoolExecutor

    from lab.sample.lab_secrets import LAB_SECRETS
    from lab.snmp import probe

    port = free_udp_port()
    started = _thdmon(tmp_path, "start", "--port", str(port), "--json")
    try:
        assert started.returncode == 0, started.stderr
        state = json.loads((tmp_path / "lab" / "state.json").read_text())
        devices = [d for d in state["devices"].values() if not d["v3"]]
        assert len(state["devices"]) >= 1500
        with ThreadPoolExecutor(16) as pool:
            answered = list(pool.map(lambda d: probe.answers(d["address"], port,
                                                             LAB_SECRETS["lab_snmp_community"], timeout=5.0),
                                     devices))
        assert sum(answered) == len(devices)
        _, out = snmp("snmpget", f"{state['devices']['dc-pleyel-core1']['address']}:{port}", "1.3.6.1.2.1.1.5.0")
        assert value_of(out) == "dc-pleyel-core1"
    finally:
        _thdmon(tmp_path, "stop")
