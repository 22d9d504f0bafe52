"""Run a command under a memory cap and a deadline, and measure what it took: the hostile-input suites
assert that every bad input ends in a clear error within bounded time AND memory.

The cap is RLIMIT_AS (address space) set in the child before exec, so a runaway allocation fails fast
there instead of swapping the shared machine; the measure is the child's own peak RSS (wait4 rusage)
and wall time. A deadline overrun kills the child and is reported as a hang, never waited out.
"""

from __future__ import annotations

import os
import resource
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
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    # Output to files, not pipes: the child is reaped with wait4 (its own rusage), so nothing may block on
    # a full pipe meanwhile.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err, preexec_fn=limit,
                                env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True)
        returncode: int | None = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() - started > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                _, _, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        proc.returncode = -9 if returncode is None else returncode  # reaped here, not by Popen
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return Outcome(returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                       seconds, usage.ru_maxrss / 1024)


def thdmon(*args: str, **kwargs: object) -> Outcome:
    return run_bounded([str(THDMON), *args], **kwargs)  # type: ignore[arg-type]
