"""Label pipelines, filters and value transforms of the SNMP modules, compiled into small closures.

Compiled once per module (collector.snmp.decode.plan); identical pipelines, label sets and filter sets
(a YAML anchor used by 14 IF-MIB metrics, or by two modules) compile to ONE shared object, so the result
for a row is computed once per walk and kept in `Walked.memo`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from collector.model import Labels
from collector.snmp.profile import Filter, MetricMap, Step, Transform
from collector.snmp.walked import Walked, to_number, to_text

StepFn = Callable[[str | None, str, Walked], str | None]
PipelineFn = StepFn  # (start, index, walked) -> text or None; a pipeline is run like a step
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
    """The step's operation (other than `lookup`), before its default. Steps that read `current` give None
    without one."""
    if step.index is not None:
        part = _index_getter(step.index)
        return lambda current, index, walked: part(index)
    if step.text is not None:
        constant = step.text
        return lambda current, index, walked: constant
    if step.first_of is not None:
        choices = tuple(compile_pipeline(p) for p in step.first_of)

        def first_of(current: str | None, index: str, walked: Walked) -> str | None:
            start = index if current is None else current
            for pipeline in choices:
                out = pipeline(start, index, walked)
                if out is not None:
                    return out
            return None
        return first_of
    if step.join is not None:
        pieces, sep = tuple(compile_pipeline(p) for p in step.join), step.sep

        def join(current: str | None, index: str, walked: Walked) -> str | None:
            start, parts = index if current is None else current, []
            for pipeline in pieces:
                out = pipeline(start, index, walked)
                if out is None:
                    return None
                parts.append(out)
            return sep.join(parts)
        return join
    if step.reverse is not None:
        column = step.reverse
        return lambda current, index, walked: None if current is None else walked.reverse(column, current)
    if step.ordinal is not None:
        column = step.ordinal

        def ordinal(current: str | None, index: str, walked: Walked) -> str | None:
            cache = walked.memo(ordinal)
            rows = cache.get(column)
            if rows is None:  # once per walk: the column's indexes in OID order
                rows = cache[column] = {i: str(n) for n, (i, _) in enumerate(walked.rows(column))}
            return None if current is None else rows.get(current)
        return ordinal
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
    if step.lookup is not None:
        return _lookup(step.lookup, step.suffix, step.default)
    op, default = _step_op(step), step.default
    if default is None:
        return op

    def with_default(current: str | None, index: str, walked: Walked) -> str | None:
        out = op(current, index, walked)
        return default if out is None else out
    return with_default


def _lookup(column: str, suffix: str, default: str | None) -> StepFn:
    """The value of `column` at <current><suffix> as text, the default folded in (the hottest step)."""
    prefix = column + "."

    def lookup(current: str | None, index: str, walked: Walked) -> str | None:
        if current is None:
            return default
        vb = walked.by_oid.get(prefix + current + suffix)
        return default if vb is None else to_text(vb.value)  # a walked value is never None
    return lookup


def compile_pipeline(steps: Sequence[Step]) -> PipelineFn:
    """`(start, index, walked) -> text | None`: the steps, the current value starting as `start` (the
    row index for a label); the first step that finds nothing (and has no default) ends it with None."""
    fns = tuple(_compile_step(s) for s in steps)
    if len(fns) == 1:
        return fns[0]

    def pipeline(start: str | None, index: str, walked: Walked) -> str | None:
        current = start
        for fn in fns:
            current = fn(current, index, walked)
            if current is None:
                return None
        return current
    return pipeline


def run_pipeline(steps: Sequence[Step], index: str, walked: Walked, start: str | None = None) -> str | None:
    """Run label steps; the current value starts as `start` (default: the row index)."""
    return compile_pipeline(steps)(index if start is None else start, index, walked)


# ---------------------------------------------------------------- shared compiled objects

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


# ---------------------------------------------------------------- filters and labels of a row


class _LabelSet:
    """The labels of a metric, in catalogue order: a row's label tuple, or None if one is missing."""

    def __init__(self, names: Sequence[str], pipelines: Sequence[PipelineFn]) -> None:
        self.items = tuple(zip(names, pipelines, strict=True))

    def __call__(self, index: str, walked: Walked) -> Labels | None:
        labels = []
        for name, pipeline in self.items:
            text = pipeline(index, index, walked)
            if text is None:
                return None
            labels.append((name, text))
        return tuple(labels)


def _same(a: str, b: str) -> bool:
    """Equal as text, or as numbers: an index arc "36" and a column's "36" (or a Gauge's "36.0")."""
    if a == b:
        return True
    x = to_number(a)
    return x is not None and x == to_number(b)


