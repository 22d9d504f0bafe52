"""Where the tests find the recordings of real devices, read in place and never copied: ../shared/snmprec
(top level and `more/`) and the few tiny public ones committed as test data in tests/data/snmprec (their
SOURCES.md says whence). The reader itself is `lab.snmp.snmprec`; `RecordingEngine` replays one for
fast unit tests of `poll_device`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.snmp.snmprec import RecVarbind, read
from tests.conftest import SHARED

__all__ = ["SNMPREC", "RecVarbind", "RecordingEngine", "all_recordings", "read", "recording"]

SNMPREC = SHARED / "snmprec"
SHARED_DIRS = (SNMPREC, SNMPREC / "more")
LOCAL = Path(__file__).resolve().parents[2] / "data" / "snmprec"


def all_recordings() -> dict[str, Path]:
    """Every recording by file stem: the shared ones (top level, `more/`) and the committed test data."""
    found: dict[str, Path] = {}
    for directory in (*SHARED_DIRS, LOCAL):
        for path in sorted(directory.glob("*.snmprec")):
            found.setdefault(path.stem, path)
    return found


def recording(name: str) -> Path:
    for directory in (*SHARED_DIRS, LOCAL):
        path = directory / f"{name}.snmprec"
        if path.is_file():
            return path
    return SNMPREC / f"{name}.snmprec"


class RecordingEngine:
    """An SnmpEngine that answers from one recording, for fast unit tests of `poll_device` (no network).

    `bulk_walk` returns what an agent walking the recording would: the rows under the root, in OID order;
    `walks` counts the walks asked for, so a test can see which modules a poll actually walked.
    """

    def __init__(self, varbinds: list[RecVarbind]) -> None:
        from collector.snmp.engine import Varbind  # the engines' own type, as a real poll returns

        def key(oid: str) -> tuple[int, ...]:
            return tuple(int(p) for p in oid.split("."))
        self._rows = sorted((Varbind(vb.oid, vb.value, vb.type) for vb in varbinds if vb.value is not None),
                            key=lambda vb: key(vb.oid))
        self.walks: list[str] = []

    async def get(self, target: Any, oids: list[str]) -> list[Any]:
        wanted = set(oids)
        return [vb for vb in self._rows if vb.oid in wanted]

    async def bulk_walk(self, target: Any, root: str, max_repetitions: int = 25) -> list[Any]:
        self.walks.append(root)
        return [vb for vb in self._rows if vb.oid.startswith(root + ".")]

    async def close(self) -> None:
        return None
