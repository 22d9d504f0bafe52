"""The small interface every SNMP engine implements, and the types it speaks.

Two engines implement `SnmpEngine`: `gufo_engine.GufoEngine` (Rust-backed, the bulk poller) and
`pysnmp_engine.PysnmpEngine` (the reference and the fallback for what gufo_snmp cannot do).
`choose_engine(target)` says which one a target needs.

Varbind values are the same Python types whatever the engine, so the decoding layer never cares:

=================  ==============================  ====================================
wire type          `Varbind.value`                 `Varbind.type` (pysnmp | gufo)
=================  ==============================  ====================================
INTEGER            int                             "int"
Counter32          int                             "counter32" | "int"
Counter64          int                             "counter64" | "int"
Gauge32/Unsigned   int                             "gauge32"   | "int"
TimeTicks          int (hundredths of a second)    "timeticks" | "int"
OCTET STRING       bytes (raw, may be binary)      "octets"
Opaque float       float                           "float"
OBJECT IDENTIFIER  str, dotted, no leading dot     "oid"
IpAddress          str, dotted quad                "ipaddress" (gufo: see below)
NULL               None                            "null"
noSuchObject       None                            "nosuchobject"
noSuchInstance     None                            "nosuchinstance" | "nosuchobject"
=================  ==============================  ====================================

gufo_snmp decodes values without telling their wire type, so its tags are coarser: every integer type
is "int", both kinds of "no such" are "nosuchobject", and a string value is "ipaddress" when it is a
dotted quad, else "oid" (a 4-arc OID value such as `1.3.6.1` would be mistaken for an address). The
decoding layer must therefore take counter/gauge semantics and Counter32 wrap width from the profile
(as snmp_exporter takes them from the MIB), and compare tags through `family()`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

from collector.errors import CollectorError
from collector.model import DownReason

if TYPE_CHECKING:
    from collector.snmp.target import Target

Value = int | float | bytes | str | None

# OIDs per GET request: beyond a few dozen, agents answer tooBig or drop the request.
MAX_GET_OIDS = 32
# Whatever an agent sends, a walk ends: within this many seconds (an agent dripping one varbind per answer
# just under the timeout) and this many varbinds (one sending ever-increasing OIDs as fast as it can).
# The largest table profiles walk is ~40,000 varbinds (1,000 interfaces x 40 columns).
WALK_DEADLINE = 120.0
MAX_WALK_VARBINDS = 200_000

INTEGER_TAGS = frozenset({"int", "counter32", "counter64", "gauge32", "timeticks"})
ABSENT_TAGS = frozenset({"nosuchobject", "nosuchinstance"})


class Varbind(NamedTuple):
    """One OID and its value. A named tuple: a walk builds thousands per poll, and a tuple is built in
    a third of the time of a frozen dataclass."""

    oid: str  # numeric, dotted, no leading dot
    value: Value
    type: str

    @property
    def absent(self) -> bool:
        return self.type in ABSENT_TAGS


def family(tag: str) -> str:
    """The tag as both engines can report it: "int" for every integer type, "absent" for no-such."""
    if tag in INTEGER_TAGS:
        return "int"
    if tag in ABSENT_TAGS:
        return "absent"
    return tag


class SnmpError(CollectorError):
    """A failed SNMP exchange, classified so the device can be marked down with a reason.

    `detail` never holds a secret: engines build it from the address, the OIDs and the error kind.
    """

    def __init__(self, reason: DownReason, detail: str, *, heard: bool = False) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        # Datagrams did come back from the target, none of them the answer: for SNMPv3, the sign of a
        # session gone stale (agent rebooted or replaced) rather than of a dead device.
        self.heard = heard


class SnmpEngine(Protocol):
    async def get(self, target: Target, oids: Sequence[str]) -> list[Varbind]:
        """One GET of `oids`; the result is in request order, absent objects flagged by their tag.

        Raises SnmpError(no_such_object) only when every requested object is absent.
        """
        ...

    async def bulk_walk(self, target: Target, root: str, max_repetitions: int = 25) -> list[Varbind]:
        """Every varbind strictly under `root`, in OID order (GETBULK, SNMPv2c/v3).

        Raises SnmpError(no_such_object) when the subtree is empty.
        """
        ...

    async def close(self) -> None: ...


EngineName = Literal["gufo", "pysnmp"]


def choose_engine(target: Target) -> EngineName:
    """gufo_snmp for everything it can do; pysnmp for the rest.

    gufo_snmp 0.13 has every USM auth (MD5, SHA-1, SHA-224..512) and priv (DES, AES-128/192/256)
    protocol, but no SNMPv3 context name: a v3 target with a context goes to pysnmp.
    """
    if target.version == "3" and target.v3 is not None and target.v3.context:
        return "pysnmp"
    return "gufo"


@contextlib.asynccontextmanager
async def walk_deadline(target: Target, base: str, seconds: float) -> AsyncIterator[None]:
    """Bound one walk in time: its end raises SnmpError(timeout) naming the walk, not a bare TimeoutError."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise SnmpError(DownReason.timeout, f"{target.endpoint}: walk of {base} unfinished after {seconds:g} s "
                                            "(an agent answering without end?)") from None


def check_walk_size(target: Target, base: str, count: int, limit: int) -> None:
    if count > limit:
        raise SnmpError(DownReason.malformed_response,
                        f"{target.endpoint}: walk of {base} beyond {limit:,} varbinds (an agent sending OIDs "
                        "without end?)")


def repeated(target: Target, what: str, oids: Sequence[str]) -> None:
    """The same OID twice in one answer: an agent's bug the engines refuse alike (which value is right?)."""
    if len(set(oids)) != len(oids):
        raise SnmpError(DownReason.malformed_response, f"{target.endpoint}: {what}: the same OID twice in one answer")


def normalise_oid(oid: str) -> str:
    """Strip the leading dot and check the OID is numeric: engines only take numeric OIDs."""
    bare = oid[1:] if oid.startswith(".") else oid
    parts = bare.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a numeric OID: {oid!r}")
    return bare


def oid_key(oid: str) -> tuple[int, ...]:
    return tuple(map(int, oid.split(".")))


def chunks(oids: Sequence[str], size: int = MAX_GET_OIDS) -> list[Sequence[str]]:
    return [oids[i:i + size] for i in range(0, len(oids), size)]


def all_absent(oids: Sequence[str], varbinds: Sequence[Varbind], address: str) -> None:
    """The get() contract shared by the engines: raise when no requested object exists."""
    if varbinds and all(vb.absent for vb in varbinds):
        raise SnmpError(DownReason.no_such_object, f"{address}: no such object for {', '.join(oids)}")
