"""An `SnmpEngine` that answers from recordings instead of the network: fast unit tests of a whole
device poll (`collector.snmp.poll.poll_device`: select, walk, decode, reboot and wrap) on real devices' data.

It walks like an agent (each root's subtree, in OID order) and fails like one: an unknown target times
out. Values can be changed between polls (`set`) to play a reboot or a counter wrap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from collector.model import DownReason
from collector.snmp.engine import SnmpError, Varbind, oid_key
from collector.snmp.target import Target
from lab.snmp.snmprec import read

# The reader's type names -> the tags a real engine (pysnmp) reports.
_TAGS = {"integer": "int", "octet_string": "octets", "object_identifier": "oid", "ip_address": "ipaddress",
         "counter32": "counter32", "gauge32": "gauge32", "timeticks": "timeticks", "counter64": "counter64",
         "null": "null"}


class RecordingEngine:
    """Targets by name (the device's hostname) -> the varbinds of its recording."""

    def __init__(self, recordings: Mapping[str, Path]) -> None:
        self._data: dict[str, list[Varbind]] = {}
        for name, path in recordings.items():
            varbinds = [Varbind(v.oid, v.value, _TAGS.get(v.type, v.type)) for v in read(path)]
            self._data[name] = sorted(varbinds, key=lambda vb: oid_key(vb.oid))
        self.requests = 0
        self.walks: list[str] = []  # the roots walked, in order: what a poll actually asked for

    def set(self, name: str, oid: str, value: int | bytes | str) -> None:
        """Change one recorded value (e.g. sysUpTime backwards: a reboot)."""
        self._data[name] = [vb._replace(value=value) if vb.oid == oid else vb for vb in self._data[name]]

    def _varbinds(self, target: Target) -> list[Varbind]:
        varbinds = self._data.get(target.name)
        if varbinds is None:
            raise SnmpError(DownReason.timeout, f"{target.address}:{target.port}: no answer (no recording)")
        self.requests += 1
        return varbinds

    async def get(self, target: Target, oids: Sequence[str]) -> list[Varbind]:
        by_oid = {vb.oid: vb for vb in self._varbinds(target)}
        return [by_oid.get(oid, Varbind(oid, None, "nosuchobject")) for oid in oids]

    async def bulk_walk(self, target: Target, root: str, max_repetitions: int = 25) -> list[Varbind]:
        prefix = root + "."
        self.walks.append(root)
        found = [vb for vb in self._varbinds(target) if vb.oid == root or vb.oid.startswith(prefix)]
        if not found:
            raise SnmpError(DownReason.no_such_object, f"{target.address}: nothing under {root}")
        return found

    async def close(self) -> None:
        """Nothing to release."""
