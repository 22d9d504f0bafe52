"""What the lab's SSH server needs before it starts: which devices, their host keys and configurations,
the users and their password hashes. Written under `<runtime>/ssh/` (the runtime is 0700)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from inventory.model import Inventory, SshCredential
from lab.errors import LabError
from lab.process import start_time
from lab.secrets import lab_value
from lab.ssh import configs
from lab.ssh.server import SSHD, ssh_dir, sshd_config

READY_TIMEOUT = 15.0


def host_key(hostname: str, generation: str = "") -> Ed25519PrivateKey:
    """A device's host key, derived from its name: stable across lab restarts (the collector pinned it),
    different per device; `generation` gives the 'replaced' key of the hostkey failure mode."""
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"thdmon-lab-hostkey:{hostname}:{generation}".encode()).digest())


def _write_key(path: Path, key: Ed25519PrivateKey) -> None:
    if path.exists():
        return
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _password_hash(password: str) -> str:
    out = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password.encode(), capture_output=True,
                         check=True)
    return out.stdout.decode().strip()


def _public_key(key_file: str) -> str:
    pub = Path(key_file + ".pub")
    if pub.is_file():
        return pub.read_text().strip()
    key = serialization.load_ssh_private_key(Path(key_file).read_bytes(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,  # type: ignore[union-attr]
                                         serialization.PublicFormat.OpenSSH).decode()


def plan(inv: Inventory, only: set[str] | None, port: int | None) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The SSH devices the lab serves (hostname -> address, port, platform) and notes on the others."""
    devices: dict[str, dict[str, Any]] = {}
    skipped: dict[str, int] = {}
    for hostname in sorted(inv.devices):
        device = inv.devices[hostname]
        if not device.ssh or (only is not None and hostname not in only):
            continue
        if not str(device.address).startswith("127."):
            continue
        profile = inv.profiles.get(device.profile or "")
        platform = configs.PLATFORMS.get(profile.ssh_platform or "") if profile else None
        if platform is None:
            key = (profile.ssh_platform if profile else None) or "no ssh_platform"
            skipped[key] = skipped.get(key, 0) + 1
            continue
        devices[hostname] = {"address": str(device.address), "port": port or device.ssh_port, "platform": platform,
                             "credential": device.ssh}
    notes = [f"{n} SSH device(s) of platform {k} not simulated over SSH (the lab emulates "
             f"{', '.join(sorted(configs.PLATFORMS))})" for k, n in sorted(skipped.items())]
    return devices, notes


def users_of(inv: Inventory, devices: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    users: dict[str, dict[str, Any]] = {}
    for name in sorted({d["credential"] for d in devices.values()}):
        cred = inv.credentials[name]
        assert isinstance(cred, SshCredential)
        user = users.setdefault(cred.username, {"hash": None, "keys": []})
        if cred.password:
            user["hash"] = _password_hash(lab_value(cred.password))
        if cred.key_file:
            user["keys"].append(_public_key(cred.key_file))
    return users


def prepare(runtime: Path, inv: Inventory, devices: dict[str, dict[str, Any]]) -> None:
    root = ssh_dir(runtime)
    (root / "keys").mkdir(parents=True, exist_ok=True, mode=0o700)
    (root / "configs").mkdir(exist_ok=True)
    for hostname, d in devices.items():
        _write_key(root / "keys" / f"{hostname}.key", host_key(hostname))
        _write_key(root / "keys" / f"{hostname}.rotated.key", host_key(hostname, "rotated"))
        cfg = configs.path_of(runtime, hostname)
        if not cfg.exists():  # kept across restarts: the tests' and operators' changes stay
            cfg.write_text(configs.initial(inv.devices[hostname], d["platform"]), encoding="utf-8")
    (root / "plan.json").write_text(json.dumps({"devices": devices, "users": users_of(inv, devices)}, indent=1))
    (root / "sshd_config").write_text(sshd_config(runtime))
    control = root / "control.json"
    control.write_text("{}")


def unavailable() -> str | None:
    """Why the SSH lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the SSH lab runs sshd and needs root (its users live in a private mount namespace)"
    if not Path(SSHD).is_file():
        return f"{SSHD} not found: install the Debian package openssh-server"
    if shutil.which("unshare") is None or shutil.which("openssl") is None:
        return "unshare (util-linux) and openssl are needed"
    return None


def spawn(runtime: Path, repo_root: Path) -> dict[str, Any]:
    """Start the server in its own mount namespace; returns its process record once it listens."""
    missing = unavailable()
    if missing:
        raise LabError(missing)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    root = ssh_dir(runtime)
    ready = root / "ready"
    ready.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(repo_root), os.environ.get("PYTHONPATH")]))}
    log = root / "server.log"
    with open(log, "ab") as out:
        popen = subprocess.Popen(["unshare", "--mount", "--propagation", "private", sys.executable, "-m",
                                  "lab.ssh.server", str(runtime)], stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    deadline = time.monotonic() + READY_TIMEOUT
    while not ready.exists():
        if popen.poll() is not None or time.monotonic() > deadline:
            popen.kill()
            popen.wait()
            raise LabError(f"the lab's SSH server did not start; end of {log}:\n"
                           f"{log.read_text(errors='replace')[-1500:]}")
        time.sleep(0.05)
    return {"pid": popen.pid, "start_time": start_time(popen.pid), "process": "ssh", "log": str(log)}
