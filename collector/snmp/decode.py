"""Varbinds of one device + a module -> catalogue samples.

Pure functions over what was walked: no I/O, so the same code decodes a live poll and a recording.
A row that lacks a column, a lookup that finds nothing without a default, or a value that is not a
number is skipped (counted in `DecodeResult.skipped`), never guessed.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from collector.model import Labels, Sample
from collector.snmp.profile import MetricMap, Module, Step, Transform
from exporters import catalogue


class VarbindLike(Protocol):
    oid: str
    value: Any
    type: Any


# ENTITY-SENSOR-MIB / CISCO-ENTITY-SENSOR-MIB SensorDataScale: yocto(1) .. units(9) .. yotta(17).
_SCALE_EXPONENT = {i: (i - 9) * 3 for i in range(1, 18)}

_COUNTER32_TAGS = {"counter32", "counter", "65"}


def is_counter32(type_tag: Any) -> bool:
    name = getattr(type_tag, "name", None) or getattr(type_tag, "value", None) or type_tag
    return str(name).lower() in _COUNTER32_TAGS


def to_text(value: Any) -> str | None:
    """A varbind value as label text: printable octet strings as text, others as hex with colons."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        raw = bytes(value).rstrip(b"\x00")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return ":".join(f"{b:02x}" for b in raw)
        if text and not all(c.isprintable() or c.isspace() for c in text):
            return ":".join(f"{b:02x}" for b in raw)
        return " ".join(text.split())  # fixed-width and multi-line sysDescr become one clean line
    return str(value)


def to_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = to_text(value)
    try:
        number = float(text) if text is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


class Walked:
    """The walked varbinds of one device, searchable by exact OID and by column prefix."""

    def __init__(self, varbinds: Iterable[VarbindLike]) -> None:
        self.by_oid: dict[str, VarbindLike] = {}
        for vb in varbinds:
            if vb.value is not None:
                self.by_oid[vb.oid.lstrip(".")] = vb
        self._keys = sorted(self.by_oid, key=_oid_key)
        self._sort_keys = [_oid_key(k) for k in self._keys]
        self._reverse: dict[str, dict[str, str]] = {}

    def get(self, oid: str) -> VarbindLike | None:
        return self.by_oid.get(oid)

    def column(self, column: str) -> list[tuple[str, VarbindLike]]:
        """(index, varbind) of every row under `column`, in OID order."""
        start = bisect.bisect_right(self._sort_keys, _oid_key(column))
        prefix = column + "."
        rows = []
        for key in self._keys[start:]:
            if not key.startswith(prefix):
                break
            rows.append((key[len(prefix):], self.by_oid[key]))
        return rows

    def reverse(self, column: str, text: str) -> str | None:
        table = self._reverse.get(column)
        if table is None:
            table = {}
            for index, vb in self.column(column):
                table.setdefault(to_text(vb.value) or "", index)
            self._reverse[column] = table
        return table.get(text)


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split(".") if p)


def _index_part(index: str, spec: str) -> str | None:
    """Index arcs by a 1-based spec: '' (all), 'N', '-N' (from the end), 'A-B', 'A-' (to the end)."""
    if spec in ("", "all"):
        return index
    arcs = index.split(".")
    m = re.fullmatch(r"(\d+)-(\d*)", spec)
    if m:
        lo, hi = int(m[1]), int(m[2]) if m[2] else len(arcs)
        part = arcs[lo - 1:hi]
        return ".".join(part) if part and len(part) == hi - lo + 1 else None
    n = int(spec)
    if n < 0:
        return arcs[n] if -n <= len(arcs) else None
    return arcs[n - 1] if 0 < n <= len(arcs) else None


