"""The lab's SSH server: real OpenSSH `sshd` sessions whose command is the emulated CLI of each device.

Why this shape: a single sshd serves one set of host keys on at most 16 listening sockets, while the lab
has hundreds of devices, each on its own 127.x address, each with its own host key (the collector pins
them). So this process (asyncio) listens on every SSH device's address and port itself and, for every
connection, starts `sshd -i` (OpenSSH's inetd mode) on the accepted socket with that device's host key
and its name in the session's environment. sshd does everything SSH: key exchange, the host key,
password and public-key authentication, the PTY. Its session command is a tiny stdlib relay (`RELAY`,
run by the system's /usr/bin/python3) that joins the session to this process over an abstract Unix
socket, where `lab.ssh.shell` answers as the device.

The lab's SSH users (the inventory's SSH credentials) exist only in this process's private mount
namespace (the supervisor starts it under `unshare --mount`): `/etc/passwd`, `/etc/shadow` and `/home`
are bind-mounted from `<runtime>/ssh/etc` there, so the machine's accounts are never touched and the
system's sshd knows nothing of them.

Failure modes at the connection (`<runtime>/ssh/control.json`, hostname -> {"mode": ...}):
auth (sshd denies every user: the client sees a wrong password), hostkey (the device presents another
host key), down (connections are closed before the SSH banner); the others are the shell's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lab.snmp import control
from lab.ssh import shell

SSHD = "/usr/sbin/sshd"
LAB_UID = 64990  # uids of the lab users inside the namespace (nobody outside it has them)
MODES = ("auth", "hostkey", "down", "hang", "slow", "disconnect", "pager", "flood")

# The session command, run by sshd as the lab user with the system's Python (it cannot read the venv):
# raw terminal, a JSON header naming the device, then bytes both ways until either side closes.
RELAY = r'''
import json, os, select, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("\0" + os.environ["THDMON_LAB_SOCKET"])
tty = os.isatty(0)
if tty:
    import termios, tty as t
    saved = termios.tcgetattr(0)
    t.setraw(0)
head = {"device": os.environ["THDMON_LAB_DEVICE"], "command": os.environ.get("SSH_ORIGINAL_COMMAND", ""), "tty": tty}
s.sendall(json.dumps(head).encode() + b"\n")
try:
    ins = [0, s]
    while True:
        r = select.select(ins, [], [])[0]
        if s in r:
            data = s.recv(65536)
            if not data:
                break
            os.write(1, data)
        if 0 in r:
            data = os.read(0, 4096)
            if data:
                s.sendall(data)
            else:
                s.shutdown(socket.SHUT_WR)
                ins = [s]
finally:
    if tty:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)
'''


def ssh_dir(runtime: Path) -> Path:
    return runtime / "ssh"


def socket_name(runtime: Path) -> str:
    return "thdmon-lab-ssh-" + hashlib.sha256(str(runtime.resolve()).encode()).hexdigest()[:16]


def sshd_config(runtime: Path) -> str:
    relay = base64.b64encode(RELAY.encode()).decode()
    return "\n".join([
        "PidFile none", "UsePAM no", "PasswordAuthentication yes", "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes", "AuthorizedKeysFile /home/%u/authorized_keys", "StrictModes no",
        "PermitRootLogin no", "AllowTcpForwarding no", "X11Forwarding no", "PermitTunnel no",
        "AllowAgentForwarding no", "PrintMotd no", "PrintLastLog no", "LogLevel ERROR", "MaxAuthTries 3",
        "LoginGraceTime 30", "PermitUserEnvironment no",
        f"ForceCommand /usr/bin/python3 -c 'import base64;exec(base64.b64decode(\"{relay}\"))'", ""])


def _mount_accounts(root: Path, users: dict[str, dict[str, Any]]) -> None:
    """This process's own /etc/passwd, /etc/shadow and /home: the system's accounts plus the lab users."""
    etc, home = root / "etc", root / "home"
    shutil.rmtree(home, ignore_errors=True)
    etc.mkdir(parents=True, exist_ok=True)
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)  # noqa: S103 - sshd reads authorized_keys as the lab user
    passwd = Path("/etc/passwd").read_text(encoding="utf-8").splitlines()
    shadow = []
    for k, (name, user) in enumerate(sorted(users.items())):
        passwd.append(f"{name}:x:{LAB_UID + k}:65534:thdmon lab:/home/{name}:/bin/sh")
        shadow.append(f"{name}:{user.get('hash') or '*'}:19000:0:99999:7:::")
        (home / name).mkdir(mode=0o755)
        (home / name / "authorized_keys").write_text("".join(k + "\n" for k in user.get("keys", ())))
        os.chmod(home / name / "authorized_keys", 0o644)
    (etc / "passwd").write_text("\n".join(passwd) + "\n")
    (etc / "shadow").write_text("\n".join(shadow) + "\n")
    os.chmod(etc / "shadow", 0o600)
    for src, dst in ((etc / "passwd", "/etc/passwd"), (etc / "shadow", "/etc/shadow"), (home, "/home")):
        subprocess.run(["mount", "--bind", str(src), dst], check=True)


class Server:
    def __init__(self, runtime: Path) -> None:
        self.runtime = runtime
        self.root = ssh_dir(runtime)
        plan = json.loads((self.root / "plan.json").read_text())
        self.devices: dict[str, dict[str, Any]] = plan["devices"]
        self.users: dict[str, dict[str, Any]] = plan["users"]
        self.control_file = self.root / "control.json"
        self._control: tuple[float, dict[str, dict[str, Any]]] = (-1.0, {})
        self.children: list[subprocess.Popen[bytes]] = []
        self.log = open(self.root / "sshd.log", "ab")
        self.started = time.time()

    def failure(self, hostname: str) -> dict[str, Any]:
        """The device's failure switches, read again whenever the file changed: a stat per connection or
        command is cheap at SSH's pace, and `thdmon lab fail` then applies to the very next session."""
        try:
            mtime = self.control_file.stat().st_mtime_ns
        except OSError:
            return {}
        if mtime != self._control[0]:
            try:
                self._control = (mtime, control.read(self.control_file))
            except ValueError:
                pass  # being replaced: the previous state until the next look
        return self._control[1].get(hostname, {})

    def _accept(self, listener: socket.socket, hostname: str) -> None:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        with conn:
            mode = self.failure(hostname).get("mode")
            if mode == "down":
                return
            key = self.root / "keys" / (f"{hostname}.rotated.key" if mode == "hostkey" else f"{hostname}.key")
            argv = [SSHD, "-i", "-e", "-f", str(self.root / "sshd_config"), "-o", f"HostKey={key}",
                    "-o", f"SetEnv=THDMON_LAB_DEVICE={hostname} THDMON_LAB_SOCKET={socket_name(self.runtime)}"]
            if mode == "auth":
                argv += ["-o", "DenyUsers=*"]
            conn.setblocking(True)
            self.children.append(subprocess.Popen(argv, stdin=conn, stdout=conn, stderr=self.log,
                                                  close_fds=True))

    async def _reap(self) -> None:
        while True:
            self.children = [c for c in self.children if c.poll() is None]
            await asyncio.sleep(0.5)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = json.loads(await reader.readline())
            hostname = head["device"]
            device = self.devices[hostname]
            session = shell.Session(hostname, device["platform"], self.runtime,
                                    lambda: self.failure(hostname), reader, writer, self.started)
            await session.run(head.get("command") or None)
        except (ConnectionError, ValueError, KeyError):
            pass
        finally:
            writer.close()

    async def serve(self) -> None:
        _mount_accounts(self.root, self.users)
        loop = asyncio.get_running_loop()
        listeners = []
        for hostname, device in self.devices.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((device["address"], device["port"]))
            sock.listen(64)
            sock.setblocking(False)
            loop.add_reader(sock, self._accept, sock, hostname)
            listeners.append(sock)
        server = await asyncio.start_unix_server(self._session, path="\0" + socket_name(self.runtime))
        (self.root / "ready").write_text(str(os.getpid()))
        async with server:
            await self._reap()


def main() -> None:
    runtime = Path(sys.argv[1])
    asyncio.run(Server(runtime).serve())


if __name__ == "__main__":
    main()
