"""The reference writer the fast exposition is compared with: the store's content through prometheus_client's
own metric families (tests and benchmarks/exposition.py)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric

from collector.store import DeviceEntry
from metrics import catalogue
from metrics.sample import Labels


class ReferenceCollector:
    """The store's content through prometheus_client's metric families (the reference writer)."""

    def __init__(self, entries: list[DeviceEntry], identities: dict[str, Labels]) -> None:
        self.entries = entries
        self.identities = identities

    def collect(self) -> Iterator[Metric]:
        groups: dict[str, list[tuple[dict[str, str], float]]] = {}
        for entry in self.entries:
            identity = dict(self.identities[entry.device])
            for s in entry.samples:
                groups.setdefault(s.metric, []).append(({**identity, **dict(s.labels)}, s.value))
        for m in catalogue.METRICS:
            if m.name not in groups:
                continue
            names = list(m.all_labels)
            family: Metric
            if m.type == "counter":
                family = CounterMetricFamily(m.name, m.help, labels=names, unit=m.unit)
            elif m.type == "gauge":
                family = GaugeMetricFamily(m.name, m.help, labels=names, unit=m.unit)
            else:  # Info("thdmon_device") is what exposes thdmon_device_info
                family = InfoMetricFamily(m.name.removesuffix("_info"), m.help, labels=names)
            for labels, value in groups[m.name]:
                values = [labels[n] for n in names]
                if m.type == "info":
                    family.add_metric(values, {})
                else:
                    family.add_metric(values, value)
            yield family
