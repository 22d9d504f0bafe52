"""What thdmon runs on each platform it supports over SSH, declared once: the backup command, the
volatile lines removed before comparing, the masking family, the facts commands and their parsers.

Keyed by the inventory profile's `ssh_platform` (a netmiko device_type). A platform not listed here is
reported (reason `unsupported`), never guessed: its secrets syntax would be untested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Fact:
    command: str
    template: str  # ntc-templates platform ("ntc:cisco_ios") or a template of collector/ssh/templates/
    os: str  # the `os` label of thdmon_device_software_info


@dataclass(frozen=True, slots=True)
class Platform:
    device_type: str  # netmiko
    family: str  # masking rules (collector.ssh.mask)
    backup: str  # the command printing the running configuration
    volatile: re.Pattern[str]  # lines that change without a configuration change
    version: Fact


_IOS_VOLATILE = re.compile(r"^(?:Building configuration\.\.\.|Current configuration : \d+ bytes|"
                           r"! Last configuration change at .*|! NVRAM config last updated at .*|"
                           r"! No configuration change since last restart|ntp clock-period \d+)\s*$")
_IOS = dict(family="ios", backup="show running-config", volatile=_IOS_VOLATILE,
            version=Fact("show version", "ntc:cisco_ios", "ios"))

PLATFORMS: dict[str, Platform] = {
    "cisco_ios": Platform("cisco_ios", **_IOS),  # type: ignore[arg-type]
    "cisco_xe": Platform("cisco_xe", **_IOS),  # type: ignore[arg-type]
    "aruba_aoscx": Platform("aruba_aoscx", "aoscx", "show running-config",
                            re.compile(r"^Current configuration:\s*$"),
                            Fact("show system", "ntc:aruba_aoscx", "aos-cx")),
    "fortinet": Platform("fortinet", "fortios", "show",
                         re.compile(r"^#conf_file_ver=\d+\s*$"),
                         Fact("get system status", "fortinet_get_system_status.textfsm", "fortios")),
}


def clean(text: str, platform: Platform) -> str:
    """The configuration as stored: volatile lines out, CRLF and trailing blanks normalised, leading and
    trailing empty lines dropped, one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept = [line for line in lines if not platform.volatile.match(line)]
    while kept and not kept[0]:
        kept.pop(0)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n"
