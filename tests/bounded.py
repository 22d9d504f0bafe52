"""Run a command under a memory cap and a deadline, and measure what it took: the hostile-input suites
assert that every bad input ends in a clear error within bounded time AND memory.

The cap is RLIMIT_AS (address space), set by `prlimit` before the command runs, so a runaway allocation fails fast
there instead of swapping the shared machine; the measure is the child's own peak RSS (wait4 rusage)
and wall time. A deadline overrun kills the child and is reported as a hang, never waited out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THDMON = ROOT / ".venv" / "bin" / "thdmon"
# Python, pydantic and rich alone take ~350 MB of address space (not of RSS): the cap is generous on
# purpose, the assertions on peak RSS are the tight ones.
DEFAULT_ADDRESS_SPACE = 1536 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    returncode: int | None  # None: killed at the deadline (a hang)
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mib: float

    @property
    def hung(self) -> bool:
        return self.returncode is None

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stderr or "MemoryError" in self.stderr


def run_bounded(argv: Sequence[str], *, timeout: float = 20.0, address_space: int = DEFAULT_ADDRESS_SPACE,
                env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Outcome:
    # Output to files, not pipes: the child is reaped with wait4, so nothing may block on a full pipe
    # meanwhile. Its peak memory is read from /proc (VmHWM, its own address space after exec), not from
    # wait4's ru_maxrss: Linux carries the forking process's high-water mark into the child's, so a test
    # process grown to 300 MiB would make every child look that big.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        capped = ["prlimit", f"--as={address_space}", "--", *argv]
        proc = subprocess.Popen(capped, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True)
        returncode: int | None = None
        peak_kib = 0
        while True:
            peak_kib = max(peak_kib, _high_water_kib(proc.pid))
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - started > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        proc.returncode = -9 if returncode is None else returncode  # reaped here, not by Popen
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Outcome(returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                       seconds, peak_kib / 1024)


def _high_water_kib(pid: int) -> int:
    """VmHWM of a running process (0 once it has exited or before it exists)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def thdmon(*args: str, **kwargs: object) -> Outcome:
    return run_bounded([str(THDMON), *args], **kwargs)  # type: ignore[arg-type]
