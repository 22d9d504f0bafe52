"""The bulk-polling engine: gufo_snmp's Rust sockets driven by our own asyncio request loop.

We use gufo_snmp's client sockets (`gufo.snmp._fast`, typed in its stub) rather than its SnmpSession
because the poller needs what the session does not give: retries, a malformed datagram dropped while
we keep waiting for the real answer (a random packet must not fail a healthy poll), a Rust panic on
garbage turned into `malformed_response` instead of a BaseException escaping, and one socket per target
reused across polls (SNMPv3 engine discovery costs two round trips).

One request at a time per target (a walk sends the next one from the callback that receives the
answer): a reply carrying another request id is silently discarded by gufo_snmp, so two concurrent
requests on one socket would starve each other.
"""

from __future__ import annotations

import asyncio
import collections
import operator
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from gufo.snmp import (
    Aes128Key,
    Aes192Key,
    Aes256Key,
    BaseAuthKey,
    BasePrivKey,
    DesKey,
    Md5Key,
    Sha1Key,
    Sha224Key,
    Sha256Key,
    Sha384Key,
    Sha512Key,
    SnmpAuthError,
    SnmpDecodeError,
    User,
)
from gufo.snmp import SnmpError as GufoError
from gufo.snmp._fast import GetIter, SnmpV2cClientSocket, SnmpV3ClientSocket
from gufo.snmp.utils import format_sock_addr

from collector.model import DownReason
from collector.snmp.engine import (
    MAX_WALK_VARBINDS,
    WALK_DEADLINE,
    SnmpEngine,
    SnmpError,
    Value,
    Varbind,
    all_absent,
    check_walk_size,
    chunks,
    normalise_oid,
    oid_key,
    repeated,
    walk_deadline,
)
from collector.snmp.limits import socket_budget
from collector.snmp.rawpdu import GUFO_MAX_DATAGRAM, repeated_oid, status_name, v2c_header, v2c_prefix
from collector.snmp.target import Target

T = TypeVar("T")

_AUTH_KEYS: dict[str, type[BaseAuthKey]] = {
    "MD5": Md5Key, "SHA": Sha1Key, "SHA224": Sha224Key, "SHA256": Sha256Key, "SHA384": Sha384Key,
    "SHA512": Sha512Key,
}
_PRIV_KEYS: dict[str, type[BasePrivKey]] = {
    "DES": DesKey, "AES128": Aes128Key, "AES192": Aes192Key, "AES256": Aes256Key,
}
# gufo_snmp asks for a refresh of engine boots/time when a v3 session has been idle this long.
_V3_REFRESH_AFTER = 140.0

Socket = SnmpV2cClientSocket | SnmpV3ClientSocket


_TAGS: dict[type, str] = {int: "int", bytes: "octets", float: "float"}  # gufo_tag's answer for these types
_first = operator.itemgetter(0)
# Varbind(...) runs the named tuple's Python-level __new__: building the tuple directly costs half.
_new = tuple.__new__


def gufo_tag(value: Value) -> str:
    """The type tag we can infer from a decoded gufo value (see engine.py for why it is coarse)."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is int:
        return "int"
    if kind is bytes:
        return "octets"
    if kind is float:
        return "float"
    parts = value.split(".")  # type: ignore[union-attr]
    if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
        return "ipaddress"
    return "oid"


def _is_panic(exc: BaseException) -> bool:
    # pyo3 raises PanicException (a BaseException) when the Rust decoder panics on garbage.
    return type(exc).__name__ == "PanicException"


class _Oversize(SnmpError):
    """An answer beyond gufo_snmp's buffer: the engine retries with fewer repetitions, then with pysnmp."""


@dataclass(slots=True)
class _Conn:
    sock: Socket
    fd: int
    # A duplicate of the socket, to peek at each datagram (size, SNMPv2c error-status) before gufo_snmp
    # reads it: rawpdu.py says why.
    peek: socket.socket
    prefix: bytes = field(repr=False)  # SNMPv2c: version and community (a secret) of every answer; b"" in v3
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_used: float = 0.0
    proven: bool = False  # has answered at least once with these credentials
    ready: bool = False  # SNMPv3: engine discovered and keys set


