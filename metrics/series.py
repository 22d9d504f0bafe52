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
        metrics: list[str] = []
        labels: list[Labels] = []
        values = array("d")
        timestamps = array("d")
        for s in samples:
            metrics.append(s.metric)
            labels.append(s.labels)
            values.append(s.value)
            timestamps.append(s.timestamp)
        return cls(tuple(metrics), tuple(labels), values, timestamps)

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


EMPTY = Series((), (), array("d"), array("d"))
