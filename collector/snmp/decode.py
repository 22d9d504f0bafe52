"""Varbinds of one device + a module -> catalogue samples.

Pure functions over what was walked: no I/O, so the same code decodes a live poll and a recording.
A row that lacks a column, a lookup that finds nothing without a default, or a value that is not a
number is skipped (counted in `DecodeResult.skipped`), never guessed.

Speed matters here (every varbind of every device passes through it, ~2,000 per IF-MIB poll), so:
- each module is compiled once into a plan of small closures (label pipelines, filters, transforms);
  identical pipelines, label sets and filter sets (YAML anchors) compile to ONE shared object;
- `Walked` groups the varbinds by column in one pass that trusts walk order (a column comes back in
  OID order from a walk) and sorts only a column found out of order;
- the labels and the filter verdict of a row are computed once per shared label/filter set and reused by
  every metric of the row (the 14 IF-MIB metrics of an interface share one ifName/ifAlias lookup), which
  also shares one label tuple between those samples.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from collector.model import Labels, Sample
from collector.snmp.profile import Filter, MetricMap, Module, Step, Transform
from exporters import catalogue


class VarbindLike(Protocol):
    oid: str
    value: Any
    type: Any


# ENTITY-SENSOR-MIB / CISCO-ENTITY-SENSOR-MIB SensorDataScale: yocto(1) .. units(9) .. yotta(17).
_SCALE_EXPONENT = {i: (i - 9) * 3 for i in range(1, 18)}

_COUNTER32_TAGS = {"counter32", "counter", "65"}

_MISSING: Any = object()


def is_counter32(type_tag: Any) -> bool:
    name = getattr(type_tag, "name", None) or getattr(type_tag, "value", None) or type_tag
    return str(name).lower() in _COUNTER32_TAGS


_C32_CACHE: dict[Any, bool] = {}


def _tag_is_counter32(type_tag: Any) -> bool:
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
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        raw = bytes(value).rstrip(b"\x00")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return ":".join(f"{b:02x}" for b in raw)
        if text and not text.isprintable() and not all(c.isprintable() or c.isspace() for c in text):
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


# ---------------------------------------------------------------- the walked varbinds


class Walked:
    """The walked varbinds of one device, searchable by exact OID and by column prefix.

    Also the scratch space of one decode: the per-row results of the shared label and filter sets
    (`memo`), so several modules decoding the same walk share them too.
    """

    def __init__(self, varbinds: Iterable[VarbindLike]) -> None:
        # A repeated OID keeps its first position and its last value (as a plain dict assignment would).
        self.by_oid: dict[str, VarbindLike] = {vb.oid.lstrip("."): vb for vb in varbinds if vb.value is not None}
        self._by_depth: dict[int, dict[str, list[str]]] = {}
        self._columns: dict[str, list[tuple[str, VarbindLike]]] = {}
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

    def memo(self, owner: object) -> dict[str, Any]:
        """Per-row results of `owner` (a compiled label or filter set) for this walk."""
        cache = self._memo.get(owner)
        if cache is None:
            cache = self._memo[owner] = {}
        return cache

    def _build_column(self, column: str) -> list[tuple[str, VarbindLike]]:
        depth = column.count(".") + 1
        groups = self._by_depth.get(depth)
        if groups is None:
            groups = self._by_depth[depth] = _group_by_prefix(self.by_oid, depth)
        keys = groups.get(column)
        if not keys:
            return []
        start = len(column) + 1
        indexes = [k[start:] for k in keys]
        order = _disorder(indexes)
        if order is not None:
            indexes = [indexes[i] for i in order]
            keys = [keys[i] for i in order]
        by_oid = self.by_oid
        return [(i, by_oid[k]) for i, k in zip(indexes, keys, strict=True)]


def _group_by_prefix(by_oid: dict[str, Any], depth: int) -> dict[str, list[str]]:
    """OIDs grouped by their first `depth` arcs (their column), in walk order.

    A walk returns a column's rows one after the other, so one `startswith` per OID usually finds its
    group; only the first OID of each run is split.
    """
    groups: dict[str, list[str]] = {}
    run_prefix = "\x00"  # matches no OID
    run: list[str] = []
    for key in by_oid:
        if key.startswith(run_prefix):
            run.append(key)
            continue
        parts = key.split(".", depth)
        if len(parts) <= depth:
            continue  # as long as a column OID: no row of a column this deep
        column = key[:len(key) - len(parts[depth]) - 1]
        run_prefix = column + "."
        run = groups.get(column) or groups.setdefault(column, [])
        run.append(key)
    return groups


def _disorder(indexes: list[str]) -> list[int] | None:
    """None if the row indexes are already in OID order (the walk case), else the sorting permutation."""
    try:
        keys: list[Any] = [int(i) for i in indexes]  # single-arc indexes (ifIndex): the common case
    except ValueError:
        keys = [_oid_key(i) for i in indexes]
    if all(a <= b for a, b in zip(keys, keys[1:])):
        return None
    # Stable, like the sort of the whole walk it replaces: equal keys keep their walk order.
    return sorted(range(len(keys)), key=keys.__getitem__)


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split(".") if p)


# ---------------------------------------------------------------- label pipelines, compiled

StepFn = Callable[[str | None, str, Walked], str | None]
PipelineFn = Callable[..., str | None]  # (index, walked, start=None) -> text or None
_RANGE_RE = re.compile(r"(\d+)-(\d*)")


def _index_getter(spec: str) -> Callable[[str], str | None]:
    """Index arcs by a 1-based spec: '' (all), 'N', '-N' (from the end), 'A-B', 'A-' (to the end)."""
    if spec in ("", "all"):
        return lambda index: index
    m = _RANGE_RE.fullmatch(spec)
    if m:
        lo, hi_spec = int(m[1]), int(m[2]) if m[2] else None

        def arc_range(index: str) -> str | None:
            arcs = index.split(".")
            hi = len(arcs) if hi_spec is None else hi_spec
            part = arcs[lo - 1:hi]
            return ".".join(part) if part and len(part) == hi - lo + 1 else None
        return arc_range
    n = int(spec)
    if n < 0:
        def from_end(index: str) -> str | None:
            arcs = index.split(".")
            return arcs[n] if -n <= len(arcs) else None
        return from_end
    if n == 0:
        return lambda index: None

    def nth(index: str) -> str | None:
        arcs = index.split(".")
        return arcs[n - 1] if n <= len(arcs) else None
    return nth


def _index_part(index: str, spec: str) -> str | None:
    return _index_getter(spec)(index)


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


def _step_op(step: Step) -> StepFn:
    """The step's operation, before its default. Steps that read `current` give None without one."""
    if step.index is not None:
        part = _index_getter(step.index)
        return lambda current, index, walked: part(index)
    if step.text is not None:
        constant = step.text
        return lambda current, index, walked: constant
    if step.first_of is not None:
        choices = tuple(compile_pipeline(p) for p in step.first_of)

        def first_of(current: str | None, index: str, walked: Walked) -> str | None:
            for pipeline in choices:
                out = pipeline(index, walked, current)
                if out is not None:
                    return out
            return None
        return first_of
    if step.join is not None:
        pieces, sep = tuple(compile_pipeline(p) for p in step.join), step.sep

        def join(current: str | None, index: str, walked: Walked) -> str | None:
            parts = []
            for pipeline in pieces:
                out = pipeline(index, walked, current)
                if out is None:
                    return None
                parts.append(out)
            return sep.join(parts)
        return join
    if step.lookup is not None:
        prefix, suffix = step.lookup + ".", step.suffix

        def lookup(current: str | None, index: str, walked: Walked) -> str | None:
            if current is None:
                return None
            vb = walked.by_oid.get(prefix + current + suffix)
            return None if vb is None else to_text(vb.value)
        return lookup
    if step.reverse is not None:
        column = step.reverse
        return lambda current, index, walked: None if current is None else walked.reverse(column, current)
    if step.last_arcs is not None:
        n = step.last_arcs

        def last_arcs(current: str | None, index: str, walked: Walked) -> str | None:
            if current is None:
                return None
            arcs = current.split(".")
            return ".".join(arcs[-n:]) if len(arcs) >= n else None
        return last_arcs
    if step.regex is not None:
        pattern = re.compile(step.regex)
        group = 1 if pattern.groups else 0

        def regex(current: str | None, index: str, walked: Walked) -> str | None:
            if current is None:
                return None
            m = pattern.search(current)
            return m.group(group) if m else None
        return regex
    if step.map is not None:
        table = step.map
        return lambda current, index, walked: None if current is None else table.get(current)
    if step.as_ is not None:
        how = step.as_
        return lambda current, index, walked: None if current is None else _render_index(current, how)
    raise AssertionError(f"step without an operation: {step!r}")  # pragma: no cover - the validator forbids it