def _render_index(current: str, how: str) -> str | None:
    arcs = [int(a) for a in current.split(".") if a]
    if how == "mac":
        return ":".join(f"{a:02x}" for a in arcs) if len(arcs) == 6 and max(arcs) < 256 else None
    if how == "hex":
        return ":".join(f"{a:02x}" for a in arcs)
    if how == "string":
        # Either length-prefixed (a non-IMPLIED string index) or implied; both occur in vendor MIBs.
        if arcs and arcs[0] == len(arcs) - 1:
            arcs = arcs[1:]
        return bytes(a for a in arcs if a < 256).decode("latin-1")
    return str(arcs[0]) if arcs else None


def run_pipeline(steps: Sequence[Step], index: str, walked: Walked, start: str | None = None) -> str | None:
    """Run label steps; the current value starts as `start` (default: the row index)."""
    current: str | None = index if start is None else start
    for step in steps:
        current = _run_step(step, current, index, walked)
        if current is None:
            return None
    return current


def _run_step(step: Step, current: str | None, index: str, walked: Walked) -> str | None:
    out: str | None
    if step.index is not None:
        out = _index_part(index, step.index)
    elif step.text is not None:
        out = step.text
    elif step.first_of is not None:
        out = next((v for p in step.first_of if (v := run_pipeline(p, index, walked, current)) is not None),
                   None)
    elif step.join is not None:
        parts = [run_pipeline(p, index, walked, current) for p in step.join]
        out = None if any(p is None for p in parts) else step.sep.join(p for p in parts if p is not None)
    elif current is None:
        out = None
    elif step.lookup is not None:
        vb = walked.get(f"{step.lookup}.{current}{step.suffix}")
        out = to_text(vb.value) if vb is not None else None
    elif step.reverse is not None:
        out = walked.reverse(step.reverse, current)
    elif step.last_arcs is not None:
        arcs = current.split(".")
        out = ".".join(arcs[-step.last_arcs:]) if len(arcs) >= step.last_arcs else None
    elif step.regex is not None:
        m = re.search(step.regex, current)
        out = (m.group(1) if m.groups() else m.group(0)) if m else None
    elif step.map is not None:
        out = step.map.get(current)
    elif step.as_ is not None:
        out = _render_index(current, step.as_)
    else:  # pragma: no cover - the profile validator guarantees one operation
        out = None
    return step.default if out is None else out


def _keep(mm: MetricMap, index: str, walked: Walked) -> bool:
    for flt in mm.filters:
        value = run_pipeline(flt.source, index, walked)
        if value is None:
            return False
        if flt.in_ is not None and value not in flt.in_:
            return False
        if flt.not_in is not None and value in flt.not_in:
            return False
        if flt.regex is not None and not re.search(flt.regex, value):
            return False
        if flt.not_regex is not None and re.search(flt.not_regex, value):
            return False
        if flt.min is not None or flt.max is not None:
            number = to_number(value)
            if number is None or (flt.min is not None and number < flt.min) or (
                    flt.max is not None and number > flt.max):
                return False
    return True


def _transform(value: float, raw: Any, tr: Transform, index: str, walked: Walked) -> float | None:
    if tr.scale is not None:
        return value * tr.scale
    if tr.offset is not None:
        return value + tr.offset
    if tr.enum is not None:
        key = to_text(raw) if raw is not None else None
        if key in tr.enum:
            return tr.enum[key]
        return tr.enum.get("default")
    if tr.min is not None:
        return value if value >= tr.min else None
    if tr.max is not None:
        return value if value <= tr.max else None
    if tr.dbm_from is not None:
        milliwatts = {"mw": value, "uw": value / 1000, "watts": value * 1000,
                      "tenths_mw": value / 10, "hundredths_mw": value / 100}[tr.dbm_from]
        # 0 mW has no dBm value: a dark port is reported by its absence, not as -inf.
        return 10 * math.log10(milliwatts) if milliwatts > 0 else None
    if tr.sensor_scale is not None:
        row = _index_part(index, tr.sensor_scale.index)
        scale = walked.get(f"{tr.sensor_scale.scale}.{row}")
        precision = walked.get(f"{tr.sensor_scale.precision}.{row}")
        exponent = _SCALE_EXPONENT.get(int(scale.value) if scale is not None else 9, 0)
        digits = int(precision.value) if precision is not None else 0
        shift = exponent - digits
        # Divide for negative shifts: -56 / 10 is -5.6 exactly, -56 * 0.1 is -5.6000000000000005.
        return value * 10.0 ** shift if shift >= 0 else value / 10.0 ** -shift
    if tr.round is not None:
        return round(value, tr.round)
    if tr.multiply is not None:
        factor = walked.get(f"{tr.multiply}.{index}")
        number = to_number(factor.value) if factor is not None else None
        return value * number if number is not None else None
    return value  # pragma: no cover


