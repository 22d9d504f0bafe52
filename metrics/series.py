"""A device's series as the store keeps them between polls: by column, not one `Sample` object each.

A 50-port switch has ~650 series. As `Sample` objects with their own label tuples they cost ~150 bytes a
series, kept for the whole life of the service; here a series costs two references (its metric name and
its label tuple, both shared: one label tuple per row of a table, reused from poll to poll) and two
doubles (value, timestamp). `Sample` stays the collectors' currency: a poll builds them, the store reads
them into a `Series` and lets them go.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from metrics.sample import Labels, Sample


@dataclass(frozen=True, slots=True)
class Series:
    """Parallel columns, one row per series; keys (metric, labels) unique, grouped by metric."""

    metrics: tuple[str, ...]
    labels: tuple[Labels, ...]
    values: array  # 'd'
    timestamps: array  # 'd'

    @classmethod
    def of(cls, samples: Iterable[Sample]) -> Series:
        builder = SeriesBuilder()
        for s in samples:
            builder.put(s.metric, s.labels, s.value, s.timestamp)
        return builder.build()

    def __len__(self) -> int:
        return len(self.metrics)

    def samples(self) -> tuple[Sample, ...]:
        """Every series as a `Sample` (built on demand: for tests and tools, not the scrape path)."""
        return tuple(self.select(None))

    def select(self, wanted: Collection[str] | None) -> Iterator[Sample]:
        """The series of the `wanted` metrics (all when None) as `Sample`s, the others never built."""
        metrics, labels, values, timestamps = self.metrics, self.labels, self.values, self.timestamps
        for i, metric in enumerate(metrics):
            if wanted is None or metric in wanted:
                yield Sample(metric, labels[i], values[i], timestamps[i])


class SeriesBuilder:
    """Columns filled series by series; a key given again keeps its first position and takes the last
    value (a duplicate series would make Prometheus drop the whole scrape)."""

    __slots__ = ("_at", "labels", "metrics", "timestamps", "values")

    def __init__(self) -> None:
        self._at: dict[tuple[str, Labels], int] = {}
        self.metrics: list[str] = []
        self.labels: list[Labels] = []
        self.values = array("d")
        self.timestamps = array("d")

    def put(self, metric: str, labels: Labels, value: float, timestamp: float) -> None:
        i = self._at.setdefault((metric, labels), len(self.metrics))
        if i == len(self.metrics):
            self.metrics.append(metric)
            self.labels.append(labels)
            self.values.append(value)
            self.timestamps.append(timestamp)
        else:
            self.values[i] = value
            self.timestamps[i] = timestamp

    def build(self) -> Series:
        return Series(tuple(self.metrics), tuple(self.labels), self.values, self.timestamps)


EMPTY = Series((), (), array("d"), array("d"))
