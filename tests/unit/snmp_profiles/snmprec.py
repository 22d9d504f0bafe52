"""A small `.snmprec` reader for tests: `OID|TAG|VALUE` lines into varbinds shaped like the engines'.

Recordings are read in place: ../shared/snmprec (top level and `more/`), never copied into the repository,
and the few tiny public ones committed as test data in tests/data/snmprec (their SOURCES.md says whence).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import SHARED

SNMPREC = SHARED / "snmprec"
SHARED_DIRS = (SNMPREC, SNMPREC / "more")
LOCAL = Path(__file__).resolve().parents[2] / "data" / "snmprec"

_TYPES = {2: "integer", 4: "octet_string", 6: "object_identifier", 64: "ip_address", 65: "counter32",
          66: "gauge32", 67: "timeticks", 70: "counter64", 5: "null"}


@dataclass(frozen=True, slots=True)
class RecVarbind:
    oid: str
    value: Any
    type: str


def _value(tag: int, hexed: bool, text: str) -> Any:
    if tag == 4:
        # vrp_5720-32x-ei carries odd-length hex (a truncated PortList): keep the whole bytes, as a
        # truncated capture would have given them, rather than refusing the whole recording.
        return bytes.fromhex(text[: len(text) // 2 * 2]) if hexed else text.encode("latin-1")
    if tag == 64:
        return ".".join(str(b) for b in bytes.fromhex(text)) if hexed else text
    if tag == 6:
        return text.lstrip(".")
    if tag == 5:
        return None
    return int(text)


def read(path: Path) -> list[RecVarbind]:
    out = []
    for line in path.read_text(encoding="latin-1").splitlines():
        if not line.strip():
            continue
        oid, tag_text, value = line.split("|", 2)
        tag_text = tag_text.split(":", 1)[0]
        hexed = tag_text.endswith("x")
        tag = int(tag_text.rstrip("x"))
        out.append(RecVarbind(oid, _value(tag, hexed, value), _TYPES.get(tag, str(tag))))
    return out


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
