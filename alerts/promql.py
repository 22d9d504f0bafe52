"""PromQL built from the metric catalogue: a rule cannot name a metric or a label thdmon does not export.

Only the pieces the rules need: a selector, `on`/`by` label lists. Each checks its names against
`metrics.catalogue` when the rules are built (at `thdmon alerts build`, and in the tests), so a renamed
metric breaks the build, not the 3 a.m. page. Everything else is plain PromQL text around them.
"""

from __future__ import annotations

from metrics import catalogue

# Labels Prometheus adds to every scraped series, and the synthetic series of a scrape.
TARGET_LABELS = ("job", "instance")
SCRAPE_SERIES = {"up": TARGET_LABELS}
SITE_LABELS = ("site", "site_kind", "commune")


class UnknownName(ValueError):
    pass


def labels_of(metric: str) -> tuple[str, ...]:
    if metric in SCRAPE_SERIES:
        return SCRAPE_SERIES[metric]
    try:
        return catalogue.get(metric).all_labels + TARGET_LABELS
    except catalogue.UnknownMetric as exc:
        raise UnknownName(str(exc)) from None


def _known_labels() -> frozenset[str]:
    names = set(TARGET_LABELS)
    for m in catalogue.METRICS:
        names.update(m.all_labels)
    return frozenset(names)


KNOWN_LABELS = _known_labels()


def _matcher(label: str, value: str) -> str:
    # `~x` means a regex match, `!x` a negative match: sel(m, ifalias="~uplink.*")
    if value.startswith("~"):
        return f'{label}=~"{value[1:]}"'
    if value.startswith("!"):
        return f'{label}!="{value[1:]}"'
    return f'{label}="{value}"'


def sel(metric: str, **matchers: str) -> str:
    """`metric{label="value", ...}` after checking the metric and each label against the catalogue."""
    allowed = labels_of(metric)
    for label in matchers:
        if label not in allowed:
            raise UnknownName(f"{metric} has no label {label!r} (it has {', '.join(allowed)})")
    inner = ", ".join(_matcher(k, v) for k, v in matchers.items())
    return f"{metric}{{{inner}}}" if inner else metric


def labels(*names: str) -> str:
    """`(a, b)` for on/by/ignoring/group_left, each name known to the catalogue."""
    for name in names:
        if name not in KNOWN_LABELS:
            raise UnknownName(f"label {name!r} is carried by no metric of the catalogue")
    return "(" + ", ".join(names) + ")"


DEVICE = labels(*catalogue.DEVICE_LABELS)
SITE = labels(*SITE_LABELS)