def _compile_step(step: Step) -> StepFn:
    op, default = _step_op(step), step.default
    if default is None:
        return op

    def with_default(current: str | None, index: str, walked: Walked) -> str | None:
        out = op(current, index, walked)
        return default if out is None else out
    return with_default


def compile_pipeline(steps: Sequence[Step]) -> PipelineFn:
    """`(index, walked, start=None) -> text | None`: the steps, the current value starting as `start`
    (default: the row index); the first step that finds nothing (and has no default) ends it with None."""
    fns = tuple(_compile_step(s) for s in steps)
    if len(fns) == 1:
        only = fns[0]

        def one_step(index: str, walked: Walked, start: str | None = None) -> str | None:
            return only(index if start is None else start, index, walked)
        return one_step

    def pipeline(index: str, walked: Walked, start: str | None = None) -> str | None:
        current: str | None = index if start is None else start
        for fn in fns:
            current = fn(current, index, walked)
            if current is None:
                return None
        return current
    return pipeline


def run_pipeline(steps: Sequence[Step], index: str, walked: Walked, start: str | None = None) -> str | None:
    """Run label steps; the current value starts as `start` (default: the row index)."""
    return compile_pipeline(steps)(index, walked, start)


# Compiled objects shared by every module: equal definitions (the same YAML anchor used by 14 metrics,
# or by two modules) get one object, so one row's result is computed once per walk (see Walked.memo).
_SHARED: dict[str, Any] = {}


