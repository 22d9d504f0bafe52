"""The walked varbinds of one device, indexed for decoding, and their values as text and numbers.

`Walked` groups the varbinds by column in one pass that trusts walk order (a walk returns each column's
rows one after the other, in OID order) and sorts only a column found out of order, so decoding never
sorts the whole walk.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, Protocol


class VarbindLike(Protocol):
    oid: str
    value: Any
    type: Any


_COUNTER32_TAGS = {"counter32", "counter", "65"}


def is_counter32(type_tag: Any) -> bool:
    name = getattr(type_tag, "name", None) or getattr(type_tag, "value", None) or type_tag
    return str(name).lower() in _COUNTER32_TAGS


_C32_CACHE: dict[Any, bool] = {}


def tag_is_counter32(type_tag: Any) -> bool:
    """`is_counter32` memoised per tag: an engine has a handful of tags, seen on every varbind."""
    try:
        return _C32_CACHE[type_tag]
    except KeyError:
        if len(_C32_CACHE) > 256:
            _C32_CACHE.clear()
        answer = _C32_CACHE[type_tag] = is_counter32(type_tag)
        return answer
    except TypeError:  # an unhashable tag
        return is_counter32(type_tag)


def to_text(value: Any) -> str | None:
    """A varbind value as label text: printable octet strings as text, others as hex with colons."""
    kind = type(value)
    if kind is str:
        return value
    if kind is int:
        return str(value)
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        raw = bytes(value).rstrip(b"\x00")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return ":".join(f"{b:02x}" for b in raw)
        if text.isprintable():  # then its only whitespace is " " (the usual ifName, ifAlias)
            return text if " " not in text else " ".join(text.split())
        if not all(c.isprintable() or c.isspace() for c in text):
            return ":".join(f"{b:02x}" for b in raw)
        return " ".join(text.split())  # fixed-width and multi-line sysDescr become one clean line
    return str(value)


def to_number(value: Any) -> float | None:
    kind = type(value)
    if kind is int:
        return float(value)
    if kind is str:
        text: str | None = value
    elif value is None or isinstance(value, bool):
        return None
    elif isinstance(value, int | float):
        return float(value)
    else:
        text = to_text(value)
    try:
        number = float(text) if text is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


# ---------------------------------------------------------------- the walked varbinds


class Walked:
    """The walked varbinds of one device, searchable by exact OID and by column prefix.

    Also the scratch space of one decode: the per-row results of the shared label and filter sets
    (`memo`), so several modules decoding the same walk share them too.
    """

    def __init__(self, varbinds: Iterable[VarbindLike]) -> None:
        # A repeated OID keeps its first position and its last value (as a plain dict assignment would).
        self.by_oid: dict[str, VarbindLike] = {vb.oid.lstrip("."): vb for vb in varbinds if vb.value is not None}
        self._runs: dict[str, list[str]] | None = None
        self._heads: list[str] = []
        self._first_seen: dict[str, int] = {}
        self._columns: dict[str, list[tuple[str, VarbindLike]]] = {}
        self._indexes: dict[str, frozenset[str]] = {}
        self._reverse: dict[str, dict[str, str]] = {}
        self._memo: dict[object, dict[str, Any]] = {}

    def get(self, oid: str) -> VarbindLike | None:
        return self.by_oid.get(oid)

    def column(self, column: str) -> list[tuple[str, VarbindLike]]:
        """(index, varbind) of every row under `column`, in OID order."""
        return list(self.rows(column))

    def rows(self, column: str) -> Sequence[tuple[str, VarbindLike]]:
        """`column()` without the copy: the cached list, not to be modified."""
        rows = self._columns.get(column)
        if rows is None:
            rows = self._columns[column] = self._build_column(column)
        return rows

    def reverse(self, column: str, text: str) -> str | None:
        table = self._reverse.get(column)
        if table is None:
            table = {}
            for index, vb in self.rows(column):
                table.setdefault(to_text(vb.value) or "", index)
            self._reverse[column] = table
        return table.get(text)

    def indexes(self, column: str) -> frozenset[str]:
        """The row indexes of `column`."""
        found = self._indexes.get(column)
        if found is None:
            found = self._indexes[column] = frozenset(map(itemgetter(0), self.rows(column)))
        return found

    def memo(self, owner: object) -> dict[str, Any]:
        """Per-row results of `owner` (a compiled label or filter set) for this walk."""
        cache = self._memo.get(owner)
        if cache is None:
            cache = self._memo[owner] = {}
        return cache

    def _build_column(self, column: str) -> list[tuple[str, VarbindLike]]:
        if self._runs is None:
            self._runs = _group_runs(self.by_oid)
            self._heads = sorted(self._runs)  # as strings: the heads under a column are contiguous
            self._first_seen = {head: i for i, head in enumerate(self._runs)}
        runs, heads, prefix = self._runs, self._heads, column + "."
        under = [column] if column in runs else []
        i = bisect.bisect_left(heads, prefix)
        while i < len(heads) and heads[i].startswith(prefix):
            under.append(heads[i])
            i += 1
        # A run headed above the column (a row whose index has more arcs than its siblings') may hold some.
        above = [k for head in _arc_prefixes(column) if head in runs for k in runs[head] if k.startswith(prefix)]
        if len(under) == 1 and not above:
            keys = runs[under[0]]
        else:
            under.sort(key=self._first_seen.__getitem__)
            keys = [k for head in under for k in runs[head]] + above
        start = len(prefix)
        indexes = list(map(itemgetter(slice(start, None)), keys))
        if not _strictly_ascending(indexes):
            # A walk out of order (or OIDs spelt two ways): sort the column as the whole walk would be
            # sorted, ties in walk order.
            keys = sorted((k for k in self.by_oid if k.startswith(prefix)), key=lambda k: _oid_key(k[start:]))
            indexes = [k[start:] for k in keys]
        return list(zip(indexes, map(self.by_oid.__getitem__, keys), strict=True))


def _group_runs(by_oid: dict[str, Any]) -> dict[str, list[str]]:
    """OIDs in runs, by head: a run is an OID and the OIDs after it that share its parent (its head) as
    a prefix. A walk returns a column's rows one after the other, so one `startswith` per OID places it."""
    runs: dict[str, list[str]] = {}
    run_prefix, run = "\x00", []  # "\x00" starts no OID
    for key in by_oid:
        if key.startswith(run_prefix):
            run.append(key)
            continue
        cut = key.rfind(".")
        if cut < 0:
            continue  # a one-arc OID is under no column
        run_prefix = key[:cut + 1]
        run = runs.get(key[:cut]) or runs.setdefault(key[:cut], [])
        run.append(key)
    return runs


def _arc_prefixes(oid: str) -> Iterable[str]:
    """'1.2.3' -> '1.2', '1'."""
    cut = oid.rfind(".")
    while cut > 0:
        yield oid[:cut]
        cut = oid.rfind(".", 0, cut)


def _strictly_ascending(indexes: list[str]) -> bool:
    """Row indexes in strictly increasing OID order (what a walk returns), checked in C loops."""
    keys: list[Any]
    try:
        keys = list(map(int, indexes))  # single-arc indexes (ifIndex): the common case
    except ValueError:
        keys = [_oid_key(i) for i in indexes]
    return sorted(set(keys)) == keys


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split(".") if p)


