"""ICMP failures of the lab: echo requests to a device's 127.x address dropped by an nftables rule.

The kernel answers ICMP echo for every 127.0.0.0/8 address, so a device is made ICMP-unreachable with a
drop rule in a table of the lab's own (one per lab runtime: concurrent labs never touch each other's),
removed by `heal` and at `stop`. Needs CAP_NET_ADMIN (the lab runs as root here); `nft` comes from
Debian's nftables. Arguments are passed as a list and addresses are parsed first: no shell, no
injection from an inventory value.
"""

from __future__ import annotations

import hashlib
import ipaddress
import shutil
import subprocess
from pathlib import Path

from lab.errors import LabError

SET = "icmp_blocked"


def table_name(runtime: Path) -> str:
    return "thdmon_lab_" + hashlib.sha1(str(runtime.resolve()).encode(), usedforsecurity=False).hexdigest()[:10]


def _nft(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    nft = shutil.which("nft") or "/usr/sbin/nft"
    try:
        proc = subprocess.run([nft, *args], capture_output=True, text=True, timeout=10)
    except FileNotFoundError:
        raise LabError("nft (Debian package nftables) is needed to make a lab device ICMP-unreachable") from None
    if check and proc.returncode != 0:
        raise LabError(f"nft {' '.join(args[:3])}: {proc.stderr.strip() or proc.returncode}")
    return proc


def _ensure(table: str) -> None:
    _nft("add", "table", "ip", table)
    _nft("add", "chain", "ip", table, "input", "{ type filter hook input priority 0 ; policy accept ; }")
    _nft("add", "set", "ip", table, SET, "{ type ipv4_addr ; }")
    rules = _nft("list", "chain", "ip", table, "input").stdout
    if f"@{SET}" not in rules:
        _nft("add", "rule", "ip", table, "input", "ip", "daddr", f"@{SET}", "icmp", "type", "echo-request", "drop")


def block(runtime: Path, address: str) -> None:
    """Drop ICMP echo requests to `address` (SNMP and everything else still pass)."""
    ip = ipaddress.IPv4Address(address)
    table = table_name(runtime)
    _ensure(table)
    _nft("add", "element", "ip", table, SET, f"{{ {ip} }}")


def unblock(runtime: Path, address: str) -> None:
    ip = ipaddress.IPv4Address(address)
    _nft("delete", "element", "ip", table_name(runtime), SET, f"{{ {ip} }}", check=False)  # absent: fine


def clear(runtime: Path) -> None:
    _nft("delete", "table", "ip", table_name(runtime), check=False)