def _shared(key: str, build: Callable[[], Any]) -> Any:
    found = _SHARED.get(key)
    if found is None:
        found = _SHARED[key] = build()
    return found


def _canonical(kind: str, payload: Any) -> str:
    return kind + json.dumps(payload, sort_keys=True, default=str)


class _LabelSet:
    """The labels of a metric, in catalogue order: a row's label tuple, or None if one is missing."""

    def __init__(self, names: Sequence[str], pipelines: Sequence[PipelineFn]) -> None:
        self.items = tuple(zip(names, pipelines, strict=True))

    def __call__(self, index: str, walked: Walked) -> Labels | None:
        labels = []
        for name, pipeline in self.items:
            text = pipeline(index, walked)
            if text is None:
                return None
            labels.append((name, text))
        return tuple(labels)


def _compile_filter(flt: Filter) -> Callable[[str, Walked], bool]:
    source = _shared_pipeline(flt.source)
    in_ = frozenset(flt.in_) if flt.in_ is not None else None
    not_in = frozenset(flt.not_in) if flt.not_in is not None else None
    regex = re.compile(flt.regex) if flt.regex is not None else None
    not_regex = re.compile(flt.not_regex) if flt.not_regex is not None else None
    lo, hi = flt.min, flt.max

    def keep(index: str, walked: Walked) -> bool:
        value = source(index, walked)
        if value is None:
            return False
        if in_ is not None and value not in in_:
            return False
        if not_in is not None and value in not_in:
            return False
        if regex is not None and not regex.search(value):
            return False
        if not_regex is not None and not_regex.search(value):
            return False
        if lo is not None or hi is not None:
            number = to_number(value)
            if number is None or (lo is not None and number < lo) or (hi is not None and number > hi):
                return False
        return True
    return keep


class _FilterSet:
    """Keep a row only if every filter keeps it."""

    def __init__(self, filters: Sequence[Callable[[str, Walked], bool]]) -> None:
        self.filters = tuple(filters)

    def __call__(self, index: str, walked: Walked) -> bool:
        return all(keep(index, walked) for keep in self.filters)


def _shared_pipeline(steps: Sequence[Step]) -> PipelineFn:
    key = _canonical("pipeline", [s.model_dump(mode="json") for s in steps])
    result: PipelineFn = _shared(key, lambda: compile_pipeline(steps))
    return result


def _shared_labels(mm: MetricMap, names: Sequence[str]) -> _LabelSet:
    key = _canonical("labels", [[n, [s.model_dump(mode="json") for s in mm.labels[n]]] for n in names])
    result: _LabelSet = _shared(key, lambda: _LabelSet(names, [_shared_pipeline(mm.labels[n]) for n in names]))
    return result


def _shared_filters(filters: Sequence[Filter]) -> _FilterSet | None:
    if not filters:
        return None
    key = _canonical("filters", [f.model_dump(mode="json") for f in filters])
    result: _FilterSet = _shared(key, lambda: _FilterSet([_compile_filter(f) for f in filters]))
    return result


# ---------------------------------------------------------------- value transforms, compiled

TransformFn = Callable[[float, Any, str, Walked], float | None]

_TO_MILLIWATTS: dict[str, Callable[[float], float]] = {
    "mw": lambda v: v, "uw": lambda v: v / 1000, "watts": lambda v: v * 1000,
    "tenths_mw": lambda v: v / 10, "hundredths_mw": lambda v: v / 100,
}


