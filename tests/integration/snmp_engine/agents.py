"""Real SNMP peers for the engine tests: snmpsim, misbehaving UDP servers (silent, garbage, lossy,
looping) and a scripted agent. Also a parser of net-snmp's `snmpbulkwalk -On -Ox -Ot` output, the
reference every engine is compared with. net-snmp's snmpd is started by lab.snmp.snmpd, for everyone."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from lab.snmp.snmpd import AUTH_KEY, PRIV_KEY, free_udp_port

ROOT = Path(__file__).resolve().parents[3]
SNMPSIM = ROOT / ".venv" / "bin" / "snmpsim-command-responder"
SNMPSIM_ENGINE_ID = "80001f8880e1d2c3b4a5968778"


def have(program: str) -> bool:
    return shutil.which(program) is not None or Path(program).exists()


@dataclass
class Agent:
    """A started agent process, stopped with kill() then wait() (PID 1 here reaps nothing)."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    community: str = "public"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def start_snmpsim(workdir: Path, recordings: Sequence[Path], *, host: str = "127.0.0.1") -> Agent:
    """snmpsim serving the recordings through symlinks (never copies); community = recording name."""
    deepest = max(len(str(rec.resolve()).split(os.sep)) for rec in recordings)
    data = workdir / "data"
    while len(str(data).split(os.sep)) + 1 < deepest:
        data = data / "d"
    data.mkdir(parents=True, exist_ok=True)
    for rec in recordings:
        _link_recording(data, rec.resolve())
    port = free_udp_port(host)
    log = workdir / "snmpsim.log"
    cmd = [str(SNMPSIM), f"--cache-dir={workdir / 'cache'}", f"--v3-engine-id={SNMPSIM_ENGINE_ID}",
           "--v3-user=privsha", f"--v3-auth-key={AUTH_KEY}", "--v3-auth-proto=SHA",
           f"--v3-priv-key={PRIV_KEY}", "--v3-priv-proto=AES",
           f"--data-dir={data}", f"--agent-udpv4-endpoint={host}:{port}"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"})
    agent = Agent(host, port, proc, log, community=recordings[0].stem)
    _wait_ready(agent, agent.community, deadline=60)
    return agent


def _link_recording(data: Path, recording: Path) -> None:
    """Symlink a recording into snmpsim's data dir so that it is served under its own name.

    snmpsim 1.2 names a symlinked file after the components of the link's TARGET path that lie beyond
    the data dir's depth (datafile.process_directory), and crashes when there are none: pad the target
    with "." components until exactly the file name lies beyond that depth.
    """
    depth = len(str(data).rstrip(os.sep).split(os.sep))
    parts = str(recording).split(os.sep)
    padded = os.sep.join([parts[0], *(["."] * (depth + 1 - len(parts))), *parts[1:]])
    link = data / recording.name
    if not link.is_symlink():
        link.symlink_to(padded)


def _wait_ready(agent: Agent, community: str, *, deadline: float = 15) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if agent.process.poll() is not None:
            raise RuntimeError(f"agent exited with {agent.process.returncode}; see {agent.log}")
        cmd = ["snmpget", "-v2c", "-c", community, "-r0", "-t0.3", "-On",
               f"{agent.host}:{agent.port}", "1.3.6.1.2.1.1.5.0"]
        if subprocess.run(cmd, capture_output=True, env={**os.environ, "MIBS": ""}).returncode == 0:
            return
        time.sleep(0.1)
    agent.stop()
    raise RuntimeError(f"agent on {agent.host}:{agent.port} not answering after {deadline} s; see {agent.log}")


# -- net-snmp's view of an agent: the reference ------------------------------------------------------

def netsnmp_walk(host: str, port: int, root: str, community: str = "public") -> list[tuple[str, object]]:
    """(oid, value) pairs as net-snmp's snmpbulkwalk sees them, values in the engines' Python types."""
    cmd = ["snmpbulkwalk", "-v2c", "-c", community, "-On", "-Ox", "-Ot", "-Cr25", "-t2", "-r1",
           f"{host}:{port}", root]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env={**os.environ, "MIBS": ""}).stdout
    return parse_netsnmp(out)


