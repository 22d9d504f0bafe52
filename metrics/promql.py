"""PromQL names checked against the catalogue: what the alert rules and the dashboards both build on.

A selector or a label list built here names only what thdmon exports (plus what Prometheus adds to
every scraped series), so a renamed metric breaks `thdmon alerts build` or `thdmon dashboards build`,
not a page at 3 a.m. or an empty panel. How a matcher value is written (regex, negation, template
variable) is each builder's own; the checks are here, once.
"""

from __future__ import annotations

from collections.abc import Mapping

from metrics import catalogue
from metrics.catalogue import Metric

# Labels Prometheus adds to every scraped series, and the series it records about each scrape.
TARGET_LABELS: tuple[str, ...] = ("job", "instance")
SCRAPE_SERIES: frozenset[str] = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
HISTOGRAM_SUFFIXES: tuple[str, ...] = ("_bucket", "_sum", "_count")


class UnknownName(ValueError):
    """An expression names a metric or label that thdmon does not export."""


def series_metric(name: str) -> Metric | None:
    """The catalogue metric behind a series name (histogram `_bucket/_sum/_count` included)."""
    metric = catalogue.BY_NAME.get(name)
    if metric is not None:
        return metric
    for suffix in HISTOGRAM_SUFFIXES:
        base = catalogue.BY_NAME.get(name.removesuffix(suffix))
        if name.endswith(suffix) and base is not None and base.type == "histogram":
            return base
    return None


def labels_of(name: str) -> tuple[str, ...]:
    """Label names a series may carry once scraped: its catalogue labels, the target's, `le` on buckets."""
    if name in SCRAPE_SERIES:
        return TARGET_LABELS
    metric = series_metric(name)
    if metric is None:
        raise UnknownName(f"metric {name!r} is not in the catalogue: not exported by thdmon (metrics/catalogue.py)")
    extra = ("le",) if name.endswith("_bucket") else ()
    return metric.all_labels + TARGET_LABELS + extra


KNOWN_LABELS: frozenset[str] = frozenset(TARGET_LABELS).union(*(m.all_labels for m in catalogue.METRICS))


def selector(name: str, matchers: Mapping[str, str]) -> str:
    """`name{...}` from label -> written matcher (`label="v"`, `label=~"..."`), each label checked first."""
    allowed = labels_of(name)
    for label in matchers:
        if label not in allowed:
            raise UnknownName(f"{name} has no label {label!r} (it has {', '.join(allowed)})")
    inner = ", ".join(matchers.values())
    return f"{name}{{{inner}}}" if inner else name


def label_list(*names: str) -> str:
    """`(a, b)` for on/by/ignoring/group_left, each name carried by some metric of the catalogue."""
    for name in names:
        if name not in KNOWN_LABELS:
            raise UnknownName(f"label {name!r} is carried by no metric of the catalogue")
    return "(" + ", ".join(names) + ")"