def _compile_transform(tr: Transform) -> TransformFn:  # noqa: C901 - one branch per operation
    if tr.scale is not None:
        factor = tr.scale
        return lambda value, raw, index, walked: value * factor
    if tr.offset is not None:
        offset = tr.offset
        return lambda value, raw, index, walked: value + offset
    if tr.enum is not None:
        table, other = tr.enum, tr.enum.get("default")

        def enum(value: float, raw: Any, index: str, walked: Walked) -> float | None:
            key = to_text(raw) if raw is not None else None
            return table[key] if key in table else other
        return enum
    if tr.min is not None:
        lo = tr.min
        return lambda value, raw, index, walked: value if value >= lo else None
    if tr.max is not None:
        hi = tr.max
        return lambda value, raw, index, walked: value if value <= hi else None
    if tr.dbm_from is not None:
        to_mw = _TO_MILLIWATTS[tr.dbm_from]

        def dbm(value: float, raw: Any, index: str, walked: Walked) -> float | None:
            milliwatts = to_mw(value)
            # 0 mW has no dBm value: a dark port is reported by its absence, not as -inf.
            return 10 * math.log10(milliwatts) if milliwatts > 0 else None
        return dbm
    if tr.sensor_scale is not None:
        row_of = _index_getter(tr.sensor_scale.index)
        scale_col, precision_col = tr.sensor_scale.scale, tr.sensor_scale.precision

        def sensor_scale(value: float, raw: Any, index: str, walked: Walked) -> float | None:
            row = row_of(index)
            scale = walked.by_oid.get(f"{scale_col}.{row}")
            precision = walked.by_oid.get(f"{precision_col}.{row}")
            exponent = _SCALE_EXPONENT.get(int(scale.value) if scale is not None else 9, 0)
            digits = int(precision.value) if precision is not None else 0
            shift = exponent - digits
            # Divide for negative shifts: -56 / 10 is -5.6 exactly, -56 * 0.1 is -5.6000000000000005.
            return value * 10.0 ** shift if shift >= 0 else value / 10.0 ** -shift
        return sensor_scale
    if tr.round is not None:
        digits = tr.round
        return lambda value, raw, index, walked: round(value, digits)
    if tr.multiply is not None:
        prefix = tr.multiply + "."

        def multiply(value: float, raw: Any, index: str, walked: Walked) -> float | None:
            factor = walked.by_oid.get(prefix + index)
            number = to_number(factor.value) if factor is not None else None
            return value * number if number is not None else None
        return multiply
    raise AssertionError(f"transform without an operation: {tr!r}")  # pragma: no cover


# ---------------------------------------------------------------- metrics, compiled


@dataclass(slots=True)
class DecodeResult:
    samples: list[Sample] = field(default_factory=list)
    counter32: set[tuple[str, Labels]] = field(default_factory=set)
    skipped: int = 0


class _ColumnSet:
    """Columns summed into one value (`oid` or `fallback`), with the Counter32 flag the profile gives."""

    def __init__(self, columns: Sequence[str], counter32: Sequence[str]) -> None:
        self.prefixes = tuple(c + "." for c in columns)
        self.counter32 = any(c in counter32 for c in columns)

    def value(self, index: str, walked: Walked) -> tuple[float | None, Any, bool] | None:
        """(summed number, raw value of the first column, any Counter32), or None if a column lacks the row."""
        found = []
        for prefix in self.prefixes:
            vb = walked.by_oid.get(prefix + index)
            if vb is None:
                return None
            found.append(vb)
        numbers = [to_number(vb.value) for vb in found]
        total = None if None in numbers else sum(n for n in numbers if n is not None)
        c32 = self.counter32 or any(_tag_is_counter32(vb.type) for vb in found)
        return total, found[0].value, c32