class GufoEngine:
    """SnmpEngine over gufo_snmp, for SNMPv2c and SNMPv3 without a context name."""

    def __init__(self, max_sessions: int | None = None, *, walk_seconds: float = WALK_DEADLINE,
                 walk_varbinds: int = MAX_WALK_VARBINDS) -> None:
        """`max_sessions`: sockets kept open between polls, least recently used closed first. By default
        as many as the open-files limit allows (raised to its hard limit; each session holds two
        descriptors): a device whose socket was closed pays a new socket at its next poll and, in SNMPv3,
        two more round trips of discovery. `walk_seconds` and `walk_varbinds` bound every walk."""
        self._conns: collections.OrderedDict[Target, _Conn] = collections.OrderedDict()
        self._max_sessions = max_sessions if max_sessions is not None else socket_budget() // 2
        self._walk_seconds, self._walk_varbinds = walk_seconds, walk_varbinds
        self._repetitions: dict[Target, int] = {}  # targets whose answers need fewer than asked
        self._fallback: SnmpEngine | None = None  # pysnmp, for answers beyond gufo_snmp's buffer

    async def get(self, target: Target, oids: Sequence[str]) -> list[Varbind]:
        wanted = [normalise_oid(o) for o in oids]

        async def op(conn: _Conn) -> list[Varbind]:
            got: dict[str, Value] = {}
            for part in chunks(wanted):
                got.update(await self._exchange(
                    conn, target, lambda p=part: conn.sock.send_get_many(list(p)), conn.sock.recv_get_many, "get"))
            # gufo_snmp leaves absent objects out of its answer; put them back, flagged, in order.
            return [Varbind(o, got[o], gufo_tag(got[o])) if o in got else Varbind(o, None, "nosuchobject")
                    for o in wanted]

        try:
            varbinds = await self._with_conn(target, op)
        except _Oversize:
            return await self._pysnmp().get(target, oids)
        all_absent(wanted, varbinds, target.endpoint)
        return varbinds

    async def bulk_walk(self, target: Target, root: str, max_repetitions: int = 25) -> list[Varbind]:
        repetitions = min(max_repetitions, self._repetitions.get(target, max_repetitions))
        while True:
            try:
                return await self._walk(target, root, repetitions)
            except _Oversize:
                if repetitions == 1:  # one varbind is beyond gufo_snmp's buffer: pysnmp takes any size
                    return await self._pysnmp().bulk_walk(target, root, max_repetitions)
                repetitions = self._repetitions[target] = max(1, repetitions // 2)

    def _pysnmp(self) -> SnmpEngine:
        if self._fallback is None:
            from collector.snmp.pysnmp_engine import PysnmpEngine

            self._fallback = PysnmpEngine(walk_seconds=self._walk_seconds, walk_varbinds=self._walk_varbinds)
        return self._fallback

    async def _walk(self, target: Target, root: str, max_repetitions: int) -> list[Varbind]:
        base = normalise_oid(root)
        limit = self._walk_varbinds

        async def op(conn: _Conn) -> list[Varbind]:
            it = GetIter(base, max_repetitions)
            out: list[Varbind] = []
            last: tuple[int, ...] | None = None  # the key of the last OID received

            def recv() -> list[tuple[str, Value] | None]:
                try:
                    return conn.sock.recv_get_bulk(it)
                except StopAsyncIteration:  # gufo_snmp's way of saying end of MIB view
                    return []

            def on_reply(batch: list[tuple[str, Value] | None]) -> bool:
                nonlocal last
                if not batch:
                    return True
                first = batch[0]
                if first is not None and last is not None and oid_key(first[0]) <= last:
                    # An agent looping on the same rows would keep us walking forever.
                    raise SnmpError(DownReason.malformed_response,
                                    f"{target.endpoint}: walk of {base} went backwards at {first[0]}")
                # gufo_snmp marks the end (subtree left, end of MIB view) with a None.
                ended = None in batch
                items = batch[:batch.index(None)] if ended else batch
                count = len(items)
                if len(set(map(_first, items))) != count:  # C-level: the hot path of every answer
                    repeated(target, f"walk of {base}", [item[0] for item in items])  # type: ignore[index]
                out.extend([_new(Varbind, (o, v, _TAGS.get(type(v)) or gufo_tag(v))) for o, v in items])  # type: ignore[misc]
                check_walk_size(target, base, len(out), limit)
                if ended or not count:
                    return True
                last = oid_key(out[-1].oid)
                return False

            async with walk_deadline(target, base, self._walk_seconds):
                await _Exchange(asyncio.get_running_loop(), conn, target, "walk", lambda: conn.sock.send_get_bulk(it),
                                recv, on_reply).run()
            return out

        varbinds = await self._with_conn(target, op)
        if not varbinds:
            raise SnmpError(DownReason.no_such_object, f"{target.endpoint}: nothing under {base}")
        return varbinds

    async def close(self) -> None:
        # The Rust sockets close their descriptor when dropped; our duplicates are closed here.
        for conn in self._conns.values():
            conn.peek.close()
        self._conns.clear()
        self._repetitions.clear()
        if self._fallback is not None:
            await self._fallback.close()
            self._fallback = None

    # -- sessions ---------------------------------------------------------------------------------

    async def _with_conn(self, target: Target, op: Callable[[_Conn], Awaitable[T]]) -> T:
        for attempt in (1, 2):
            conn = self._conn(target)
            async with conn.lock:
                try:
                    if not conn.ready:
                        await self._discover(conn, target)
                        conn.ready = True
                    else:
                        await self._refresh_if_idle(conn, target)
                    result = await op(conn)
                except SnmpError as exc:
                    self._drop(target, conn)
                    # A proven v3 session failing auth, or hearing only replies it cannot use, usually
                    # means the agent rebooted (new engine boots) or was replaced: rediscover once.
                    stale = exc.reason is DownReason.auth_failure or exc.heard
                    if attempt == 1 and conn.proven and target.version == "3" and stale:
                        continue
                    raise
                conn.proven = True
                conn.last_used = asyncio.get_running_loop().time()
                return result
        raise AssertionError("unreachable")

    def _drop(self, target: Target, conn: _Conn) -> None:
        if self._conns.get(target) is conn:
            del self._conns[target]
            conn.peek.close()

    def _conn(self, target: Target) -> _Conn:
        conn = self._conns.get(target)
        if conn is not None:
            self._conns.move_to_end(target)
            return conn
        try:
            conn = self._open(target)
        except OSError as exc:  # e.g. no route for an IPv6 target on an IPv4-only host
            raise SnmpError(DownReason.unreachable, f"{target.endpoint}: cannot open a socket: {exc}") from None
        self._conns[target] = conn
        if len(self._conns) > self._max_sessions:
            self._conns.popitem(last=False)[1].peek.close()
        return conn

    @staticmethod
    def _open(target: Target) -> _Conn:
        addr = format_sock_addr(target.address, target.port)
        sock: Socket
        if target.version == "2c":
            assert target.community is not None
            sock = SnmpV2cClientSocket(addr, target.community.get_secret_value(), 0, 0, 0, 0)
        else:
            # Engine id unknown yet: an anonymous socket discovers it, then gets the user's keys.
            anon = User.default()
            sock = SnmpV3ClientSocket(addr, b"", anon.name, 0, b"", 0, b"", 0, 0, 0, 0)
        fd = sock.get_fd()
        peek = socket.socket(fileno=os.dup(fd))
        peek.setblocking(False)
        prefix = v2c_prefix(target.community.get_secret_value().encode()) if target.community is not None else b""
        return _Conn(sock=sock, fd=fd, peek=peek, prefix=prefix, ready=target.version == "2c")

    async def _discover(self, conn: _Conn, target: Target) -> None:
        sock = conn.sock
        assert isinstance(sock, SnmpV3ClientSocket)
        await self._exchange(conn, target, sock.send_refresh, sock.recv_refresh, "engine discovery")
        user = _user(target)
        sock.set_keys(user.name, user.get_auth_alg(), user.get_auth_key(), user.get_priv_alg(), user.get_priv_key())
        if user.require_auth():
            await self._exchange(conn, target, sock.send_refresh, sock.recv_refresh, "time synchronisation")
        conn.last_used = asyncio.get_running_loop().time()

    async def _refresh_if_idle(self, conn: _Conn, target: Target) -> None:
        sock = conn.sock
        if isinstance(sock, SnmpV3ClientSocket) and \
                asyncio.get_running_loop().time() - conn.last_used > _V3_REFRESH_AFTER:
            await self._exchange(conn, target, sock.send_refresh, sock.recv_refresh, "time synchronisation")

    # -- request/response exchanges ---------------------------------------------------------------

    async def _exchange(self, conn: _Conn, target: Target, send: Callable[[], None], recv: Callable[[], T],
                        what: str) -> T:
        """One request and its answer."""
        box: list[T] = []

        def keep(result: T) -> bool:
            box.append(result)
            return True

        await _Exchange(asyncio.get_running_loop(), conn, target, what, send, recv, keep,
                        whole_answer=what == "get").run()
        return box[0]


class _Exchange:
    """Requests on one socket, each sent as soon as the previous answer is in, driven by loop callbacks.

    The reader callback receives the answer and sends the next request itself; the coroutine awaits
    only the end of the whole exchange (a walk is ~85 requests for a 48-port switch). Awaiting each
    request instead (a future, a reader registered and removed, a timer and a task switch per request)
    cost 4x the CPU of a blocking loop over the same socket, now 1.7x (benchmarks/poll_breakdown.py).

    `on_reply(answer)` returns True when the exchange is complete, False to send the next request (the
    `send` callable reads the walk position that `recv` advanced), or raises SnmpError. Each request
    has its own timeout and retries; a timer is re-armed only when it fires, not at every request.
    """

    __slots__ = (
        "attempts",
        "buf",
        "deadline",
        "done",
        "fd",
        "ignored",
        "loop",
        "malformed",
        "on_reply",
        "peek",
        "peeking",
        "prefix",
        "recv",
        "send",
        "target",
        "timer",
        "what",
        "whole",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, conn: _Conn, target: Target, what: str,
                 send: Callable[[], None], recv: Callable[[], T], on_reply: Callable[[T], bool], *,
                 whole_answer: bool = False) -> None:
        self.loop, self.fd, self.target, self.what = loop, conn.fd, target, what
        self.send, self.recv, self.on_reply = send, recv, on_reply
        self.peek, self.prefix = conn.peek, conn.prefix
        # What a peek copies: the whole answer to look for repeated OIDs (a GET), else its header only.
        self.whole = whole_answer and bool(conn.prefix)
        self.buf = bytearray(GUFO_MAX_DATAGRAM if self.whole else 256)
        self.peeking = what != "walk"  # gets and SNMPv3 discovery: few answers, each looked at
        self.done: asyncio.Future[None] = loop.create_future()
        self.timer: asyncio.TimerHandle | None = None
        self.deadline = 0.0
        self.attempts = 0  # sends of the current request
        self.malformed = ""  # of the current request: why its answers were undecodable
        self.ignored = 0  # of the current request: datagrams heard that were not its answer

    async def run(self) -> None:
        self.loop.add_reader(self.fd, self._readable)
        try:
            self._send()
            await self.done
        finally:
            self.loop.remove_reader(self.fd)
            if self.timer is not None:
                self.timer.cancel()

    def _send(self) -> None:
        self.attempts += 1
        wait = self.target.timeout
        try:
            self.send()
        except BlockingIOError:
            wait = min(wait, 0.01)  # send buffer full: this attempt is lost, the next one re-sends soon
        except OSError as exc:
            self._fail(SnmpError(DownReason.unreachable, f"{self.target.endpoint}: {self.what}: {exc}"))
            return
        self.deadline = self.loop.time() + wait
        if self.timer is None or self.deadline < self.timer.when():
            if self.timer is not None:
                self.timer.cancel()
            self.timer = self.loop.call_at(self.deadline, self._expired)

    def _expired(self) -> None:
        self.timer = None
        if self.done.done():
            return
        if self.loop.time() < self.deadline:  # answers came in meanwhile: the current request is younger
            self.timer = self.loop.call_at(self.deadline, self._expired)
        elif self.attempts <= self.target.retries:
            self._send()
        else:
            self._timed_out()

    def _timed_out(self) -> None:
        endpoint, what = self.target.endpoint, self.what
        if self.malformed:
            self._fail(SnmpError(DownReason.malformed_response,
                                 f"{endpoint}: {what}: only malformed answers ({self.malformed})"))
        else:
            self._fail(SnmpError(DownReason.timeout, f"{endpoint}: {what}: no answer in {self.attempts} x "
                                 f"{self.target.timeout:g} s", heard=self.ignored > 0))

    def _fail(self, exc: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(exc)

    def _readable(self) -> None:
        if self.done.done():
            return
        header = None
        if self.peeking:
            try:
                size = self.peek.recv_into(self.buf, len(self.buf), socket.MSG_PEEK | socket.MSG_TRUNC)
            except BlockingIOError:
                return
            except OSError as exc:  # e.g. ICMP port unreachable: reported once, to whichever reads first
                self._unusable(exc)
                return
            if size > GUFO_MAX_DATAGRAM:
                self.peek.recv(1)  # gufo_snmp would read it cut short: take it off the queue ourselves
                self._fail(_Oversize(DownReason.malformed_response, f"{self.target.endpoint}: {self.what}: an "
                                     f"answer of {size:,} bytes, beyond gufo_snmp's {GUFO_MAX_DATAGRAM:,}"))
                return
            if self.prefix:
                header = v2c_header(self.buf, self.prefix)
        try:
            answer = self.recv()
        except BlockingIOError:  # a reply to another request id, or a report it swallowed
            self.ignored += 1
            return
        except BaseException as exc:
            self._unusable(exc)
            return
        if header is not None and (header.error_status or (self.whole and repeated_oid(self.buf, header.varbinds_at))):
            # gufo_snmp took it as the answer to our request (its request id): what it ignored decides.
            endpoint, what = self.target.endpoint, self.what
            if header.error_status:
                self._fail(SnmpError(DownReason.error, f"{endpoint}: {what}: agent error "
                                     f"{status_name(header.error_status)} at index {header.error_index}"))
            else:
                self._fail(SnmpError(DownReason.malformed_response, f"{endpoint}: {what}: the same OID twice in "
                                     "one answer"))
            return
        if not answer and not self.peeking and self.prefix:
            # An empty answer ends a walk: endOfMibView, or an error-status gufo_snmp ignored (an agent's
            # genErr echoes the request's varbinds with NULL values). Ask once more, looking at the answer.
            self._look_again()
            return
        try:
            complete = self.on_reply(answer)
        except SnmpError as exc:
            self._fail(exc)
            return
        if complete:
            self.done.set_result(None)
            return
        self.attempts, self.malformed, self.ignored = 0, "", 0
        self._send()

    def _look_again(self) -> None:
        """Send the current request again and peek at its answers from now on (walks do not, to save a
        system call per answer: their answers are looked at only when they end or fail to decode)."""
        self.peeking = True
        self._send()

    def _unusable(self, exc: BaseException) -> None:
        """An answer that could not be received or decoded: fail, or keep listening for a good one."""
        endpoint, what = self.target.endpoint, self.what
        if isinstance(exc, SnmpAuthError):
            self._fail(SnmpError(DownReason.auth_failure, f"{endpoint}: {what}: SNMPv3 authentication failed"))
        elif isinstance(exc, SnmpDecodeError):  # keep listening: the real answer may still come
            self.malformed = str(exc)
            if not self.peeking:  # perhaps beyond gufo_snmp's buffer, cut: ask again, looking at its size
                self._look_again()
        elif isinstance(exc, GufoError):
            self._fail(SnmpError(DownReason.error, f"{endpoint}: {what}: {exc}"))
        elif isinstance(exc, OSError):
            # gufo_snmp reports an ICMP port unreachable as TimeoutError("connection refused").
            if isinstance(exc, ConnectionRefusedError) or "refused" in str(exc):
                self._fail(SnmpError(DownReason.refused, f"{endpoint}: {what}: port unreachable (ICMP)"))
            else:
                self._fail(SnmpError(DownReason.unreachable, f"{endpoint}: {what}: {exc}"))
        elif _is_panic(exc):
            self.malformed = "undecodable datagram"
        elif isinstance(exc, Exception):
            self._fail(exc)
        else:
            raise exc


def _user(target: Target) -> User:
    v3 = target.v3
    assert v3 is not None
    auth = _AUTH_KEYS[v3.auth_protocol](v3.auth_key.get_secret_value().encode()) \
        if v3.auth_protocol and v3.auth_key else None
    priv = _PRIV_KEYS[v3.priv_protocol](v3.priv_key.get_secret_value().encode()) \
        if v3.priv_protocol and v3.priv_key else None
    return User(v3.user, auth_key=auth, priv_key=priv)
