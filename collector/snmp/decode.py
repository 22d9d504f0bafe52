"""Varbinds of one device + a module -> catalogue samples.

Pure functions over what was walked: no I/O, so the same code decodes a live poll and a recording.
A row that lacks a column, a lookup that finds nothing without a default, or a value that is not a
number is skipped (counted in `DecodeResult.skipped`), never guessed.

Every varbind of every device passes through here (~2,000 per IF-MIB poll), so: a module is compiled
once into plans (labels, filters and transforms as closures, collector.snmp.pipeline); `Walked` finds a
column's rows without sorting the walk (collector.snmp.walked); each row's labels and filter verdict are
computed once per walk and shared by every metric of the row (the 14 IF-MIB metrics of an interface share
one ifName/ifAlias lookup and one label tuple); duplicates are dropped as they appear, not in a second
pass. The output is the same, sample for sample, whatever the order of the varbinds
(tests/unit/snmp_profiles/test_decode_order.py).
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from collector.model import Labels, Sample
from collector.snmp.pipeline import FILTERED, compile_pipeline, compile_transform, row_labels, run_pipeline
from collector.snmp.profile import MetricMap, Module
from collector.snmp.walked import VarbindLike, Walked, is_counter32, tag_is_counter32, to_number, to_text
from metrics import catalogue

__all__ = ["DecodeResult", "VarbindLike", "Walked", "compile_pipeline", "decode", "is_counter32", "new_sample",
           "plan", "run_pipeline", "to_number", "to_text"]

_MISSING: Any = object()
_TYPE = attrgetter("type")


def _sample_maker() -> Callable[[str, Labels, float, float], Sample]:
    """`Sample(...)` without the frozen dataclass's `__init__` (one generic `object.__setattr__` per field,
    ~40% of the cost of a decoded sample): the same object, its slots set directly. The constructor
    itself if `Sample` ever gains other fields or a `__post_init__`."""
    names = tuple(f.name for f in dataclasses.fields(Sample))
    slots = [getattr(Sample, name, None) for name in names]
    if names != ("metric", "labels", "value", "timestamp") or hasattr(Sample, "__post_init__") or not all(
            isinstance(slot, types.MemberDescriptorType) for slot in slots):
        return Sample
    new = object.__new__
    set_metric, set_labels, set_value, set_timestamp = (slot.__set__ for slot in slots)

    def make(metric: str, labels: Labels, value: float, timestamp: float) -> Sample:
        sample = new(Sample)
        set_metric(sample, metric)
        set_labels(sample, labels)
        set_value(sample, value)
        set_timestamp(sample, timestamp)
        return sample
    return make


new_sample = _sample_maker()


@dataclass(slots=True)
class DecodeResult:
    samples: list[Sample] = field(default_factory=list)
    counter32: set[tuple[str, Labels]] = field(default_factory=set)
    skipped: int = 0


class _ColumnSet:
    """Columns summed into one value (`oid` or `fallback`), with the Counter32 flag the profile gives."""

    def __init__(self, columns: Sequence[str], counter32: Sequence[str], partial: bool = False) -> None:
        self.prefixes = tuple(c + "." for c in columns)
        self.counter32 = any(c in counter32 for c in columns)
        self.partial = partial

    def value(self, index: str, walked: Walked) -> tuple[float | None, Any, bool] | None:
        """(summed number, raw value of the first column, any Counter32), or None if a column lacks the row
        (with `partial`: only if the first column lacks it; the others are summed when present)."""
        by_oid, found = walked.by_oid, []
        for prefix in self.prefixes:
            vb = by_oid.get(prefix + index)
            if vb is None:
                if found and self.partial:  # `partial_sum`: the first column is required, not the others
                    continue
                return None
            found.append(vb)
        numbers = [to_number(vb.value) for vb in found]
        total = None if None in numbers else sum(n for n in numbers if n is not None)
        c32 = self.counter32 or any(map(tag_is_counter32, map(_TYPE, found)))
        return total, found[0].value, c32


class _MetricPlan:
    """One `MetricMap`, compiled."""

    def __init__(self, mm: MetricMap) -> None:
        meta = catalogue.get(mm.metric)
        self.metric = mm.metric
        self.is_info, self.is_counter = meta.type == "info", meta.type == "counter"
        self.sum = mm.aggregate == "sum"
        self.column, self.fallback_column = mm.oid[0], (mm.fallback[0] if mm.fallback else None)
        self.primary = _ColumnSet(mm.oid, mm.counter32, mm.partial_sum)
        self.fallback = _ColumnSet(mm.fallback, mm.counter32, mm.partial_sum) if mm.fallback else None
        self.row_labels = row_labels(mm, meta.labels)
        self.value_regex = re.compile(mm.value_regex) if mm.value_regex is not None else None
        self.transforms = tuple(compile_transform(tr) for tr in mm.value)

    def _rows(self, walked: Walked) -> Sequence[tuple[str, VarbindLike | None]]:
        """(index, varbind of the single primary column or None) of every row, primary column first."""
        rows: Sequence[tuple[str, VarbindLike | None]] = walked.rows(self.column)
        if len(self.primary.prefixes) > 1:
            rows = [(index, None) for index, _ in rows]
        if self.fallback_column is None:
            return rows
        extra = walked.indexes(self.fallback_column) - walked.indexes(self.column)
        if not extra:  # the usual case: every interface has its 64-bit counters
            return rows
        return [*rows, *((index, None) for index, _ in walked.rows(self.fallback_column) if index in extra)]

    def _value(self, index: str, walked: Walked) -> tuple[float | None, Any, bool]:
        for columns in (self.primary, self.fallback):
            if columns is not None and (found := columns.value(index, walked)) is not None:
                return found
        return None, None, False

    def run(self, walked: Walked, timestamp: float, result: DecodeResult, seen: set[tuple[str, Labels]]) -> None:
        """Append this metric's samples to `result`; `seen` holds the (metric, labels) already given by
        the module (the first keeps the series, later duplicates are counted as skipped)."""
        metric, samples, counter32 = self.metric, result.samples, result.counter32
        row_labels, memo, filtered = self.row_labels, walked.memo(self.row_labels), FILTERED
        value_regex, transforms, is_info, is_counter, summing = (
            self.value_regex, self.transforms, self.is_info, self.is_counter, self.sum)
        primary_c32, isfinite, make, append, seen_add = (
            self.primary.counter32, math.isfinite, new_sample, samples.append, seen.add)  # locals: a hot loop
        sums: dict[tuple[str, Labels], int] = {}  # aggregate: sum -> position of the sample (-1: a duplicate)
        skipped = 0
        for index, vb in self._rows(walked):
            labels = memo.get(index, _MISSING)
            if labels is _MISSING:
                labels = memo[index] = row_labels(index, walked)
            if labels is filtered:
                continue
            if labels is None:
                skipped += 1
                continue
            if vb is not None:  # the row of the single primary column holds the value
                raw = vb.value
                if type(raw) is int:
                    number: float | None = float(raw)
                else:
                    number = to_number(raw)
                    number = None if number is None else 0 + number  # what sum() of one column gives
                c32 = is_counter and (primary_c32 or tag_is_counter32(vb.type))
            else:
                number, raw, c32 = self._value(index, walked)
            if value_regex is not None:
                m = value_regex.search(to_text(raw) or "")
                number = to_number(m.group(1) if m and m.groups() else m.group(0) if m else None)
            if is_info:
                number = 1.0
            for transform in transforms:
                if number is None:
                    break
                number = transform(number, raw, index, walked, timestamp)
            if number is None or not isfinite(number):
                skipped += 1
                continue
            key = (metric, labels)
            if summing:
                position = sums.get(key)
                if position is not None:
                    if position >= 0:
                        samples[position] = make(metric, labels, samples[position].value + number, timestamp)
                    continue
            before = len(seen)
            seen_add(key)
            if len(seen) == before:  # a series an earlier row or metric already gave
                skipped += 1
                if summing:
                    sums[key] = -1
            else:
                if summing:
                    sums[key] = len(samples)
                append(make(metric, labels, number, timestamp))
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
