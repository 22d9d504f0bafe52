"""`thdmon serve` with SSH among its protocols, on the lab: every SSH device backed up into the history,
a device whose SSH fails shown down over SSH with its reason while its SNMP samples stay on /metrics, and
a configuration change made in the lab found by the next backup, exactly, in `thdmon config diff`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab import inventory_files
from lab.ssh import configs
from tests.conftest import ROOT
from tests.integration.serve.test_serve import Serve, stop_serve
from tests.peers import free_tcp_port, until

pytestmark = pytest.mark.slow


def write_inventory(root: Path, ssh_lab, names: list[str], often: str) -> None:
    """`often` is backed up every 10 s; the others hourly: their first backup comes at start (FirstBackup)."""
    inv = ssh_lab.inv
    devices = []
    for name in names:
        d = inv.devices[name].model_dump(mode="json", exclude_none=True)
        d["snmp_port"] = ssh_lab.state["devices"][name]["port"]
        d["intervals"] = {"fast": 5, "config": 10 if name == often else 3600, "facts": 10}
        devices.append(d)
    sites = [inv.sites[s].model_dump(mode="json", exclude_none=True) for s in sorted({d["site"] for d in devices})]
    for site in sites:
        site.pop("uplink", None)  # the uplink sites are not in this small inventory
    profiles = {p: inv.profiles[p].model_dump(mode="json", exclude_none=True)
                for p in sorted({d["profile"] for d in devices})}
    used = sorted({d[k] for d in devices for k in ("snmp", "ssh") if k in d})
    credentials = {c: inv.credentials[c].model_dump(mode="json", exclude_none=True) for c in used}
    inventory_files.write_inventory(root, sites=sites, devices=devices, profiles=profiles, credentials=credentials)


def test_serve_backs_up_reports_failures_and_finds_the_change(ssh_lab, tmp_path, heal):
    healthy = [ssh_lab.by_profile["cisco-iosxe"][0], ssh_lab.by_profile["aruba-cx"][0],
               ssh_lab.by_profile["fortigate"][0]]
    failing = ssh_lab.by_profile["aruba-cx"][1]
    write_inventory(tmp_path / "inventory", ssh_lab, [*healthy, failing], often=healthy[0])
    ssh_lab.lab.fail(failing, "ssh-auth")
    port = free_tcp_port()
    env = {**os.environ, "THDMON_STATE_DIR": str(tmp_path / "state"), "THDMON_COLLECTOR__PROTOCOLS": "snmp,ssh",
           "THDMON_COLLECTOR__CONFIG_BATCH": "1", "PYTHONPATH": str(ROOT)}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "thdmon", "--inventory", str(tmp_path / "inventory"), "serve",
                                 "--listen", f"127.0.0.1:{port}", "--traps", "off"], stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    serve = Serve(proc, port, log)

    def thdmon(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "thdmon", *args], env=env, capture_output=True, text=True,
                              check=True).stdout

    try:
        def backed_up() -> bool:
            assert proc.poll() is None, log.read_text()[-2000:]
            m = serve.metrics()
            return all(("thdmon_config_backup_last_success_timestamp_seconds", h) in m for h in healthy)

        until("a backup of every healthy SSH device", backed_up, timeout=20)

        def failing_seen():
            m = serve.metrics()
            ssh_down = any(s.labels["protocol"] == "ssh" and s.value == 0
                           for s in m.get(("thdmon_device_protocol_up", failing), []))
            return m if ssh_down and ("thdmon_device_uptime_seconds", failing) in m else None

        m = until("the failing device: SSH down, SNMP samples present", failing_seen, timeout=40)
        reasons = {(s.labels["protocol"], s.labels["reason"]) for s in m[("thdmon_device_down_reason", failing)]}
        assert reasons == {("ssh", "auth_failure")}
        assert m[("thdmon_device_up", failing)][0].value == 1.0  # SNMP answers: the device is up
        assert [s.labels["reason"] for s in m[("thdmon_config_backup_failures_total", failing)]] == ["auth_failure"]
        info = until("the firewall's facts", lambda: serve.metrics().get(("thdmon_device_software_info", healthy[2])),
                     timeout=30)[0].labels
        assert info["os"] == "fortios" and info["model"] == "FortiGate-60F"

        until("the first commit", lambda: thdmon("config", "log", healthy[0]).strip())
        configs.replace(ssh_lab.lab.runtime, healthy[0], "spanning-tree mode rapid-pvst", "spanning-tree mode mst")
        until("the change committed", lambda: len(thdmon("config", "log", healthy[0]).splitlines()) == 2, timeout=40)
        diff = thdmon("config", "diff", healthy[0])
        changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        assert changed == ["-spanning-tree mode rapid-pvst", "+spanning-tree mode mst"]
        assert "labsshpass123" not in log.read_text()
    finally:
        stop_serve(serve)