def parse_netsnmp(text: str) -> list[tuple[str, object]]:
    rows: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.startswith(".") and " = " in line:
            oid, _, rest = line.partition(" = ")
            rows.append((oid[1:], rest))
        elif rows:  # a long Hex-STRING goes on over several lines
            rows[-1] = (rows[-1][0], rows[-1][1] + " " + line)
    result: list[tuple[str, object]] = []
    for oid, rest in rows:
        if rest.startswith("No more variables") or rest.startswith("No Such"):
            continue
        result.append((oid, _netsnmp_value(rest)))
    return result


def _netsnmp_value(rest: str) -> object:
    kind, sep, value = rest.partition(": ")
    if not sep:  # -Ot prints TimeTicks as a bare number; an empty string is ""
        return b"" if rest == '""' else int(rest)
    if kind in ("INTEGER", "Counter32", "Counter64", "Gauge32", "Timeticks"):
        return int(value.split()[0])
    if kind == "Hex-STRING":
        return bytes.fromhex(value.replace(" ", ""))
    if kind == "STRING":
        return value.strip('"').encode()
    if kind == "OID":
        return value.lstrip(".")
    if kind == "IpAddress":
        return value
    raise ValueError(f"unexpected net-snmp value: {rest!r}")


# -- misbehaving peers --------------------------------------------------------------------------------

