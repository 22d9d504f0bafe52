"""Where the tests find the recordings of real devices (../shared/snmprec, read in place, never copied);
the reader itself is `lab.snmp.snmprec`."""

from __future__ import annotations

from pathlib import Path

from lab.snmp.snmprec import RecVarbind, read
from tests.conftest import SHARED

__all__ = ["SNMPREC", "RecVarbind", "read", "recording"]

SNMPREC = SHARED / "snmprec"


def recording(name: str) -> Path:
    return SNMPREC / f"{name}.snmprec"