def _compile_filter(flt: Filter) -> Callable[[str, Walked], bool]:
    source = _shared_pipeline(flt.source)
    in_ = frozenset(flt.in_) if flt.in_ is not None else None
    not_in = frozenset(flt.not_in) if flt.not_in is not None else None
    regex = re.compile(flt.regex) if flt.regex is not None else None
    not_regex = re.compile(flt.not_regex) if flt.not_regex is not None else None
    lo, hi = flt.min, flt.max
    equals = _shared_pipeline(flt.equals) if flt.equals is not None else None
    not_equals = _shared_pipeline(flt.not_equals) if flt.not_equals is not None else None

    def keep(index: str, walked: Walked) -> bool:
        value = source(index, index, walked)
        if value is None:
            return False
        if equals is not None:
            # The other side runs on the same row; without it (no such radio) the row cannot be vouched for.
            other = equals(index, index, walked)
            if other is None or not _same(value, other):
                return False
        if not_equals is not None:
            other = not_equals(index, index, walked)
            if other is None or _same(value, other):
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
        for keep in self.filters:
            if not keep(index, walked):
                return False
        return True


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


FILTERED: Any = object()  # a row a filter drops (silently, unlike a row that lacks a label)


class RowLabels:
    """A filter set and a label set applied together: a row's labels, None (a label is missing: the row is
    skipped) or FILTERED."""

    def __init__(self, filters: _FilterSet | None, labels: _LabelSet) -> None:
        self.filters, self.labels = filters, labels

    def __call__(self, index: str, walked: Walked) -> Labels | None:
        if self.filters is not None:
            # Shared by the label sets that use the same filters (IF-MIB: interface info and the rest).
            verdicts = walked.memo(self.filters)
            kept = verdicts.get(index)
            if kept is None:
                kept = verdicts[index] = self.filters(index, walked)
            if not kept:
                return FILTERED
        return self.labels(index, walked)


def row_labels(mm: MetricMap, names: Sequence[str]) -> RowLabels:
    """The (shared) filters + labels of a metric; `names` are the catalogue's labels, in its order."""
    filters, labels = _shared_filters(mm.filters), _shared_labels(mm, names)
    result: RowLabels = _shared(f"rows {id(filters)} {id(labels)}", lambda: RowLabels(filters, labels))
    return result


# ---------------------------------------------------------------- value transforms

# ENTITY-SENSOR-MIB / CISCO-ENTITY-SENSOR-MIB SensorDataScale: yocto(1) .. units(9) .. yotta(17).
_SCALE_EXPONENT = {i: (i - 9) * 3 for i in range(1, 18)}

TransformFn = Callable[[float, Any, str, Walked, float], float | None]  # (value, raw, index, walked, poll time)

_TO_MILLIWATTS: dict[str, Callable[[float], float]] = {
    "mw": lambda v: v, "uw": lambda v: v / 1000, "watts": lambda v: v * 1000,
    "tenths_mw": lambda v: v / 10, "hundredths_mw": lambda v: v / 100,
}


def compile_transform(tr: Transform) -> TransformFn:
    if tr.scale is not None:
        factor = tr.scale
        return lambda value, raw, index, walked, now: value * factor
    if tr.offset is not None:
        offset = tr.offset
        return lambda value, raw, index, walked, now: value + offset
    if tr.enum is not None:
        table, other = tr.enum, tr.enum.get("default")

        def enum(value: float, raw: Any, index: str, walked: Walked, now: float) -> float | None:
            key = to_text(raw) if raw is not None else None
            return table[key] if key in table else other
        return enum
    if tr.min is not None:
        lo = tr.min
        return lambda value, raw, index, walked, now: value if value >= lo else None
    if tr.max is not None:
        hi = tr.max
        return lambda value, raw, index, walked, now: value if value <= hi else None
    if tr.dbm_from is not None:
        to_mw = _TO_MILLIWATTS[tr.dbm_from]

        def dbm(value: float, raw: Any, index: str, walked: Walked, now: float) -> float | None:
            milliwatts = to_mw(value)
            # 0 mW has no dBm value: a dark port is reported by its absence, not as -inf.
            return 10 * math.log10(milliwatts) if milliwatts > 0 else None
        return dbm
    if tr.sensor_scale is not None:
        row_of = _index_getter(tr.sensor_scale.index)
        scale_col, precision_col = tr.sensor_scale.scale, tr.sensor_scale.precision

        def sensor_scale(value: float, raw: Any, index: str, walked: Walked, now: float) -> float | None:
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
        return lambda value, raw, index, walked, now: round(value, digits)
    if tr.multiply is not None:
        prefix = tr.multiply + "."

        def multiply(value: float, raw: Any, index: str, walked: Walked, now: float) -> float | None:
            factor = walked.by_oid.get(prefix + index)
            number = to_number(factor.value) if factor is not None else None
            return value * number if number is not None else None
        return multiply
    if tr.uptime_timestamp is not None:
        return _uptime_timestamp(tr.uptime_timestamp + ".0")
    raise AssertionError(f"transform without an operation: {tr!r}")  # pragma: no cover


def _uptime_timestamp(uptime_oid: str) -> TransformFn:
    """TimeTicks since the agent started (ifLastChange) -> Unix time at the poll's clock (`now`), so that
    PromQL compares it with time() and it means the same after a reboot."""

    def uptime_timestamp(value: float, raw: Any, index: str, walked: Walked, now: float) -> float | None:
        uptime = walked.by_oid.get(uptime_oid)
        ticks = to_number(uptime.value) if uptime is not None else None
        if ticks is None or value > ticks:  # no uptime, or one of them wrapped (497 days): unknown
            return None
        return now - (ticks - value) / 100.0
    return uptime_timestamp