class _UdpThread:
    """A UDP socket served by a thread until close(): the part the misbehaving peers share."""

    sock: socket.socket
    _extra: tuple[socket.socket, ...] = ()

    def _start(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        raise NotImplementedError

    def _datagrams(self) -> Iterator[tuple[bytes, Any]]:
        """Datagrams received until close() (or the socket is closed under us)."""
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                yield self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in (self.sock, *self._extra):
            sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class UdpPeer(_UdpThread):
    """A UDP socket on 127.0.0.1 that never answers (silent) or answers every request with garbage."""

    garbage: bool = False
    upstream: tuple[str, int] | None = None  # relay requests there (after the garbage, if any)
    drop: frozenset[int] = frozenset()  # numbers (from 1) of the datagrams received but never relayed
    rewind: str | None = None  # relay every SNMPv2c request as if it asked from this OID (an agent looping)
    seed: int = 7
    sock: socket.socket = field(init=False)
    port: int = field(init=False)
    received: int = 0

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._start()

    def _serve(self) -> None:
        rng = random.Random(self.seed)
        for data, addr in self._datagrams():
            self.received += 1
            if self.received in self.drop:
                continue
            if self.garbage:
                # Random bytes, a truncated SEQUENCE and a BER length pointing past the end: each has
                # crashed or confused some SNMP decoder.
                for payload in (rng.randbytes(40), b"\x30\x03\x02\x01\x01", b"\x30\x82\xff\xff\x02"):
                    self.sock.sendto(payload, addr)
            if self.rewind is not None:
                data = _rewound(data, self.rewind)
            if self.upstream:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
                    up.settimeout(2)
                    up.sendto(data, self.upstream)
                    self.sock.sendto(up.recv(65535), addr)


def _rewound(request: bytes, oid: str) -> bytes:
    """The SNMPv2c request with its varbinds replaced by `oid` alone (request id kept)."""
    from pyasn1.codec.ber import decoder, encoder
    from pysnmp.proto import api

    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message, _ = decoder.decode(request, asn1Spec=proto.Message())
    pdu = proto.apiMessage.get_pdu(message)
    proto.apiPDU.set_varbinds(pdu, [(proto.ObjectIdentifier(oid), proto.Null(""))])
    return encoder.encode(message)


MAX_UDP_PAYLOAD = 65507  # IPv4


# -- a scripted SNMPv2c agent of our own, for misbehaviour no real agent shows on demand -------------

@dataclass
class ScriptedAgent(_UdpThread):
    """An SNMPv2c agent on 127.0.0.1 built on pysnmp's codec, answering every request as `behaviour` says.

    Its table is `rows` rows `<root>.1 .. <root>.rows` of OCTET STRING values of `value_size` bytes (the
    root is the first OID it is asked for), then endOfMibView. Behaviours:

    - "normal": answers as a correct agent would (GET and GETBULK);
    - "endless": GETBULK answers always the next OIDs under the root, forever increasing;
    - "drip": like endless, one varbind per answer, each after `delay` seconds (under the timeout);
    - "generr": the `error_after`-th GETBULK (and any GET) answered with error-status genErr;
    - "duplicates": every answer carries its first varbind twice;
    - "spoofed": answers come from another socket (another source port) than the one asked.
    """

    behaviour: str = "normal"
    rows: int = 10
    value_size: int = 8
    error_after: int = 2
    delay: float = 0.0
    community: str = "public"
    sock: socket.socket = field(init=False)
    port: int = field(init=False)
    host: str = "127.0.0.1"
    requests: int = 0

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        self.sock.bind((self.host, 0))
        self.port = self.sock.getsockname()[1]
        self._other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._other.bind((self.host, 0))
        self._extra = (self._other,)
        self._start()

    def _serve(self) -> None:
        for data, addr in self._datagrams():
            self.requests += 1
            try:
                answer = self._answer(data)
            except Exception:  # not SNMPv2c: a real agent drops it too
                continue
            if self.delay:
                time.sleep(self.delay)
            (self._other if self.behaviour == "spoofed" else self.sock).sendto(answer, addr)

    def _answer(self, request: bytes) -> bytes:
        from pyasn1.codec.ber import decoder, encoder
        from pysnmp.proto import api

        proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
        message, _ = decoder.decode(request, asn1Spec=proto.Message())
        pdu = proto.apiMessage.get_pdu(message)
        bulk = pdu.isSameTypeWith(proto.GetBulkRequestPDU())
        asked = [str(oid) for oid, _ in proto.apiPDU.get_varbinds(pdu)]
        response = proto.apiPDU.get_response(pdu)
        if self.behaviour == "generr" and (not bulk or self.requests >= self.error_after):
            proto.apiPDU.set_error_status(response, 5)
            proto.apiPDU.set_error_index(response, 1)
            proto.apiPDU.set_varbinds(response, [(proto.ObjectIdentifier(o), proto.Null("")) for o in asked])
        else:
            count = proto.apiBulkPDU.get_max_repetitions(pdu) if bulk else 0
            varbinds = self._next(asked[0], count) if bulk else [self._value(o) for o in asked]
            if self.behaviour == "duplicates":
                varbinds = [varbinds[0], *varbinds]
            # As a real agent does, fewer repetitions than asked when they would not fit in one datagram.
            while True:
                proto.apiPDU.set_varbinds(response, varbinds)
                proto.apiMessage.set_pdu(message, response)
                encoded = encoder.encode(message)
                if len(encoded) <= MAX_UDP_PAYLOAD or len(varbinds) == 1:
                    return encoded
                varbinds = varbinds[:-1]
        proto.apiMessage.set_pdu(message, response)
        return encoder.encode(message)

    def _value(self, oid: str) -> tuple[object, object]:
        from pysnmp.proto import api

        proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
        return proto.ObjectIdentifier(oid), proto.OctetString(b"v" * self.value_size)

    def _next(self, start: str, count: int) -> list[tuple[object, object]]:
        from pysnmp.proto import api, rfc1905

        proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
        if not hasattr(self, "_root"):
            self._root = start
        root = self._root
        index = int(start[len(root) + 1:].split(".")[0]) if start.startswith(root + ".") else 0
        endless = self.behaviour in ("endless", "drip")
        count = 1 if self.behaviour == "drip" else count
        out: list[tuple[object, object]] = []
        for i in range(index + 1, index + 1 + count):
            if i > self.rows and not endless:
                out.append((proto.ObjectIdentifier(f"{root}.{i}"), rfc1905.EndOfMibView()))
                break
            out.append(self._value(f"{root}.{i}"))
        return out
