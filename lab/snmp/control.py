"""Failure-injection state shared by `thdmon lab fail` (writer) and the running agents (readers).

One JSON file per lab run, `<runtime>/control.json`: `{"<lab index>": {"mode": "silent|slow|garbage",
"delay": seconds, "boot": epoch seconds, "optical": "low"}}`. `mode` is how the agent answers
(lab.snmp.responder); `boot` and `optical` change what it answers (lab.snmp.values), so an optical
failure can be combined with a slow agent. The lab index of a device is its snmpsim transport id
suffix (1.3.6.1.6.1.1.<index>), unique across the lab's processes. Writers replace the file atomically;
readers re-read it at most every `REFRESH` seconds, so a change is visible within a second without a
stat() on every varbind.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

REFRESH = 0.5
MODES = ("silent", "slow", "garbage")
ENV_VAR = "THDMON_LAB_CONTROL"


class ControlReader:
    """Cached view of the control file; a missing or half-written file reads as 'no failure'."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = str(path) if path else None
        self._checked = 0.0
        self._mtime = -1.0
        self._state: dict[str, dict[str, Any]] = {}

    def get(self, index: str) -> dict[str, Any]:
        now = time.monotonic()
        if self.path and now - self._checked >= REFRESH:
            self._checked = now
            try:
                mtime = os.stat(self.path).st_mtime
            except OSError:
                self._state, self._mtime = {}, -1.0
            else:
                if mtime != self._mtime:
                    try:
                        with open(self.path, encoding="utf-8") as fh:
                            self._state = json.load(fh)
                        self._mtime = mtime
                    except (OSError, ValueError):
                        pass  # being replaced: keep the previous state, retry at the next refresh
        return self._state.get(index, {})


def read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def write(path: Path, state: dict[str, dict[str, Any]]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def update(path: Path, index: int, **changes: Any) -> dict[str, Any]:
    """Set (value) or clear (None) keys of one device's entry; returns the new entry."""
    state = read(path)
    entry = {k: v for k, v in {**state.get(str(index), {}), **changes}.items() if v is not None}
    if entry:
        state[str(index)] = entry
    else:
        state.pop(str(index), None)
    write(path, state)
    return entry
