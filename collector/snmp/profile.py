"""SNMP modules (`collector/profiles/*.yaml`): loaded and validated once, then trusted.

A module says what to walk (numeric OIDs) and how each column maps to a catalogue metric: the labels
(pipelines of steps over the row index and other columns), the filters, the value transforms. The
format is described in docs/snmp-profiles.md. Every error names the file and line of the faulty key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from collector.errors import CollectorError
from metrics import catalogue

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"

_OID_RE = re.compile(r"^\d+(\.\d+)*$")
_INDEX_SPEC = r"^(all|-?\d+|\d+-\d*)?$"


def _oid(value: str) -> str:
    value = str(value).strip().lstrip(".")
    if not _OID_RE.fullmatch(value):
        raise ValueError(f"not a numeric OID: {value!r} (MIB names only in comments)")
    return value


Oid = Annotated[str, Field(min_length=1)]


class ProfileError(CollectorError):
    """A module file that does not load or validate; the message names file:line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


_STEP_OPS = ("index", "lookup", "reverse", "ordinal", "last_arcs", "regex", "map", "text", "as_", "first_of", "join")


class Step(_Strict):
    """One step of a label pipeline. The pipeline starts with the row index as its current value."""

    index: str | None = Field(None, pattern=_INDEX_SPEC,
                              description="index arcs, 1-based: '2', '1-6', '7-', '-1', '' for all")
    lookup: str | None = Field(None, description="value of this column at <current> (+ suffix)")
    suffix: str = ""
    reverse: str | None = Field(None, description="index of the row of this column whose value is <current>")
    ordinal: str | None = Field(None, description="position (0-based) of <current> among this column's row "
                                "indexes: cpu0, cpu1... where the MIB only numbers rows (hrProcessorTable)")
    last_arcs: int | None = Field(None, ge=1, description="last N arcs of an OID value")
    regex: str | None = Field(None, description="first group (or whole match) of this regex")
    map: dict[str, str] | None = None
    default: str | None = Field(None, description="value when a step finds nothing")
    text: str | None = Field(None, description="a constant")
    as_: Literal["mac", "string", "hex", "int"] | None = Field(None, alias="as",
                                                             description="render the index arcs")
    first_of: list[list[Step]] | None = None
    join: list[list[Step]] | None = None
    sep: str = "_"

    @field_validator("lookup", "reverse", "ordinal")
    @classmethod
    def _numeric(cls, v: str | None) -> str | None:
        return None if v is None else _oid(v)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            re.compile(v)
        return v

    @field_validator("map", mode="before")
    @classmethod
    def _str_keys(cls, v: Any) -> Any:
        return {str(k): str(x) for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("first_of", "join", mode="before")
    @classmethod
    def _pipelines(cls, v: Any) -> Any:
        return [_pipeline(x) for x in v] if isinstance(v, list) else v

    @model_validator(mode="after")
    def _one_op(self) -> Step:
        ops = [op for op in _STEP_OPS if getattr(self, op) is not None]
        if len(ops) != 1:
            raise ValueError(f"a step needs exactly one of {', '.join(o.rstrip('_') for o in _STEP_OPS)}; "
                             f"got {', '.join(o.rstrip('_') for o in ops) or 'none'}")
        return self


def _pipeline(v: Any) -> Any:
    """A single step may be written as a mapping instead of a one-element list."""
    return [v] if isinstance(v, dict) else v


Pipeline = list[Step]


_FILTER_PREDICATES = frozenset({"in", "not_in", "regex", "not_regex", "min", "max", "equals", "not_equals"})


class Filter(_Strict):
    """Keep a row only if the value of `source` satisfies every predicate given.

    `equals` / `not_equals` compare it with another pipeline run on the same row: a join between two
    tables of one walk. Per-channel tables (AIRESPACE bsnAPIfDBNoiseTable, indexed AP MAC . slot .
    channel, one row per channel the radio scanned) keep the row of the radio's current channel with
    `source: {index: "8"}` and `equals: [{index: "1-7"}, {lookup: bsnAPIfPhyChannelNumber}]`.
    """

    source: Pipeline
    in_: list[str] | None = Field(None, alias="in")
    not_in: list[str] | None = None
    regex: str | None = None
    not_regex: str | None = None
    min: float | None = None
    max: float | None = None
    equals: Pipeline | None = Field(None, description="keep the row if `source` equals this pipeline's value "
                                    "on the same row (as text, or as numbers: '36' = '36.0'); a miss drops it")
    not_equals: Pipeline | None = Field(None, description="keep the row unless `source` equals this pipeline's "
                                        "value on the same row; a miss drops it (nothing to compare with)")

    @model_validator(mode="before")
    @classmethod
    def _inline_step(cls, data: Any) -> Any:
        # `- lookup: 1.3.6...\n  in: [6]` is shorthand for a one-step source.
        if isinstance(data, dict) and "source" not in data:
            step = {k: v for k, v in data.items() if k not in _FILTER_PREDICATES}
            data = {k: v for k, v in data.items() if k in _FILTER_PREDICATES} | {"source": [step]}
        elif isinstance(data, dict):
            data = dict(data) | {"source": _pipeline(data["source"])}
        for key in ("in", "not_in"):
            if isinstance(data, dict) and isinstance(data.get(key), list):
                data[key] = [str(x) for x in data[key]]
        return data

    @field_validator("equals", "not_equals", mode="before")
    @classmethod
    def _other_pipeline(cls, v: Any) -> Any:
        # A constant here is almost surely `in: [36]` misspelt: it would compare with a lookup of nothing.
        if v is None:
            return v
        if not isinstance(v, dict | list):
            raise ValueError(f"takes a pipeline run on the same row, such as [{{index: \"1-7\"}}, {{lookup: "
                             f"COLUMN}}], not the constant {v!r} (compare with constants with `in: [...]`)")
        steps = _pipeline(v)
        if not steps:
            raise ValueError("an empty pipeline has nothing to compare with: give its steps, such as "
                             "[{index: \"1-7\"}, {lookup: COLUMN}]")
        return steps

    @field_validator("regex", "not_regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            re.compile(v)
        return v


class SensorScale(_Strict):
    """ENTITY-SENSOR / CISCO-ENTITY-SENSOR: value x 10^(scale exponent - precision)."""

    scale: str
    precision: str
    index: str = Field("", pattern=_INDEX_SPEC, description="index arcs of the sensor row ('' = the whole index)")

    @field_validator("scale", "precision")
    @classmethod
    def _numeric(cls, v: str) -> str:
        return _oid(v)


class Transform(_Strict):
    scale: float | None = None
    offset: float | None = None
    enum: dict[str, float] | None = Field(None, description="raw value -> number; key 'default' for others")
    dbm_from: Literal["mw", "uw", "watts", "tenths_mw", "hundredths_mw"] | None = None
    sensor_scale: SensorScale | None = None
    multiply: str | None = Field(None, description="multiply by this column at the same index (hrStorage units)")
    uptime_timestamp: str | None = Field(None, description="TimeTicks of this uptime scalar (sysUpTime) -> Unix "
                                         "time: now - (uptime - value) / 100 (ifLastChange as a timestamp)")
    round: int | None = Field(None, ge=0, le=9, description="decimal digits to keep (after log conversions)")
    min: float | None = Field(None, description="drop the sample below this (after previous transforms)")
    max: float | None = Field(None, description="drop the sample above this")

    @field_validator("enum", mode="before")
    @classmethod
    def _str_keys(cls, v: Any) -> Any:
        return {str(k): x for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("multiply", "uptime_timestamp")
    @classmethod
    def _numeric(cls, v: str | None) -> str | None:
        return None if v is None else _oid(v)

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        if isinstance(data, str):  # `- dbm_from_mw` style shorthand is not allowed: keep one spelling
            raise ValueError(f"a transform is a mapping such as `scale: 0.01`, not {data!r}")
        return data

    @model_validator(mode="after")
    def _one(self) -> Transform:
        given = [k for k in ("scale", "offset", "enum", "dbm_from", "sensor_scale", "multiply", "uptime_timestamp",
                             "round", "min", "max")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"a transform needs exactly one operation, got {given or 'none'}")
        return self


class MetricMap(_Strict):
    metric: str
    oid: list[str] = Field(description="column(s); several are summed (same index)")
    fallback: list[str] | None = Field(None, description="column(s) used for a row the first lacks")
    labels: dict[str, Pipeline] = {}
    filters: list[Filter] = []
    value: list[Transform] = []
    counter32: list[str] = Field([], description="columns that are Counter32 in their MIB: the poller "
                                 "unwraps them (gufo_snmp reports every integer as 'int')")
    value_regex: str | None = Field(None, description="number = first group of this regex on the raw text "
                                    "(Aruba's channel '116E')")
    partial_sum: bool = Field(False, description="several `oid` (or `fallback`) columns: sum those a row has, "
                              "provided it has the first; by default a row lacking one is left to the fallback")
    aggregate: Literal["first", "sum"] = Field("first", description="rows that give the same labels: keep the "
                                               "first, or add them up (clients of the SSIDs of one radio)")

    @field_validator("oid", "fallback", "counter32", mode="before")
    @classmethod
    def _oids(cls, v: Any) -> Any:
        if v is None:
            return v
        items = v if isinstance(v, list) else [v]
        return [_oid(str(x)) for x in items]

    @field_validator("labels", mode="before")
    @classmethod
    def _pipelines(cls, v: Any) -> Any:
        return {k: _pipeline(x) for k, x in v.items()} if isinstance(v, dict) else v


class Module(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    description: str
    sys_object_ids: list[str] = []
    interval: Literal["fast", "slow"] = "fast"
    walk: list[str] = Field(min_length=1)
    metrics: list[MetricMap] = Field(min_length=1)
    source: str = Field("", exclude=True, description="file the module came from")

    @field_validator("sys_object_ids", "walk", mode="before")
    @classmethod
    def _oids(cls, v: Any) -> Any:
        return [_oid(str(x)) for x in v] if isinstance(v, list) else v


# ---------------------------------------------------------------- YAML with line numbers


class _Lines(dict):
    """A mapping that remembers the line of each key (1-based) and its own."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Lines:
    loader.flatten_mapping(node)
    out = _Lines()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_of(raw: Any, loc: Iterable[Any]) -> int:
    """The line of the deepest key of `loc` found in the raw YAML (pydantic's error location)."""
    line = getattr(raw, "line", 1)
    node = raw
    for part in loc:
        if isinstance(node, _Lines):
            key = part if part in node else {"in_": "in", "as_": "as"}.get(str(part), part)
            if key in node:
                line = node.key_lines.get(str(key), line)
                node = node[key]
                continue
            break
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
            continue
        if isinstance(node, list) and isinstance(part, int):
            break
    return line


def _walk_oids(raw: Any) -> Iterable[tuple[str, str, int]]:
    """(key, oid, line) for every OID-valued key, to check they lie under a walked root."""
    if isinstance(raw, _Lines):
        for key, value in raw.items():
            if key in ("lookup", "reverse", "ordinal", "multiply", "uptime_timestamp") and isinstance(value, str | int):
                yield key, str(value), raw.key_lines.get(str(key), raw.line)
            elif key == "sensor_scale" and isinstance(value, _Lines):
                for sub in ("scale", "precision"):
                    if sub in value:
                        yield sub, str(value[sub]), value.key_lines.get(sub, value.line)
            elif key in ("oid", "fallback", "counter32"):
                for oid in value if isinstance(value, list) else [value]:
                    yield key, str(oid), raw.key_lines.get(str(key), raw.line)
            else:
                yield from _walk_oids(value)
    elif isinstance(raw, list):
        for item in raw:
            yield from _walk_oids(item)


def _under(oid: str, roots: list[str]) -> bool:
    return any(oid == r or oid.startswith(r + ".") for r in roots)


def load_module(path: Path) -> Module:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ProfileError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, _Lines):
        raise ProfileError(f"{path}:1: a module is a mapping (name, description, walk, metrics)")
    try:
        # `x-...` keys hold YAML anchors shared by several metrics (as in docker compose files).
        fields = {k: v for k, v in raw.items() if not str(k).startswith("x-")}
        module = Module.model_validate(fields | {"source": str(path)})
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            errors.append(f"{path}:{_line_of(raw, err['loc'])}: {loc}: {err['msg']}")
        raise ProfileError("invalid SNMP module:\n  " + "\n  ".join(errors)) from None
    if module.name != path.stem:
        raise ProfileError(f"{path}:{raw.key_lines.get('name', 1)}: name {module.name!r} must match the "
                           f"file name {path.stem!r}")
    for key, oid, line in _walk_oids(raw.get("metrics")):
        if not _under(oid.lstrip("."), module.walk):
            raise ProfileError(f"{path}:{line}: {key} {oid} is not under any OID of `walk`")
    metrics_raw = raw["metrics"]
    for i, mm in enumerate(module.metrics):
        item = metrics_raw[i]
        line = item.key_lines.get("metric", item.line) if isinstance(item, _Lines) else 1
        try:
            meta = catalogue.get(mm.metric)
        except catalogue.UnknownMetric as exc:
            raise ProfileError(f"{path}:{line}: {exc.args[0]}") from None
        if not meta.per_device:
            raise ProfileError(f"{path}:{line}: {mm.metric} is not a per-device metric")
        if set(mm.labels) != set(meta.labels):
            lab_line = item.key_lines.get("labels", line) if isinstance(item, _Lines) else line
            raise ProfileError(f"{path}:{lab_line}: {mm.metric} labels {sorted(mm.labels)} must be exactly "
                               f"the catalogue's {sorted(meta.labels)}")
    return module


def load_modules(directory: Path = PROFILES_DIR) -> dict[str, Module]:
    """Every module of a directory, by name; the first error stops the load (config is all or nothing)."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ProfileError(f"{directory}: no SNMP module (*.yaml)")
    return {m.name: m for m in (load_module(f) for f in files)}


_CACHE: dict[Path, dict[str, Module]] = {}


def modules(directory: Path = PROFILES_DIR) -> dict[str, Module]:
    """The modules of `directory`, loaded once per process."""
    key = directory.resolve()
    if key not in _CACHE:
        _CACHE[key] = load_modules(directory)
    return _CACHE[key]
