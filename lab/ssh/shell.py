"""The emulated network-OS CLI of one SSH session: prompt, echo, commands, pager, failure modes.

It runs in the lab's SSH server process (asyncio), fed by the relay that sshd starts as the session's
command (`lab.ssh.server`), so sessions share the devices' data and the failure switches. The relay puts
the terminal in raw mode: like a real switch, this side echoes what is typed, reads a pager's single key
and ends its lines with CRLF.

Failure modes (set by `thdmon lab fail DEVICE --mode ssh-...`, read at each command):
- hang: the session is authenticated, then nothing is ever printed again;
- slow: output trickles out, 256 bytes every `delay` seconds;
- disconnect: a `show` command's output is cut in the middle and the connection closed;
- pager: paging cannot be disabled (the disable command is accepted and ignored), `--More--` every 24 lines;
- flood: a `show` command's output never ends (64 KiB at a time, until the client leaves).
(wrong password, changed host key and refused connections are sshd's and the server's business.)
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.ssh import configs

PAGE_LINES = 24


@dataclass(frozen=True, slots=True)
class Platform:
    prompt: str  # format with hostname
    silent: tuple[str, ...]  # session set-up commands answered with nothing
    pager: str  # what the device prints when a page is full
    invalid: str  # answer to an unknown command
    backspaces: bool = True  # erase the pager prompt once a key was pressed (IOS prints BS SP BS)


PLATFORMS: dict[str, Platform] = {
    "ios": Platform("{h}#", ("terminal length 0", "terminal width 511", "terminal no monitor"), " --More-- ",
                    "% Invalid input detected at '^' marker."),
    "aoscx": Platform("{h}# ", ("no page",), "-- MORE --, next page: Space, next line: Enter, quit: Control-C",
                      "Invalid input: {cmd}"),
    "fortios": Platform("{h} # ", ("config system console", "set output standard", "end"), "--More-- ",
                        "Unknown action 0\nCommand fail. Return code -1"),
}


def _ios_version(h: str, uptime: int) -> str:
    days, hours, minutes = uptime // 86400, uptime % 86400 // 3600, uptime % 3600 // 60
    return "\n".join([
        "Cisco IOS XE Software, Version 17.09.04a",
        "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.9.4a, "
        "RELEASE SOFTWARE (fc3)",
        "Technical Support: http://www.cisco.com/techsupport", "Copyright (c) 1986-2023 by Cisco Systems, Inc.",
        "", "ROM: IOS-XE ROMMON", f"{h} uptime is {days} days, {hours} hours, {minutes} minutes",
        "Uptime for this control processor is 4 weeks, 1 day, 2 hours, 11 minutes",
        "System returned to ROM by Reload Command", 'System image file is "flash:packages.conf"',
        "Last reload reason: Reload Command", "",
        "cisco C9200L-48P-4X (ARM64) processor with 1380547K/6147K bytes of memory.",
        "Processor board ID JAE24410ABC", "Configuration register is 0x102", ""])


def _aoscx_system(h: str, uptime: int) -> str:
    days, hours, minutes = uptime // 86400, uptime % 86400 // 3600, uptime % 3600 // 60
    return "\n".join([
        f"Hostname           : {h}", "System Description : FL.10.13.1000", "System Contact     : ",
        "System Location    : ", "", "Vendor             : Aruba",
        "Product Name       : JL675A 6100 48G CL4 4SFP+ Swch", "Chassis Serial Nbr : CN12KMX0AB",
        "Base MAC Address   : 9020c2-abcdef", "ArubaOS-CX Version : FL.10.13.1000", "",
        "Time Zone          : Europe/Paris", "",
        f"Up Time            : {days} days, {hours} hours, {minutes} minutes",
        "CPU Util (%)       : 3", "Memory Usage (%)   : 21", ""])


def _fortios_status(h: str, uptime: int) -> str:
    return "\n".join([
        "Version: FortiGate-60F v7.2.5,build1517,230606 (GA.F)", "Firmware Signature: certified",
        "Virus-DB: 91.08985(2023-11-20 13:25)", "Serial-Number: FGT60FTK2109ABCD",
        "BIOS version: 05000006", "Log hard disk: Not available", f"Hostname: {h}",
        "Private Encryption: Disable", "Operation Mode: NAT", "Current virtual domain: root",
        "Max number of virtual domains: 10", "Virtual domains status: 1 in NAT mode, 0 in TP mode",
        "Virtual domain configuration: disable", "FIPS-CC mode: disable", "Current HA mode: standalone",
        "Branch point: 1517", "Release Version Information: GA",
        f"System time: {time.strftime('%a %b %d %H:%M:%S %Y', time.gmtime())}",
        f"Last reboot reason: warm reboot (uptime {uptime} s)", ""])


class Session:
    """One CLI session of one device."""

    def __init__(self, hostname: str, platform: str, runtime: Path, failure: Callable[[], dict[str, Any]],
                 reader: asyncio.StreamReader, writer: asyncio.StreamWriter, started: float) -> None:
        self.h, self.kind, self.runtime = hostname, platform, runtime
        self.platform = PLATFORMS[platform]
        self.failure = failure
        self.reader, self.writer = reader, writer
        self.started = started
        self.paging = True
        self.rng = random.Random()
        self.mode_stack: list[str] = []
        self.after_cr = False

    @property
    def prompt(self) -> str:
        if self.kind == "fortios" and self.mode_stack:
            return f"{self.h} ({self.mode_stack[-1]}) # "
        return self.platform.prompt.format(h=self.h)

    async def write(self, text: str) -> None:
        self.writer.write(text.replace("\r\n", "\n").replace("\n", "\r\n").encode())
        await self.writer.drain()

    async def read_line(self) -> str | None:
        """A line as a device reads it: echoed, CR, LF or CRLF ends it; None when the client left."""
        buf = bytearray()
        while True:
            b = await self.reader.read(1)
            if not b:
                return None
            if b == b"\n" and self.after_cr:  # the LF of a CRLF: the line was already ended by its CR
                self.after_cr = False
                continue
            self.after_cr = b == b"\r"
            if b in (b"\r", b"\n"):
                await self.write("\n")
                return buf.decode(errors="replace")
            if b in (b"\x7f", b"\x08"):
                if buf:
                    buf.pop()
                    self.writer.write(b"\x08 \x08")
                continue
            buf += b
            self.writer.write(b)

    async def run(self, command: str | None) -> None:
        if self.failure().get("mode") == "hang":
            await self.reader.read()  # authenticated, then silent until the client gives up
            return
        if command:  # `ssh device "show running-config"`: one command, no prompt, no pager
            self.paging = False
            await self.write(await self.answer(command.strip()) or "")
            return
        await self.write("\n" + self.prompt)
        while True:
            line = await self.read_line()
            if line is None:
                return
            cmd = line.strip()
            if cmd in ("exit", "quit", "logout") and not self.mode_stack:
                return
            out = await self.answer(cmd)
            if out is None:
                return  # disconnected on purpose
            if out:
                if not await self.emit(out):
                    return
            await self.write(self.prompt)

    async def emit(self, text: str) -> bool:
        """Print a command's output: slowly, cut, or paged as the failure mode says. False: session over."""
        failure = self.failure()
        mode = failure.get("mode")
        if not text.endswith("\n"):
            text += "\n"
        if mode == "flood" and len(text) > 200:
            block = ("!" * 79 + "\n") * 800
            while not self.writer.is_closing():
                await self.write(block)
            return False
        if mode == "disconnect" and len(text) > 200:
            await self.write(text[: len(text) // 2])
            self.writer.close()
            return False
        if mode == "slow":
            delay = float(failure.get("delay") or 3.0)
            for i in range(0, len(text), 256):
                await self.write(text[i:i + 256])
                await asyncio.sleep(delay)
            return True
        lines = text.splitlines(keepends=True)
        if not (mode == "pager" or self.paging) or len(lines) <= PAGE_LINES:
            await self.write(text)
            return True
        for start in range(0, len(lines), PAGE_LINES):
            await self.write("".join(lines[start:start + PAGE_LINES]))
            if start + PAGE_LINES >= len(lines):
                break
            self.writer.write(self.platform.pager.encode())
            await self.writer.drain()
            key = await self.reader.read(1)
            if not key:
                return False
            n = len(self.platform.pager)
            self.writer.write(b"\x08" * n + b" " * n + b"\x08" * n)
            if key in (b"q", b"Q", b"\x03"):
                return True
        return True

    async def answer(self, cmd: str) -> str | None:
        """The output of one command ('' for none); None to drop the connection."""
        if not cmd:
            return ""
        failure = self.failure()
        if self.kind == "fortios" and (cmd.startswith("config ") or cmd in ("end", "next")
                                       or (self.mode_stack and cmd.split()[0] in ("set", "unset", "edit"))):
            return self._fortios_mode(cmd)
        if cmd in self.platform.silent:
            if failure.get("mode") != "pager":
                self.paging = False
            return ""
        base, _, grep = cmd.partition(" | grep ")
        out = self._command(base.strip())
        if out is None:
            out = self.platform.invalid.format(cmd=cmd)
        elif grep:
            out = "\n".join(line for line in out.splitlines() if grep.strip() in line)
        return out

    def _fortios_mode(self, cmd: str) -> str:
        if cmd.startswith("config "):
            self.mode_stack.append(cmd.split()[-1])
        elif cmd == "end" and self.mode_stack:
            self.mode_stack.pop()
        elif cmd == "set output standard" and self.failure().get("mode") != "pager":
            self.paging = False
        return ""

    def _uptime(self) -> int:
        return int(time.time() - self.started)

    def _running(self) -> str:
        path = configs.path_of(self.runtime, self.h)
        return configs.render(path.read_text(encoding="utf-8"), self.kind, path.stat().st_mtime, self.rng)

    def _command(self, cmd: str) -> str | None:
        words = cmd.split()
        if self.kind == "ios":
            if re.fullmatch(r"sh(ow)? run(ning-config)?", cmd):
                return self._running()
            if re.fullmatch(r"sh(ow)? ver(sion)?", cmd):
                return _ios_version(self.h, self._uptime())
        elif self.kind == "aoscx":
            if words[:2] == ["show", "running-config"]:
                return self._running()
            if cmd == "show system":
                return _aoscx_system(self.h, self._uptime())
        elif self.kind == "fortios":
            if cmd in ("show", "show full-configuration"):
                return self._running()
            if cmd == "get system status":
                return _fortios_status(self.h, self._uptime())
            if cmd == "get system console":
                return "output              : " + ("more" if self.paging else "standard")
        return None
