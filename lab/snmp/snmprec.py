"""`.snmprec` recordings (`OID|TAG[:variation]|VALUE` lines) read into varbinds, for tests and benchmarks.

Recordings of real devices are read where they lie (../shared/snmprec); they are never copied into the
repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
