"""net-snmp `snmpd` agents of our own (foreground, own config): the one place that starts the binary.

snmpd answers ~30x faster than snmpsim (C, ~200k varbinds per CPU-second) with the host's real MIB
(IF-MIB of lo and the machine's interfaces, HOST-RESOURCES, ...): use it when what matters is the
poller's speed or SNMPv3, and snmpsim when the values must look like the département. The lab, the
tests and the benchmarks all start it through here (tests/unit/test_layers.py checks that nothing else
invokes the binary), so a fix to how it is started reaches every caller.

    with snmpd_agents(3, tmp_path) as agents:
        for agent in agents:
            ...  # agent.host, agent.port, agent.community, agent.user (a V3User), agent.log
    agent = start_snmpd(tmp_path / "snmpd", port=11161)  # the caller stops it: agent.stop()

Every agent answers SNMPv2c `community` (read-only, from the loopback net) and SNMPv3 for each of
`users` (default `V3_USERS`: `labuser` authPriv SHA/AES, then one user per security level and protocol
pair the engine tests cover, all with the same two passphrases).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.ports import free_udp_port
from lab.snmp import probe

SNMPD = "/usr/sbin/snmpd"
SYS_NAME = "thdmon-lab-snmpd"

# One passphrase pair for every v3 user: the tests vary the protocols, not the passphrases.
AUTH_KEY = "authpass123"
PRIV_KEY = "privpass123"


@dataclass(frozen=True, slots=True)
class V3User:
    """An SNMPv3 user of the agent: `level` is snmpd's rouser level (noauth, auth, priv); protocols
    are net-snmp's createUser words (SHA, SHA-256, MD5; AES, AES192, DES)."""

    name: str
    level: str = "priv"
    auth_protocol: str | None = "SHA"
    auth_key: str | None = field(default=AUTH_KEY, repr=False)
    priv_protocol: str | None = "AES"
    priv_key: str | None = field(default=PRIV_KEY, repr=False)

    def config(self) -> str:
        words = [self.name]
        if self.level in ("auth", "priv"):
            words += [str(self.auth_protocol), str(self.auth_key)]
        if self.level == "priv":
            words += [str(self.priv_protocol), str(self.priv_key)]
        return f"createUser {' '.join(words)}\nrouser {self.name} {self.level}\n"


V3_USERS: tuple[V3User, ...] = (
    V3User("labuser"),
    V3User("noauth", "noauth", None, None, None, None),
    V3User("authsha", "auth", "SHA", AUTH_KEY, None, None),
    V3User("privsha", "priv", "SHA", AUTH_KEY, "AES", PRIV_KEY),
    V3User("privmd5des", "priv", "MD5", AUTH_KEY, "DES", PRIV_KEY),
    V3User("privsha256", "priv", "SHA-256", AUTH_KEY, "AES256", PRIV_KEY),
    V3User("privsha512", "priv", "SHA-512", AUTH_KEY, "AES192", PRIV_KEY),
)


@dataclass(frozen=True, slots=True)
class SnmpdAgent:
    """A running snmpd; stop() kills it and reaps it (PID 1 here reaps nothing)."""

    host: str
    port: int
    community: str
    users: tuple[V3User, ...]
    workdir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def user(self) -> V3User:
        """The first v3 user (authPriv `labuser` by default)."""
        return self.users[0]

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log(self) -> Path:
        return self.workdir / "snmpd.log"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def available() -> bool:
    return Path(SNMPD).is_file() or shutil.which("snmpd") is not None


def config(host: str, port: int, community: str, users: Sequence[V3User], sys_name: str = SYS_NAME,
           extra: Sequence[str] = ()) -> str:
    # On 127.x other than 127.0.0.1 the kernel sends from 127.0.0.1: the loopback net may read.
    source = "127.0.0.0/8" if host.startswith("127.") else host
    return (f"agentAddress udp:{host}:{port}\n"
            f"rocommunity {community} {source}\n"
            + "".join(user.config() for user in users)
            + f"sysName {sys_name}\nsysLocation thdmon lab\ndontLogTCPWrappersConnects yes\n"
            + "".join(f"{line}\n" for line in extra))


def start_snmpd(workdir: Path, *, host: str = "127.0.0.1", port: int | None = None, community: str = "public",
                users: Sequence[V3User] = V3_USERS, sys_name: str = SYS_NAME, extra_config: Sequence[str] = (),
                timeout: float = 15.0) -> SnmpdAgent:
    """One snmpd on host:port (a free port if None), ready (it answers a v2c GET) when this returns.

    Starting again in the same `workdir` keeps the persistent directory, hence the engine id: what a
    rebooted device looks like to an SNMPv3 engine. The log is `workdir/snmpd.log` (appended to)."""
    if not available():
        raise LabError("snmpd is not installed (Debian package snmpd)")
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_udp_port(host)
    conf = workdir / "snmpd.conf"
    conf.write_text(config(host, port, community, users, sys_name, extra_config))
    conf.chmod(0o600)  # it holds the v3 passphrases
    log = workdir / "snmpd.log"
    # -I -smux: no SMUX listener on TCP 199, which several agents would fight over.
    argv = [SNMPD if Path(SNMPD).is_file() else "snmpd", "-f", "-Lf", str(log), "-I", "-smux", "-C",
            "-c", str(conf), "-p", str(workdir / "snmpd.pid"), f"--persistentDir={workdir / 'persist'}"]
    # No MIB files here: keep net-snmp from parsing the few it finds at every start.
    env = {**os.environ, "MIBS": "", "MIBDIRS": str(workdir)}
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)
    agent = SnmpdAgent(host, port, community, tuple(users), workdir, proc)
    deadline = time.monotonic() + timeout
    while not probe.answers(host, port, community, timeout=0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            agent.stop()
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise LabError(f"snmpd on {host}:{port} did not start (log {log}): {tail}")
        time.sleep(0.05)  # a refused datagram returns at once: do not spin
    return agent


@contextmanager
def snmpd_agent(workdir: Path, **options: Any) -> Iterator[SnmpdAgent]:
    """start_snmpd(workdir, **options), stopped on exit."""
    agent = start_snmpd(workdir, **options)
    try:
        yield agent
    finally:
        agent.stop()


@contextmanager
def snmpd_agents(count: int, workdir: Path, addresses: Sequence[str] | None = None,
                 **options: Any) -> Iterator[list[SnmpdAgent]]:
    """`count` snmpd instances (on `addresses`, default all 127.0.0.1 with free ports), stopped on exit."""
    addresses = list(addresses or ["127.0.0.1"] * count)
    if len(addresses) != count:
        raise LabError(f"{count} agents need {count} addresses, got {len(addresses)}")
    with ExitStack() as stack:
        yield [stack.enter_context(snmpd_agent(workdir / f"snmpd{k}", host=address, **options))
               for k, address in enumerate(addresses)]
