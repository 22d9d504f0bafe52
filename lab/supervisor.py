"""Start, stop, inspect the simulated SNMP network, and inject failures into it.

Runtime directory (`<state_dir>/lab/`, mode 0700): `state.json` (processes, devices), `control.json`
(failures, see lab.snmp.control), `snmpsim/p<k>/{data,log.txt}`, `cache/` (snmpsim's indexes, kept
across restarts so a second start takes about a second), `fingerprint` of the generated data.
Processes run in their own session and outlive the command that started them; `stop` sends SIGTERM,
waits, then SIGKILL, and checks each pid's start time so that a recycled pid is never signalled.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inventory.model import Inventory, SnmpV2cCredential, SnmpV3Credential
from lab import icmp, process
from lab.errors import LabError
from lab.ports import free_tcp_port
from lab.secrets import lab_value
from lab.snmp import control, layout, probe
from lab.snmp.layout import LabDevice
from lab.ssh import prepare as ssh_prepare
from lab.ssh import server as ssh_server

REPO_ROOT = Path(__file__).resolve().parent.parent
VARIATION_DIR = Path(__file__).resolve().parent / "snmp" / "variation"
ENGINE_ID_PREFIX = "80001f888074686d6f6e"  # enterprise 8072 (net-snmp), format 128, then "thdmon"
SSH_FAILURE_MODES = tuple(f"ssh-{m}" for m in ssh_server.MODES)
FAILURE_MODES = ("silent", "slow", "garbage", "reboot", "unreachable", "optical-low", *SSH_FAILURE_MODES)


@dataclass(frozen=True, slots=True)
class LabSecurity:
    community: str
    v3_user: str | None = None
    v3_auth: str | None = None
    v3_priv: str | None = None
    v3_auth_proto: str = "SHA"
    v3_priv_proto: str = "AES"

    def __repr__(self) -> str:
        return f"LabSecurity(v3_user={self.v3_user!r}, values hidden)"


def security_of(inv: Inventory) -> LabSecurity:
    used = {d.snmp for d in inv.devices.values() if d.snmp}
    v2c = {lab_value(c.community) for n, c in inv.credentials.items()
           if n in used and isinstance(c, SnmpV2cCredential)}
    v3 = [c for n, c in inv.credentials.items() if n in used and isinstance(c, SnmpV3Credential)]
    if len(v2c) != 1:
        raise LabError(f"the lab serves exactly one SNMPv2c community, the inventory uses {len(v2c)}")
    if len(v3) > 1:
        raise LabError("the lab serves one SNMPv3 user, the inventory uses several")
    if not v3:
        return LabSecurity(community=v2c.pop())
    cred = v3[0]
    if cred.security_level != "authPriv" or not cred.auth_key or not cred.priv_key:
        raise LabError(f"the lab's SNMPv3 user {cred.user!r} must be authPriv with both keys")
    priv = {"AES": "AES", "AES128": "AES", "DES": "DES", "AES192": "AES192", "AES256": "AES256"}
    return LabSecurity(v2c.pop(), cred.user, lab_value(cred.auth_key), lab_value(cred.priv_key),
                       cred.auth_protocol or "SHA", priv[cred.priv_protocol or "AES"])


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # started by another command: PID 1 or nobody reaps it, process.start_time treats zombies as gone


class Lab:
    """One lab runtime directory."""

    def __init__(self, runtime: Path) -> None:
        self.runtime = Path(runtime)
        self.state_file = self.runtime / "state.json"
        self.control_file = self.runtime / "control.json"

    # -- state -----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise LabError(f"{self.state_file}: unreadable lab state ({exc}); remove it after checking "
                           "that no snmpsim of the lab is left running") from None

    def alive(self, proc: dict[str, Any]) -> bool:
        _reap(proc["pid"])
        return process.start_time(proc["pid"]) == proc["start_time"]

    def running(self) -> bool:
        state = self.state()
        return bool(state) and all(self.alive(p) for p in self._processes(state))

    @staticmethod
    def _processes(state: dict[str, Any]) -> list[dict[str, Any]]:
        """The snmpsim processes and, when the lab serves SSH, its SSH server."""
        return state["processes"] + ([state["ssh"]] if state.get("ssh") else [])

    # -- start -----------------------------------------------------------------------------------
    def start(self, inv: Inventory, inv_root: Path, processes: int = layout.DEFAULT_PROCESSES,
              port: int | None = None, only: set[str] | None = None, recordings_dir: Path | None = None,
              timeout: float = 180.0, ssh_port: int | None = None) -> dict[str, Any]:
        """`ssh_port` overrides every SSH device's port; when `port` overrides the SNMP ports (tests) and
        `ssh_port` is not given, SSH takes a free port too, so that two labs never race for the same one."""
        if port is not None and ssh_port is None:
            running = (self.state() or {}).get("ssh_devices") or {}
            ssh_port = next(iter(running.values()))["port"] if running else free_tcp_port()
        security = security_of(inv)
        devices, notes = layout.plan(inv, processes, port, only, recordings_dir)
        ssh_devices, ssh_notes = ssh_prepare.plan(inv, only, ssh_port)
        notes += ssh_notes
        missing = ssh_prepare.unavailable() if ssh_devices else None
        if missing:  # the SNMP lab still runs; the SSH devices then refuse connections
            notes.append(f"{len(ssh_devices)} SSH devices not simulated: {missing}")
            ssh_devices = {}
        if not devices:
            raise LabError("no device to simulate (addresses must be on 127.0.0.0/8)")
        fingerprint = layout.data_fingerprint(inv_root, devices, security.community)
        fingerprint += "|ssh:" + hashlib.sha256(json.dumps(ssh_devices, sort_keys=True).encode()).hexdigest()
        state = self.state()
        if state is not None:
            same = state.get("fingerprint") == fingerprint
            if same and self.running():
                state["already_running"] = True
                return state
            if any(self.alive(p) for p in self._processes(state)):
                if not same:
                    raise LabError(f"a lab with another inventory or layout is running from {self.runtime}: "
                                   "run `thdmon lab stop` first")
                self.stop()  # some of its processes died: restart them all
        self.runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.runtime, 0o700)
        snmpsim_root = self.runtime / "snmpsim"
        fingerprint_file = self.runtime / "fingerprint"
        built = False
        if not fingerprint_file.is_file() or fingerprint_file.read_text() != fingerprint:
            layout.write_data(inv, devices, snmpsim_root, security.community)
            shutil.rmtree(self.runtime / "cache", ignore_errors=True)
            fingerprint_file.write_text(fingerprint)
            built = True
        (self.runtime / "cache").mkdir(exist_ok=True)
        control.write(self.control_file, {})
        started = time.time()
        procs = [self._spawn(k, [d for d in devices if d.process == k], security)
                 for k in sorted({d.process for d in devices})]
        state = {"started": started, "fingerprint": fingerprint, "inventory": str(inv_root),
                 "processes": procs, "devices": {d.hostname: d.to_json() for d in devices}, "notes": notes,
                 "data_built": built, "ssh": None, "ssh_devices": ssh_devices}
        self.state_file.write_text(json.dumps(state, indent=1))
        try:
            if ssh_devices:
                ssh_prepare.prepare(self.runtime, inv, ssh_devices)
                state["ssh"] = ssh_prepare.spawn(self.runtime, REPO_ROOT)
                self.state_file.write_text(json.dumps(state, indent=1))
            self._wait_ready(procs, devices, security.community, timeout)
        except LabError:
            self.stop()
            raise
        state["ready_seconds"] = round(time.time() - started, 2)
        self.state_file.write_text(json.dumps(state, indent=1))
        return state

    def _spawn(self, k: int, devices: list[LabDevice], security: LabSecurity) -> dict[str, Any]:
        proc_dir = self.runtime / "snmpsim" / f"p{k}"
        argv = [sys.executable, "-m", "lab.snmp.responder", "--log-level=error",
                f"--cache-dir={self.runtime / 'cache'}", f"--variation-modules-dir={VARIATION_DIR}",
                f"--transport-id-offset={devices[0].index}", f"--v3-engine-id={ENGINE_ID_PREFIX}{k:04x}"]
        if security.v3_user:
            argv += [f"--v3-user={security.v3_user}", f"--v3-auth-key={security.v3_auth}",
                     f"--v3-auth-proto={security.v3_auth_proto}", f"--v3-priv-key={security.v3_priv}",
                     f"--v3-priv-proto={security.v3_priv_proto}"]
        argv.append(f"--data-dir={proc_dir / 'data'}")
        argv += [f"--agent-udpv4-endpoint={d.endpoint}" for d in devices]
        env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true", control.ENV_VAR: str(self.control_file),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
        log = proc_dir / "log.txt"
        with open(log, "ab") as out:
            popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, cwd=proc_dir, start_new_session=True)
        start_time = None
        for _ in range(100):
            start_time = process.start_time(popen.pid)
            if start_time:
                break
            time.sleep(0.01)
        return {"pid": popen.pid, "start_time": start_time, "process": k, "endpoints": len(devices),
                "log": str(log)}

    def _wait_ready(self, procs: list[dict[str, Any]], devices: list[LabDevice], community: str,
                    timeout: float) -> None:
        # A process answers once it has indexed all its files: its last v2c device is a good witness.
        witness = {}
        for d in devices:
            if not d.v3:
                witness[d.process] = d
        deadline = time.monotonic() + timeout
        pending = {p["process"]: p for p in procs if p["process"] in witness}
        while pending:
            for k, proc in list(pending.items()):
                if not self.alive(proc):
                    tail = Path(proc["log"]).read_text(errors="replace")[-1500:]
                    raise LabError(f"snmpsim process {k} exited during start; end of {proc['log']}:\n{tail}")
                if probe.answers(witness[k].address, witness[k].port, community, timeout=0.3):
                    del pending[k]
            if pending and time.monotonic() > deadline:
                raise LabError(f"snmpsim processes {sorted(pending)} not answering after {timeout:.0f} s "
                               f"(logs in {self.runtime / 'snmpsim'})")
            if pending:
                time.sleep(0.2)

    # -- stop, status ----------------------------------------------------------------------------
    def stop(self, grace: float = 5.0) -> int:
        """Stop every process of the lab; returns how many were running."""
        state = self.state()
        if state is None:
            return 0
        running = [p for p in self._processes(state) if self.alive(p)]
        for proc in running:
            try:
                os.kill(proc["pid"], signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        for proc in running:
            while self.alive(proc) and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.alive(proc):
                try:
                    os.kill(proc["pid"], signal.SIGKILL)
                except ProcessLookupError:
                    pass
                while self.alive(proc):
                    time.sleep(0.05)
        self.state_file.unlink(missing_ok=True)
        icmp.clear(self.runtime)
        return len(running)

    def status(self, probe_devices: bool = True) -> dict[str, Any]:
        state = self.state()
        if state is None:
            return {"running": False, "processes": [], "devices": 0, "notes": []}
        community = None
        if probe_devices:
            from inventory import InventoryError, load_inventory

            try:
                # The lab resolves its own secrets (lab_value): the references only are needed here.
                community = security_of(load_inventory(Path(state["inventory"]), check_secrets=False)).community
            except (InventoryError, LabError, OSError):
                community = None  # status still shows the processes, without probing them
        devices = [LabDevice(**d) for d in state["devices"].values()]
        failures = control.read(self.control_file)
        rows = []
        for proc in state["processes"]:
            mine = [d for d in devices if d.process == proc["process"]]
            row = {**proc, "alive": self.alive(proc), "answering": None,
                   "ports": sorted({d.port for d in mine}), "recordings": sum(1 for d in mine if d.recording),
                   "v3": sum(1 for d in mine if d.v3)}
            witness = next((d for d in reversed(mine) if not d.v3 and str(d.index) not in failures), None)
            if community and row["alive"] and witness is not None:
                row["answering"] = probe.answers(witness.address, witness.port, community, timeout=1.0)
            rows.append(row)
        by_index = {str(d.index): d.hostname for d in devices}
        ssh = state.get("ssh")
        ssh_status = None if not ssh else {
            "pid": ssh["pid"], "alive": self.alive(ssh), "devices": len(state.get("ssh_devices", {})),
            "failures": control.read(ssh_server.ssh_dir(self.runtime) / "control.json")}
        running = all(r["alive"] for r in rows) and (ssh_status is None or ssh_status["alive"])
        return {"ssh": ssh_status, "running": running, "runtime": str(self.runtime), "processes": rows,
                "devices": len(devices), "recordings": sum(1 for d in devices if d.recording),
                "v3_devices": sum(1 for d in devices if d.v3), "notes": state.get("notes", []),
                "failures": {by_index.get(k, k): v for k, v in failures.items()},
                "started": state.get("started"), "ready_seconds": state.get("ready_seconds")}

    def device(self, hostname: str) -> LabDevice:
        state = self.state()
        if state is None:
            raise LabError("the lab is not running: `thdmon lab start` first")
        if hostname not in state["devices"]:
            raise LabError(f"{hostname!r} is not a device of the running lab")
        return LabDevice(**state["devices"][hostname])

    def devices(self) -> Iterable[LabDevice]:
        state = self.state() or {"devices": {}}
        return [LabDevice(**d) for d in state["devices"].values()]

    # -- failures --------------------------------------------------------------------------------
    def fail(self, hostname: str, mode: str, delay: float = 3.0, downtime: float = 0.0) -> dict[str, Any]:
        """silent: no SNMP answer; slow: answers after `delay` s; garbage: malformed BER; reboot: silent for
        `downtime` s, then uptime and counters restart from zero; unreachable: ICMP echo dropped (SNMP still
        answers; with silent too, the device is cut off); optical-low: every Rx power sensor of the device
        reads under its low alarm (3 dB under the transceiver's own threshold where it has one, else
        -30 dBm), the rest of the device answering as before."""
        if mode not in FAILURE_MODES:
            raise LabError(f"unknown failure mode {mode!r}: choose one of {', '.join(FAILURE_MODES)}")
        if mode in SSH_FAILURE_MODES:
            return self._ssh_control(hostname, mode=mode.removeprefix("ssh-"),
                                     delay=delay if mode == "ssh-slow" else None)
        device = self.device(hostname)
        if mode == "unreachable":
            icmp.block(self.runtime, device.address)
            return {"icmp": "blocked", "address": device.address}
        if mode == "reboot":
            return control.update(self.control_file, device.index, boot=time.time() + downtime)
        if mode == "optical-low":
            if not self._has_optical_low(device):
                raise LabError(f"{hostname!r} has no transceiver with an Rx power sensor in the lab "
                               "(only generated devices with a fibre link do; recordings are served as recorded)")
            return control.update(self.control_file, device.index, optical="low")
        return control.update(self.control_file, device.index, mode=mode,
                              delay=delay if mode == "slow" else None)

    def heal(self, hostname: str) -> dict[str, Any]:
        """Answer normally again, SNMP and ICMP (a rebooted device keeps its new, shorter uptime)."""
        state = self.state() or {}
        if hostname in state.get("ssh_devices", {}):
            self._ssh_control(hostname, mode=None, delay=None)
        if hostname not in state.get("devices", {}) and hostname in state.get("ssh_devices", {}):
            return {}
        device = self.device(hostname)
        icmp.unblock(self.runtime, device.address)
        return control.update(self.control_file, device.index, mode=None, delay=None, optical=None)

    def _has_optical_low(self, device: LabDevice) -> bool:
        """Whether the device's data file has values the optical failure changes (`low=` in a labvalue)."""
        name = f"{layout.TRANSPORT_DOMAIN}.{device.index}.snmprec"
        data = self.runtime / "snmpsim" / f"p{device.process}" / "data"
        return any(",low=" in line for path in data.rglob(name)
                   for line in path.read_text(encoding="utf-8").splitlines() if ":labvalue|" in line)

    def _ssh_control(self, hostname: str, **changes: Any) -> dict[str, Any]:
        """SSH failures are keyed by hostname in <runtime>/ssh/control.json (hostname is what sshd's
        session knows)."""
        state = self.state()
        if state is None or hostname not in state.get("ssh_devices", {}):
            raise LabError(f"{hostname!r} is not an SSH device of the running lab")
        path = ssh_server.ssh_dir(self.runtime) / "control.json"
        current = control.read(path)
        entry = {k: v for k, v in {**current.get(hostname, {}), **changes}.items() if v is not None}
        if entry:
            current[hostname] = entry
        else:
            current.pop(hostname, None)
        control.write(path, current)
        return entry

    def ssh_devices(self) -> dict[str, dict[str, Any]]:
        return (self.state() or {}).get("ssh_devices", {})



@contextmanager
def lab_running(runtime: Path, inv: Inventory, inv_root: Path, **options: Any) -> Iterator[tuple[Lab, dict[str, Any]]]:
    """A lab for the duration of a block (tests, benchmarks): `options` are those of `Lab.start`;
    pass `port=` a free port (lab.snmp.snmpd.free_udp_port) and `only=` a set of hostnames."""
    lab = Lab(runtime)
    state = lab.start(inv, inv_root, **options)
    try:
        yield lab, state
    finally:
        lab.stop()
