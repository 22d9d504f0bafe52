"""Which ICMP sockets thdmon opens, decided at start-up, with the least privilege that works.

The process is root here; `setpriv` removes CAP_NET_RAW from the child (bounding and inheritable sets),
which is what a service without `AmbientCapabilities=CAP_NET_RAW` gets. The unprivileged path is then
allowed or refused by `net.ipv4.ping_group_range`, set by the test and restored.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

RANGE = Path("/proc/sys/net/ipv4/ping_group_range")
PROBE = ("import asyncio\n"
         "from collector.icmp.poller import icmp_mode\n"
         "from collector.icmp.prober import Prober\n"
         "mode = icmp_mode()\n"
         "rtts, sent = asyncio.run(Prober(privileged=mode == 'raw').echo('127.0.0.1', 2, 0.05, 1.0))\n"
         "print(mode, len(rtts) == sent == 2)\n")


def _run(*, without_net_raw: bool) -> subprocess.CompletedProcess[str]:
    prefix = ["setpriv", "--bounding-set", "-net_raw", "--inh-caps", "-net_raw", "--"] if without_net_raw else []
    return subprocess.run([*prefix, sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)


@pytest.fixture
def ping_range() -> Iterator[Path]:
    require(shutil.which("setpriv") is not None, "setpriv (util-linux) not installed")
    try:
        saved = RANGE.read_text()
        RANGE.write_text(saved)
    except OSError as exc:
        require(False, f"{RANGE} is not writable here ({exc}): cannot switch unprivileged ICMP on and off")
    yield RANGE
    RANGE.write_text(saved)


def test_raw_sockets_with_cap_net_raw_datagram_without_and_a_clear_error_with_neither(ping_range: Path):
    require(_run(without_net_raw=False).stdout.startswith("raw"), "this test process lacks CAP_NET_RAW itself")
    assert _run(without_net_raw=False).stdout.split() == ["raw", "True"]
    ping_range.write_text("0 2147483647")  # every group may open ICMP datagram sockets
    assert _run(without_net_raw=True).stdout.split() == ["datagram", "True"]
    ping_range.write_text("1 0")  # nobody may
    refused = _run(without_net_raw=True)
    assert refused.returncode != 0
    assert "CAP_NET_RAW" in refused.stderr and "ping_group_range" in refused.stderr