@dataclass(slots=True)
class DecodeResult:
    samples: list[Sample] = field(default_factory=list)
    counter32: set[tuple[str, Labels]] = field(default_factory=set)
    skipped: int = 0


def _row_value(mm: MetricMap, index: str, walked: Walked) -> tuple[float | None, Any, bool]:
    """(summed number, raw value of the first column, any Counter32) for one row."""
    for columns in (mm.oid, mm.fallback or []):
        found = [walked.get(f"{c}.{index}") for c in columns]
        if columns and all(vb is not None for vb in found):
            numbers = [to_number(vb.value) for vb in found if vb is not None]
            total = None if any(n is None for n in numbers) else sum(n for n in numbers if n is not None)
            first = found[0]
            c32 = any(is_counter32(vb.type) for vb in found if vb) or any(c in mm.counter32 for c in columns)
            return total, first.value if first else None, c32
    return None, None, False


def _rows(mm: MetricMap, walked: Walked) -> list[str]:
    indexes = [i for i, _ in walked.column(mm.oid[0])]
    if mm.fallback:
        seen = set(indexes)
        indexes += [i for i, _ in walked.column(mm.fallback[0]) if i not in seen]
    return indexes


def decode_metric(mm: MetricMap, walked: Walked, timestamp: float, result: DecodeResult) -> None:
    meta = catalogue.get(mm.metric)
    sums: dict[tuple[str, Labels], int] = {}
    for index in _rows(mm, walked):
        if not _keep(mm, index, walked):
            continue
        labels: list[tuple[str, str]] = []
        for name in meta.labels:
            text = run_pipeline(mm.labels[name], index, walked)
            if text is None:
                break
            labels.append((name, text))
        else:
            number, raw, c32 = _row_value(mm, index, walked)
            if mm.value_regex is not None:
                m = re.search(mm.value_regex, to_text(raw) or "")
                number = to_number(m.group(1) if m and m.groups() else m.group(0) if m else None)
            if meta.type == "info":
                number = 1.0
            for tr in mm.value:
                if number is None:
                    break
                number = _transform(number, raw, tr, index, walked)
            if number is None or not math.isfinite(number):
                result.skipped += 1
                continue
            key = (mm.metric, tuple(labels))
            if mm.aggregate == "sum" and key in sums:
                position = sums[key]
                previous = result.samples[position]
                result.samples[position] = Sample(mm.metric, key[1], previous.value + number, timestamp)
                continue
            sums[key] = len(result.samples)
            result.samples.append(Sample(mm.metric, key[1], number, timestamp))
            if c32 and meta.type == "counter":
                result.counter32.add(key)
            continue
        result.skipped += 1


def decode(module: Module, varbinds: Iterable[VarbindLike] | Walked, timestamp: float) -> DecodeResult:
    """All samples `module` yields from the walked varbinds; duplicates (same metric+labels) keep the first."""
    walked = varbinds if isinstance(varbinds, Walked) else Walked(varbinds)
    result = DecodeResult()
    for mm in module.metrics:
        decode_metric(mm, walked, timestamp, result)
    seen: set[tuple[str, Labels]] = set()
    unique = []
    for s in result.samples:
        if (s.metric, s.labels) not in seen:
            seen.add((s.metric, s.labels))
            unique.append(s)
    result.skipped += len(result.samples) - len(unique)
    result.samples = unique
    return result
