"""net-snmp `snmpd` agents of our own (foreground, own config), for SNMPv3 and scale tests and benchmarks.

snmpd answers ~30x faster than snmpsim (C, ~200k varbinds per CPU-second) with the host's real MIB
(IF-MIB of lo and the machine's interfaces, HOST-RESOURCES, ...): use it when what matters is the
poller's speed or SNMPv3, and snmpsim when the values must look like the département.

    with snmpd_agents(3, tmp_path) as agents:
        for agent in agents:
            ...  # agent.address, agent.port, agent.community, agent.v3_user, agent.auth_key, ...
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lab.errors import LabError
from lab.snmp import probe

SNMPD = "/usr/sbin/snmpd"


@dataclass(frozen=True, slots=True)
class SnmpdAgent:
    address: str
    port: int
    community: str
    v3_user: str
    auth_key: str = field(repr=False)
    priv_key: str = field(repr=False)
    auth_protocol: str = "SHA"
    priv_protocol: str = "AES"
    pid: int = 0

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{self.port}"


def free_udp_port(address: str = "127.0.0.1") -> int:
    """A UDP port free on `address` right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def _config(address: str, port: int, community: str, user: str, auth_proto: str, auth: str, priv_proto: str,
            priv: str) -> str:
    return (f"agentAddress udp:{address}:{port}\n"
            f"rocommunity {community} 127.0.0.0/8\n"
            f"createUser {user} {auth_proto} {auth} {priv_proto} {priv}\n"
            f"rouser {user} priv\n"
            "sysName thdmon-lab-snmpd\n"
            "sysLocation thdmon lab\n"
            "dontLogTCPWrappersConnects yes\n")


@contextmanager
def snmpd_agent(workdir: Path, address: str = "127.0.0.1", port: int | None = None, community: str = "public",
                v3_user: str = "labuser", auth_key: str = "authpass123", priv_key: str = "privpass123",
                auth_protocol: str = "SHA", priv_protocol: str = "AES", timeout: float = 10.0) -> Iterator[SnmpdAgent]:
    """One snmpd on address:port (a free port if None), answering v2c `community` and v3 authPriv."""
    if not Path(SNMPD).is_file() and shutil.which("snmpd") is None:
        raise LabError("snmpd is not installed (Debian package snmpd)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_udp_port(address)
    conf = workdir / "snmpd.conf"
    conf.write_text(_config(address, port, community, v3_user, auth_protocol, auth_key, priv_protocol, priv_key))
    conf.chmod(0o600)
    (workdir / "persist").mkdir(exist_ok=True)
    (workdir / "snmpd.log").write_text("")
    argv = [SNMPD if Path(SNMPD).is_file() else "snmpd", "-f", "-Lf", str(workdir / "snmpd.log"), "-C",
            "-c", str(conf), "-p", str(workdir / "snmpd.pid"), f"--persistentDir={workdir / 'persist'}"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not probe.answers(address, port, community, timeout=0.2):
            if proc.poll() is not None or time.monotonic() > deadline:
                log_file = workdir / "snmpd.log"
                log = log_file.read_text(errors="replace")[-800:] if log_file.exists() else ""
                raise LabError(f"snmpd on {address}:{port} did not start: {log}")
        yield SnmpdAgent(address, port, community, v3_user, auth_key, priv_key, auth_protocol, priv_protocol,
                         proc.pid)
    finally:
        proc.kill()
        proc.wait()


@contextmanager
def snmpd_agents(count: int, workdir: Path, addresses: Sequence[str] | None = None, port: int | None = None,
                 **options: object) -> Iterator[list[SnmpdAgent]]:
    """`count` snmpd instances (on `addresses`, default all 127.0.0.1 with free ports), stopped on exit."""
    addresses = list(addresses or ["127.0.0.1"] * count)
    if len(addresses) != count:
        raise LabError(f"{count} agents need {count} addresses, got {len(addresses)}")
    with ExitStack() as stack:
        agents = [stack.enter_context(snmpd_agent(workdir / f"snmpd{k}", address, port, **options))  # type: ignore[arg-type]
                  for k, address in enumerate(addresses)]
        yield agents
