"""`thdmon lab fail|status|config|heal` on the SSH side, as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def lab(ssh_lab, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "THDMON_STATE_DIR": str(ssh_lab.state_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "thdmon", "lab", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_ssh_failures_and_configuration_from_the_command_line(ssh_lab, heal):
    hostname = ssh_lab.by_profile["cisco-iosxe"][4]
    done = lab(ssh_lab, "fail", hostname, "--mode", "ssh-slow", "--delay", "1.5")
    assert done.returncode == 0, done.stderr
    status = json.loads(lab(ssh_lab, "status", "--json").stdout)
    assert status["ssh"]["alive"] and status["ssh"]["devices"] == len(ssh_lab.state["ssh_devices"])
    assert status["ssh"]["failures"] == {hostname: {"mode": "slow", "delay": 1.5}}
    assert "ssh failure: " + hostname in lab(ssh_lab, "status").stdout
    assert lab(ssh_lab, "heal", hostname).returncode == 0
    assert json.loads(lab(ssh_lab, "status", "--json").stdout)["ssh"]["failures"] == {}

    changed = lab(ssh_lab, "config", hostname, "--replace", "hostname " + hostname, "hostname " + hostname)
    assert changed.returncode == 0 and "running configuration changed" in changed.stdout
    missing = lab(ssh_lab, "config", hostname, "--replace", "no such line", "x")
    assert missing.returncode == 2 and "not in its running configuration" in missing.stderr
    assert "Traceback" not in missing.stderr
    unknown = lab(ssh_lab, "fail", "no-such-device", "--mode", "ssh-auth")
    assert unknown.returncode == 2 and "not an SSH device" in unknown.stderr
