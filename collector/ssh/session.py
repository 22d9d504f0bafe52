"""One SSH session (netmiko, blocking: run in the poller's thread pool): connect, pin the host key, run
commands, classify every failure into a DownReason with a detail that never holds a secret.

Bounds: `connect` (TCP and SSH banner), `auth`, `command` (each command's output), `session` (the
whole session, enforced from outside the thread by `Deadline`, which closes the socket: a blocked read
then fails at once and the pool's thread is free again).
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from dataclasses import dataclass

import paramiko
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout

from collector.model import DownReason
from collector.ssh.hostkeys import HostKeyChanged, KnownHosts, TofuPolicy
from collector.ssh.platforms import Platform

# paramiko logs every failed transport with a traceback at ERROR; the poller reports it once, as a reason.
logging.getLogger("paramiko.transport").setLevel(logging.CRITICAL)
# netmiko logs everything it reads at DEBUG: whole configurations, secrets unmasked. Never, even with
# `--debug` (tests/integration/ssh/test_backup.py runs at DEBUG and looks for the secrets).
logging.getLogger("netmiko").setLevel(logging.INFO)

# What a pager prints when a page is full, on the supported platforms: answered with a space.
_PAGERS = r"(?:--More--|-- MORE --, next page: Space, next line: Enter, quit: Control-C)"
PAGER = re.compile(_PAGERS + r"\s*$")
_ERASE = re.compile(rf"(?:\x08+ +\x08+)| ?{_PAGERS} ?")  # the pager prompt and the device's erasing of it


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds; the defaults are PollerOptions' (collector/poller.py), declared there once."""

    connect: float
    auth: float
    command: float
    session: float


@dataclass(frozen=True, slots=True)
class Target:
    hostname: str
    address: str
    port: int
    username: str
    password: str | None
    key_file: str | None
    platform: Platform

    def __repr__(self) -> str:  # never the password
        return f"Target({self.hostname}, {self.address}:{self.port}, {self.username}, {self.platform.device_type})"


class Disconnected(Exception):
    """The device closed the channel in the middle of a command."""


class OutputTooLarge(Exception):
    """A command's output went beyond the bound."""


