"""Fast exposition of the device samples, byte-identical to what prometheus_client would write.

prometheus_client's `generate_latest` spends ~7 us per series (building Sample tuples, sorting and
escaping labels at every scrape): 1.3 s at 200k series. Here the parts that do not change between
polls are computed once: a `# HELP`/`# TYPE` header per catalogue metric and format, and a pre-escaped,
label-sorted `name{...} ` prefix per (device, series). When the store records a poll, the device's
lines are rendered (prefix + value) per metric and kept as one gzip member each (RFC 1952: members
concatenate into one valid gzip body, which Prometheus' and Python's readers decode whole). A scrape
asking for gzip, as Prometheus does, is then a join of members: nothing is compressed at scrape time,
and the text a scrape sends is held at ~1/15 of its size. A metric whose series and values are those
of the last poll keeps its member untouched (no render, no compression). Values go through
prometheus_client's own `floatToGoString`; counter (`_total`) and info (`_info`, value 1) naming
follow its text format 0.0.4 and OpenMetrics 1.0 writers. Sample timestamps are not exposed (like
prometheus_client's own metrics), so Prometheus' staleness handling applies.

The self-metrics stay in a prometheus_client registry and are appended with its own encoder.

Parts (`/metrics?part=`, docs/exporter.md "Scrape contract"): `liveness` holds the catalogue's liveness
families (what the paging rules read), `bulk` everything else, so that Prometheus scrapes the small one
often and the large one seldom, each series from one job. A part is a filter over the families, chosen
before the join: the liveness page costs what its few families cost.
"""

from __future__ import annotations

import threading
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString

from collector.store import DeviceEntry, Store
from inventory.model import Device, Inventory
from metrics import catalogue
from metrics.identity import identity_labels
from metrics.sample import DEVICE_METRIC_TYPES, Labels, Sample
from metrics.series import EMPTY, Series

TEXT = "text"
OPENMETRICS = "openmetrics"
OPENMETRICS_EOF = "# EOF\n"
GZIP_LEVEL = 1  # ~15x smaller exposition text at a fraction of level 6's CPU (benchmarks/exposition.py)


def pack(text: bytes) -> bytes:
    """`text` as one gzip member (deterministic: no name, mtime 0)."""
    return zlib.compress(text, GZIP_LEVEL, 31)


def unpack(member: bytes) -> bytes:
    return zlib.decompress(member, 31)


def go_float(value: float) -> str:
    """prometheus_client's `floatToGoString` (the exposition must stay byte-identical), faster.

    Values are written at every poll for every series: a plain finite float skips the float()
    conversion and the infinity/NaN comparisons (its repr holds no `n`); anything else goes to
    prometheus_client. Like it, Go's exponent form for 7+ digits before the point of a positive value.
    """
    if type(value) is float:
        s = repr(value)
        if "n" not in s:
            dot = s.find(".")
            if dot > 6 and value > 0:
                mantissa = f"{s[0]}.{s[1:dot]}{s[dot + 1:]}".rstrip("0.")
                return f"{mantissa}e+{dot - 1:02d}"
            return s
    return floatToGoString(value)


