"""Where the tests find the recordings of real devices, read in place and never copied: ../shared/snmprec
(top level and `more/`) and the few tiny public ones committed as test data in tests/data/snmprec (their
SOURCES.md says whence). The reader itself is `lab.snmp.snmprec`."""

from __future__ import annotations

from pathlib import Path

from lab.snmp.snmprec import RecVarbind, read
from tests.conftest import SHARED

__all__ = ["SNMPREC", "RecVarbind", "all_recordings", "read", "recording"]

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