class SessionFailure(Exception):
    def __init__(self, reason: DownReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class Deadline:
    """Closes a session's transport when its time is up, from a timer thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._conn: BaseConnection | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def attach(self, conn: BaseConnection) -> None:
        self._conn = conn

    def _expire(self) -> None:
        self.expired = True
        conn = self._conn
        # netmiko's read loops poll a closed channel until their own timeouts; without its channel the
        # next read raises at once, and the thread is free.
        channel = getattr(conn, "channel", None)
        if channel is not None:
            channel.remote_conn = None
        client = getattr(conn, "remote_conn_pre", None) if conn is not None else None
        if client is not None:
            transport = client.get_transport()
            if transport is not None:
                transport.close()

    def cancel(self) -> None:
        self._timer.cancel()


def _classify(exc: BaseException, target: Target, timeouts: Timeouts, deadline: Deadline) -> SessionFailure:
    where = f"{target.address}:{target.port}"
    if deadline.expired:
        return SessionFailure(DownReason.timeout, f"{where}: session exceeded {deadline.seconds:g} s")
    if isinstance(exc, HostKeyChanged):
        return SessionFailure(DownReason.host_key_changed, f"{where}: {exc}")
    if isinstance(exc, NetmikoAuthenticationException | paramiko.AuthenticationException):
        return SessionFailure(DownReason.auth_failure, f"{where}: authentication failed as {target.username}")
    if isinstance(exc, NetmikoTimeoutException):
        cause = exc.__context__
        if isinstance(cause, ConnectionRefusedError):
            return SessionFailure(DownReason.refused, f"{where}: connection refused")
        if isinstance(cause, paramiko.SSHException) and "banner" in str(cause).lower():
            return SessionFailure(DownReason.refused, f"{where}: closed before the SSH banner")
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError | socket.timeout):
            return SessionFailure(DownReason.unreachable, f"{where}: {type(cause).__name__}: {cause.strerror or cause}")
        return SessionFailure(DownReason.timeout, f"{where}: no SSH answer within {timeouts.connect:g} s")
    if isinstance(exc, ReadTimeout):
        return SessionFailure(DownReason.timeout, f"{where}: command output not complete in time")
    if isinstance(exc, Disconnected):
        return SessionFailure(DownReason.disconnected, f"{where}: the device closed the session during `{exc}`")
    if isinstance(exc, OutputTooLarge):
        return SessionFailure(DownReason.malformed_response, f"{where}: {exc}")
    if isinstance(exc, paramiko.SSHException) and "banner" in str(exc).lower():
        return SessionFailure(DownReason.refused, f"{where}: closed before the SSH banner")
    if isinstance(exc, EOFError | OSError | paramiko.SSHException):
        return SessionFailure(DownReason.disconnected, f"{where}: {type(exc).__name__}: session closed by the device")
    if isinstance(exc, ValueError):  # netmiko: a prompt or an answer it did not expect
        # Not the message: netmiko may quote what the device printed, and that may hold a secret.
        return SessionFailure(DownReason.malformed_response, f"{where}: unexpected answer during the session")
    return SessionFailure(DownReason.error, f"{where}: {type(exc).__name__}")


def _command(conn: BaseConnection, command: str, timeout: float, max_output: int) -> str:
    """Run `command` and return its output (echo and prompt removed). A pager that cannot be disabled is
    answered with spaces; output beyond `max_output` characters (a device that never stops talking) and a
    channel the device closed fail at once rather than at the timeout."""
    prompt = re.compile(rf"(?:^|\n){re.escape(conn.base_prompt)}[^\n]*[#>$]\s*$")
    conn.write_channel(command + conn.RETURN)
    # What comes before the device's echo of the command (a prompt left over from the session's set-up)
    # is not this command's: the prompt that ends the output is looked for only after the echo.
    head: str | None = ""
    chunks: list[str] = []
    tail, size = "", 0
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:  # also when output trickles in without end
            raise ReadTimeout(f"{command}: output not complete within {timeout:g} s")
        chunk = conn.read_channel()
        if not chunk:
            channel = conn.remote_conn
            if channel is not None and (channel.closed or channel.eof_received):
                raise Disconnected(command)
            time.sleep(0.01)
            continue
        size += len(chunk)
        if size > max_output:
            raise OutputTooLarge(f"{command}: more than {max_output} characters of output")
        if head is not None:
            head += chunk
            echo = head.find(command)
            if echo < 0:
                continue
            chunk, head = head[echo + len(command):], None
        chunks.append(chunk)
        tail = (tail + chunk)[-1024:]
        if PAGER.search(tail):
            conn.write_channel(" ")
            tail = ""
        elif prompt.search(tail):
            break
    lines = _ERASE.sub("", "".join(chunks)).split("\n")
    lines.pop(0)  # the rest of the echo's line
    lines.pop()  # the prompt
    return "\n".join(lines)


def run(target: Target, commands: list[str], timeouts: Timeouts, known: KnownHosts,
        max_output: int) -> tuple[dict[str, str], bool]:
    """The outputs of `commands` and whether the host key was pinned by this session; SessionFailure else."""
    deadline = Deadline(timeouts.session)
    deadline.start()
    conn: BaseConnection | None = None
    policy = TofuPolicy(known, target.hostname)
    done = False
    try:
        conn = ConnectHandler(
            device_type=target.platform.device_type, host=target.address, port=target.port,
            username=target.username, password=target.password or "", key_file=target.key_file,
            use_keys=target.key_file is not None, allow_agent=False, conn_timeout=timeouts.connect,
            banner_timeout=timeouts.connect, auth_timeout=timeouts.auth, read_timeout_override=None,
            system_host_keys=False, alt_host_keys=False, ssh_strict=False, auto_connect=False)
        conn.key_policy = policy
        deadline.attach(conn)
        conn._open()
        outputs = {cmd: _command(conn, cmd, timeouts.command, max_output) for cmd in commands}
        done = True
        return outputs, policy.pinned_now
    except Exception as exc:
        raise _classify(exc, target, timeouts, deadline) from None
    finally:
        deadline.cancel()
        _close(conn, graceful=done)


def _close(conn: BaseConnection | None, graceful: bool) -> None:
    """Log out politely after a good session; after a failure, drop the connection: a flooding or
    hanging device would hold netmiko's logout for its own timeouts."""
    if conn is None:
        return
    try:
        if graceful:
            conn.disconnect()
            return
    except Exception:  # noqa: S110 - dropped below
        pass
    client = getattr(conn, "remote_conn_pre", None)
    if client is not None:
        client.close()