def escape_label_value(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


@dataclass(frozen=True, slots=True)
class Family:
    """How one catalogue metric is written: the names and headers prometheus_client would use."""

    metric: catalogue.Metric
    sample_name: str  # name on each sample line (`..._total`, `..._info`)
    is_info: bool
    packed: dict[str, bytes]  # format -> its `# HELP`/`# TYPE` lines, as a gzip member


def family_of(metric: catalogue.Metric) -> Family:
    name = metric.name
    if metric.type == "counter":
        base = name.removesuffix("_total")  # CounterMetricFamily strips it, the writers add it back
    elif metric.type == "info":
        base = name.removesuffix("_info")  # the writers append `_info` to an info family's name
    else:
        base = name
    unit = metric.unit if metric.type != "info" else ""
    if unit and not base.endswith("_" + unit):
        base += "_" + unit  # as prometheus_client.Metric does
    suffix = {"counter": "_total", "info": "_info"}.get(metric.type, "")
    text_type = "gauge" if metric.type == "info" else metric.type
    text_help = metric.help.replace("\\", r"\\").replace("\n", r"\n")
    text = f"# HELP {base}{suffix} {text_help}\n# TYPE {base}{suffix} {text_type}\n"
    om = f"# HELP {base} {escape_label_value(metric.help)}\n# TYPE {base} {metric.type}\n"
    if unit:
        om += f"# UNIT {base} {unit}\n"
    packed = {TEXT: pack(text.encode()), OPENMETRICS: pack(om.encode())}
    return Family(metric, base + suffix, metric.type == "info", packed)


# Catalogue order is the exposition order of the device families.
FAMILIES: dict[str, Family] = {
    m.name: family_of(m) for m in catalogue.METRICS if m.per_device and m.type in DEVICE_METRIC_TYPES
}

Part = str | None  # a key of PARTS, or None for the whole page
# part -> whether it holds the catalogue's liveness families (the other part holds the rest)
PARTS: dict[str, bool] = {"liveness": True, "bulk": False}
_PART_FAMILIES: dict[Part, dict[str, Family]] = {
    None: FAMILIES,
    **{part: {n: f for n, f in FAMILIES.items() if f.metric.liveness == live} for part, live in PARTS.items()},
}
# prometheus_client's family name (counters without `_total`, info without `_info`) -> catalogue metric
_BY_CLIENT_NAME: dict[str, catalogue.Metric] = {
    m.name.removesuffix({"counter": "_total", "info": "_info"}.get(m.type, "")): m for m in catalogue.METRICS
}


def in_part(client_name: str, part: Part) -> bool:
    """Whether a registry family (prometheus_client's name) belongs on `part`; one not in the catalogue is bulk."""
    if part is None:
        return True
    metric = _BY_CLIENT_NAME.get(client_name)
    return (metric is not None and metric.liveness) == PARTS[part]


@dataclass(frozen=True, slots=True)
class PartRegistry:
    """The families of `registry` on one part, for prometheus_client's encoders (they only `collect()`)."""

    registry: CollectorRegistry
    part: Part

    def collect(self) -> Iterator[Metric]:
        return (m for m in self.registry.collect() if in_part(m.name, self.part))


@dataclass(frozen=True, slots=True)
class _Group:
    """One metric's lines of the last render: where its series were, its member, and per series two
    offsets into its text (where the line starts, where the value starts)."""

    start: int
    end: int
    member: bytes
    spans: array  # 'I'


def runs(metrics: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """(metric, start, end) of each run of one metric (the store keeps a device's series grouped)."""
    out: list[tuple[str, int, int]] = []
    metric, start = "", 0
    for i, name in enumerate(metrics):
        if name is not metric and name != metric:
            if i:
                out.append((metric, start, i))
            metric, start = name, i
    if metrics:
        out.append((metric, start, len(metrics)))
    return out


def grouped(series: Series) -> Series:
    """`series` with each metric's series together, in order of first appearance (what the writers do)."""
    order: dict[str, list[int]] = {}
    for i, metric in enumerate(series.metrics):
        order.setdefault(metric, []).append(i)
    at = [i for indices in order.values() for i in indices]
    values, timestamps = series.values, series.timestamps
    return Series(tuple(series.metrics[i] for i in at), tuple(series.labels[i] for i in at),
                  array("d", [values[i] for i in at]), array("d", [timestamps[i] for i in at]))


class DeviceRenderer:
    """Renders one device's series, metric by metric; keeps, of the last render, only what the next needs.

    What is kept: per metric its gzip member (what a scrape joins) and the offsets of each series in its
    text; and the series rendered (the very object the store's entry holds, so no copy). A metric whose
    labels and values are bit for bit those of the last render keeps its member as is. Otherwise its
    last text is unpacked once and, series by series at the same position with the same labels, the
    label prefix is sliced from it (and the whole line, for an unchanged non-zero value): no prefix
    string and no per-series dict are kept, and labels are neither sorted nor escaped again. The store
    keeps a series' label tuple from poll to poll, so "the same labels" is mostly an identity test.
    """

    __slots__ = ("_groups", "_identity", "_series")

    def __init__(self, identity: Labels) -> None:
        self._identity = tuple((k, escape_label_value(v)) for k, v in identity)
        self._series: Series = EMPTY
        self._groups: dict[str, _Group] = {}

    def _prefix(self, metric: str, labels: Labels) -> bytes:
        family = FAMILIES[metric]
        pairs = sorted(self._identity + tuple((k, escape_label_value(v)) for k, v in labels))
        inner = ",".join(f'{k}="{v}"' for k, v in pairs)
        prefix = f"{family.sample_name}{{{inner}}} " if inner else f"{family.sample_name} "
        return (prefix + floatToGoString(1) + "\n" if family.is_info else prefix).encode()

    def render(self, series: Series | Iterable[Sample]) -> dict[str, bytes]:
        """metric name -> this device's sample lines of that metric (UTF-8, one gzip member), in series order.

        Series must have unique (metric, labels) keys; a metric's series are written together, in order
        (collectors give them so; others are regrouped, at the cost of a copy).
        """
        if not isinstance(series, Series):
            series = Series.of(series)
        metric_runs = runs(series.metrics)
        if len({metric for metric, _, _ in metric_runs}) != len(metric_runs):
            series = grouped(series)
            metric_runs = runs(series.metrics)
        previous, old_groups = self._series, self._groups
        labels, p_labels = series.labels, previous.labels
        groups: dict[str, _Group] = {}
        with memoryview(series.values).cast("B") as now, memoryview(previous.values).cast("B") as before:
            for metric, a, b in metric_runs:
                old = old_groups.get(metric)
                if (old is not None and old.end - old.start == b - a and p_labels[old.start:old.end] == labels[a:b]
                        and before[8 * old.start:8 * old.end] == now[8 * a:8 * b]):
                    groups[metric] = _Group(a, b, old.member, old.spans)  # nothing changed: not even packed
                else:
                    groups[metric] = self._render_group(metric, series, a, b, old, previous)
        self._series, self._groups = series, groups
        return {metric: group.member for metric, group in groups.items()}

    def _render_group(self, metric: str, series: Series, a: int, b: int, old: _Group | None,
                      previous: Series) -> _Group:
        """One metric's lines, from its last text where labels (and values) are the same. This runs at
        every poll for every series of a changed metric, hence the locals of a hot loop."""
        labels, values = series.labels, series.values
        if old is not None:
            text, spans, p_start, known = unpack(old.member), old.spans, old.start, old.end - old.start
            p_labels, p_values = previous.labels, previous.values
        else:
            text, spans, p_start, known = b"", array("I"), 0, 0
            p_labels, p_values = (), array("d")
        is_info = FAMILIES[metric].is_info
        bucket: list[bytes] = []
        new_spans = array("I")
        span = new_spans.extend
        fmt = go_float
        size = 0
        for j in range(b - a):
            line_labels = labels[a + j]
            if j < known and ((p := p_labels[p_start + j]) is line_labels or p == line_labels):
                line, value_at = spans[2 * j], spans[2 * j + 1]
                if is_info:
                    prefix = text[line:value_at]
                elif (v := values[a + j]) and v == p_values[p_start + j]:
                    # the same non-zero value has the same text (a zero may be -0.0: rendered again)
                    end = spans[2 * j + 2] if 2 * j + 2 < len(spans) else len(text)
                    span((size, size + value_at - line))
                    bucket.append(text[line:end])
                    size += end - line
                    continue
                else:
                    prefix = text[line:value_at]
            else:
                prefix = self._prefix(metric, line_labels)
            end = size + len(prefix)
            span((size, end))
            bucket.append(prefix)
            if is_info:  # the prefix is the whole line (value 1)
                size = end
            else:
                value = f"{fmt(values[a + j])}\n".encode()
                bucket.append(value)
                size = end + len(value)
        return _Group(a, b, pack(b"".join(bucket)), new_spans)


@dataclass(frozen=True, slots=True)
class _Rendered:
    entry: DeviceEntry
    chunks: dict[str, bytes]


class DeviceExposition:
    """The device part of /metrics, rendered from the store; thread-safe for concurrent scrapes."""

    def __init__(self, store: Store, identities: Mapping[str, Labels] | None = None) -> None:
        self._store = store
        self._identities: dict[str, Labels] = dict(identities or {})
        self._renderers: dict[str, DeviceRenderer] = {}
        self._rendered: dict[str, _Rendered] = {}
        self._lock = threading.Lock()  # one renderer is not safe to run twice at once
        store.subscribe(self.refresh)

    def set_identities(self, identities: Mapping[str, Labels]) -> None:
        """Identity labels per device (from the inventory); devices whose labels changed are re-rendered."""
        with self._lock:
            changed = [d for d, labels in identities.items() if self._identities.get(d) != labels]
            changed += [d for d in self._identities if d not in identities]
            self._identities = dict(identities)
            for device in changed:
                self._renderers.pop(device, None)
                self._rendered.pop(device, None)
        for device in changed:
            self.refresh(device)

    def refresh(self, device: str) -> None:
        """Store listener: render the device's new entry now, off the scrape path."""
        entry = self._store.get(device)
        if entry is None:
            with self._lock:
                self._rendered.pop(device, None)
                self._renderers.pop(device, None)
            return
        self._chunks(entry)

    def _chunks(self, entry: DeviceEntry) -> dict[str, bytes]:
        done = self._rendered.get(entry.device)
        if done is not None and done.entry is entry:
            return done.chunks
        with self._lock:
            done = self._rendered.get(entry.device)
            if done is not None and done.entry is entry:  # rendered by another thread meanwhile
                return done.chunks
            renderer = self._renderers.get(entry.device)
            if renderer is None:
                identity = self._identities.get(entry.device) or (("device", entry.device),)
                renderer = self._renderers[entry.device] = DeviceRenderer(identity)
            chunks = renderer.render(entry.series)
            self._rendered[entry.device] = _Rendered(entry, chunks)
        return chunks

    def text(self, fmt: str = TEXT) -> str:
        return self.body(fmt).decode()

    def members(self, fmt: str = TEXT, part: Part = None) -> list[bytes]:
        """The device families of `part` (None: all) in `fmt` (TEXT or OPENMETRICS, without `# EOF`) as gzip
        members, in order."""
        families = _PART_FAMILIES[part]
        buckets: dict[str, list[bytes]] = {}
        for entry in self._store.snapshot():
            for metric, member in self._chunks(entry).items():
                if metric not in families:
                    continue
                bucket = buckets.get(metric)
                if bucket is None:
                    bucket = buckets[metric] = []
                bucket.append(member)
        out: list[bytes] = []
        for name, family in families.items():
            bucket = buckets.get(name)
            if bucket:
                out.append(family.packed[fmt])
                out.extend(bucket)
        return out

    def body(self, fmt: str = TEXT, part: Part = None) -> bytes:
        """The device families of `part` in `fmt`, as plain text (for a scraper that does not take gzip)."""
        return b"".join(map(unpack, self.members(fmt, part)))


def device_identities(inventory: Inventory, devices: Iterable[Device]) -> dict[str, Labels]:
    """hostname -> identity labels, from the inventory (the single source of site, commune, role)."""
    out: dict[str, Labels] = {}
    for d in devices:
        site = inventory.site_of(d)
        out[d.hostname] = identity_labels(site.id, site.kind.value, site.commune, d.hostname, d.role.value)
    return out


Encoder = Callable[[CollectorRegistry | PartRegistry], bytes]  # prometheus_client's: they only collect()


def negotiate(accept: str | None) -> tuple[str, Encoder, str]:
    """(format, encoder of the self-metrics registry, content type) for a scraper's Accept header."""
    encoder, content_type = choose_encoder(accept or "")
    fmt = OPENMETRICS if content_type.startswith("application/openmetrics-text") else TEXT
    return fmt, encoder, content_type


def render(devices: DeviceExposition, registry: CollectorRegistry | None, accept: str | None = None,
           gzipped: bool = False, part: Part = None) -> tuple[bytes, str]:
    """The /metrics body of `part` (None: the whole page): device families then the registry's (self-metrics,
    sites), and its content type.

    `gzipped`: the body gzip-encoded, as the members kept by the store's listener joined (what
    Prometheus asks for); otherwise plain text, each member unpacked.
    """
    fmt, encoder, content_type = negotiate(accept)
    if registry is not None:
        # the OpenMetrics encoder ends with `# EOF`
        tail = encoder(registry if part is None else PartRegistry(registry, part))
    else:
        tail = OPENMETRICS_EOF.encode() if fmt == OPENMETRICS else b""
    if not gzipped:
        return devices.body(fmt, part) + tail, content_type
    members = devices.members(fmt, part)
    if tail or not members:  # an empty body is not a gzip stream: one empty member then
        members.append(pack(tail))
    return b"".join(members), content_type
