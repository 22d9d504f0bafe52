"""A sample of one catalogue metric for one device, and the one check that decides it may be exposed."""

from __future__ import annotations

from dataclasses import dataclass

from metrics import catalogue

Labels = tuple[tuple[str, str], ...]

# Metric types a device sample may have: the exposition's fast path handles exactly these.
DEVICE_METRIC_TYPES = frozenset({"counter", "gauge", "info"})
COUNTERS = frozenset(m.name for m in catalogue.METRICS if m.type == "counter")


@dataclass(slots=True, frozen=True)
class Sample:
    """One value of one catalogue metric for one device.

    `labels` holds the metric's own labels (ifname, sensor, ssid, ...) in catalogue order; the device's
    identity labels (site, site_kind, commune, device, role) are added by the exporter from the inventory,
    so collectors never repeat them.
    """

    metric: str
    labels: Labels
    value: float
    timestamp: float


def sample_problem(s: Sample) -> str | None:
    """Why a collector's sample cannot be exposed (None if it can): checked once, in the store, then trusted."""
    metric = catalogue.BY_NAME.get(s.metric)
    if metric is None:
        return "not in the catalogue"
    if not metric.per_device or metric.type not in DEVICE_METRIC_TYPES:
        return f"not a per-device {'/'.join(sorted(DEVICE_METRIC_TYPES))} metric"
    names = tuple(k for k, _ in s.labels)
    if names != metric.labels:
        return f"labels {names} differ from the catalogue's {metric.labels}"
    if not all(isinstance(v, str) for _, v in s.labels):
        return "a label value is not a string"
    if isinstance(s.value, bool) or not isinstance(s.value, int | float):
        return f"value {s.value!r} is not a number"
    if metric.type == "counter" and not s.value >= 0:  # OpenMetrics scrapers reject the whole page otherwise
        return f"counter value {s.value!r} is negative or NaN"
    return None