class _MetricPlan:
    """One `MetricMap`, compiled."""

    def __init__(self, mm: MetricMap) -> None:
        meta = catalogue.get(mm.metric)
        self.metric = mm.metric
        self.is_info, self.is_counter = meta.type == "info", meta.type == "counter"
        self.sum = mm.aggregate == "sum"
        self.column, self.fallback_column = mm.oid[0], (mm.fallback[0] if mm.fallback else None)
        self.primary = _ColumnSet(mm.oid, mm.counter32)
        self.fallback = _ColumnSet(mm.fallback, mm.counter32) if mm.fallback else None
        # One primary column: its rows already hold the value (no lookup, no list), the common case.
        self.single = len(mm.oid) == 1
        self.labels = _shared_labels(mm, meta.labels)
        self.filters = _shared_filters(mm.filters)
        self.value_regex = re.compile(mm.value_regex) if mm.value_regex is not None else None
        self.transforms = tuple(_compile_transform(tr) for tr in mm.value)

    def _rows(self, walked: Walked) -> Iterable[tuple[str, VarbindLike | None]]:
        """(index, varbind of the single primary column or None) of every row, primary column first."""
        rows = walked.rows(self.column)
        if self.single:
            yield from rows
        else:
            for index, _ in rows:
                yield index, None
        if self.fallback_column is not None:
            primary = {index for index, _ in rows}
            for index, _ in walked.rows(self.fallback_column):
                if index not in primary:
                    yield index, None

    def _value(self, index: str, vb: VarbindLike | None, walked: Walked) -> tuple[float | None, Any, bool]:
        if vb is not None:  # the row of the single primary column
            raw = vb.value
            if type(raw) is int:
                number: float | None = float(raw)
            else:
                number = to_number(raw)
                number = None if number is None else 0 + number  # as sum() of one column would give
            c32 = self.is_counter and (self.primary.counter32 or _tag_is_counter32(vb.type))
            return number, raw, c32
        for columns in (self.primary, self.fallback):
            if columns is not None and (found := columns.value(index, walked)) is not None:
                return found
        return None, None, False

    def run(self, walked: Walked, timestamp: float, result: DecodeResult, seen: set[tuple[str, Labels]]) -> None:
        """Append this metric's samples to `result`; `seen` holds the (metric, labels) already given by
        the module (the first keeps the series, later duplicates are counted as skipped)."""
        metric, samples, counter32 = self.metric, result.samples, result.counter32
        keep, keep_memo = self.filters, walked.memo(self.filters) if self.filters is not None else None
        label_set, label_memo = self.labels, walked.memo(self.labels)
        value_regex, transforms, is_info, is_counter, summing = (
            self.value_regex, self.transforms, self.is_info, self.is_counter, self.sum)
        sums: dict[tuple[str, Labels], int] = {}  # aggregate: sum -> position of the sample (-1: a duplicate)
        skipped = 0
        for index, vb in self._rows(walked):
            if keep is not None and keep_memo is not None:
                kept = keep_memo.get(index)
                if kept is None:
                    kept = keep_memo[index] = keep(index, walked)
                if not kept:
                    continue
            labels = label_memo.get(index, _MISSING)
            if labels is _MISSING:
                labels = label_memo[index] = label_set(index, walked)
            if labels is None:
                skipped += 1
                continue
            number, raw, c32 = self._value(index, vb, walked)
            if value_regex is not None:
                m = value_regex.search(to_text(raw) or "")
                number = to_number(m.group(1) if m and m.groups() else m.group(0) if m else None)
            if is_info:
                number = 1.0
            for transform in transforms:
                if number is None:
                    break
                number = transform(number, raw, index, walked)
            if number is None or not math.isfinite(number):
                skipped += 1
                continue
            key = (metric, labels)
            if summing:
                position = sums.get(key)
                if position is not None:
                    if position >= 0:
                        samples[position] = Sample(metric, labels, samples[position].value + number, timestamp)
                    continue
            if key in seen:
                skipped += 1
                if summing:
                    sums[key] = -1
            else:
                seen.add(key)
                if summing:
                    sums[key] = len(samples)
                samples.append(Sample(metric, labels, number, timestamp))
            if c32 and is_counter:
                counter32.add(key)
        result.skipped += skipped


# Plans by module identity; the module is held so its id cannot be reused by another object.
_PLANS: dict[int, tuple[Module, tuple[_MetricPlan, ...]]] = {}


def plan(module: Module) -> tuple[_MetricPlan, ...]:
    """The compiled metrics of `module` (compiled on first use, then reused for the process's life)."""
    hit = _PLANS.get(id(module))
    if hit is not None and hit[0] is module:
        return hit[1]
    compiled = tuple(_MetricPlan(mm) for mm in module.metrics)
    if len(_PLANS) >= 1024:  # modules are loaded once per process; this only bounds pathological reloads
        _PLANS.clear()
    _PLANS[id(module)] = (module, compiled)
    return compiled


def decode(module: Module, varbinds: Iterable[VarbindLike] | Walked, timestamp: float) -> DecodeResult:
    """All samples `module` yields from the walked varbinds; duplicates (same metric+labels) keep the first."""
    walked = varbinds if isinstance(varbinds, Walked) else Walked(varbinds)
    result = DecodeResult()
    seen: set[tuple[str, Labels]] = set()
    for metric in plan(module):
        metric.run(walked, timestamp, result, seen)
    return result
