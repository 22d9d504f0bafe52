"""A running `thdmon serve` fed hostile inventory files (issue 11, defects 1, 2 and 5): each reload fails
with one log line naming the problem (never a secret, never raw escapes), /metrics keeps answering with
the previous inventory's device, memory stays bounded, and SIGTERM still ends the process.

Peers: net-snmp snmpd and `thdmon serve` as subprocesses (tests/integration/serve), nothing mocked.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from tests.integration.hostile.test_inventory_files import FIXTURES
from tests.integration.hostile.test_misplaced_secrets import MISPLACED, PASTED
from tests.integration.serve.test_serve import Serve, _up
from tests.peers import until

DEVICE = "sw-col-jj-acc1"
MAX_RSS_MIB = 250.0


def _failed_reloads(handle: Serve) -> float:
    samples = handle.metrics().get(("thdmon_collector_inventory_reloads_total", ""), [])
    return sum(s.value for s in samples if s.labels["result"] == "failed")


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _fixture(name: str) -> Callable[[Path], None]:
    return lambda path: path.write_bytes((FIXTURES / name).read_bytes())


HOSTILE: list[tuple[str, Callable[[Path], None], str]] = [
    ("x.yaml", _fifo, "refused: a FIFO, not a regular file"),
    ("zero.yaml", _zero, "refused: a character device, not a regular file"),
    ("bomb.yaml", _fixture("alias-bomb-983.yaml"), "aliases expand this document by more than"),
    ("misplaced.yaml", lambda p: p.write_text(MISPLACED), "no credential of that name"),
    ("\x1b[2J.yaml", _fixture("date-feb-30.yaml"), "should be a valid date"),
]


def test_hostile_reloads_fail_cleanly_and_serve_keeps_answering(tmp_path: Path, serve: Serve) -> None:
    until("first poll of snmpd", lambda: _up(serve, DEVICE) == 1.0, timeout=60)
    inventory = tmp_path / "inventory"
    for name, make, words in HOSTILE:
        before = _failed_reloads(serve)
        make(inventory / name)
        started = time.monotonic()
        serve.process.send_signal(signal.SIGHUP)  # a FIFO is no regular file: the watcher may not see it
        until(f"failed reload of {name!r}", lambda b=before: _failed_reloads(serve) > b, timeout=40)
        assert time.monotonic() - started < 40  # ~1 s alone; the shared machine may be loaded
        assert _up(serve, DEVICE) == 1.0  # still answering, with the previous inventory
        log = serve.log.read_text(errors="replace")
        failure = [line for line in log.splitlines() if "event=inventory_reload_failed" in line][-1]
        assert words in failure, failure
        (inventory / name).unlink()
    log = serve.log.read_text(errors="replace")
    assert PASTED not in log and "\x1b" not in log and "Traceback" not in log
    assert r"\x1b[2J.yaml" in log  # the file is named, escaped
    assert _peak_rss_mib(serve.process.pid) < MAX_RSS_MIB

    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.wait(timeout=15) == 0
