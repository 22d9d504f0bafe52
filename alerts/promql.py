"""PromQL built from the metric catalogue: a rule cannot name a metric or a label thdmon does not export.

Only the pieces the rules need: a selector, `on`/`by` label lists. Each checks its names against
`metrics.catalogue` (with `metrics.promql`, shared with the dashboards) when the rules are built (at
`thdmon alerts build`, and in the tests), so a renamed metric breaks the build, not the 3 a.m. page.
Everything else is plain PromQL text around them.
"""

from __future__ import annotations

from metrics import catalogue
from metrics.promql import KNOWN_LABELS, TARGET_LABELS, UnknownName, label_list, selector

__all__ = ["DEVICE", "KNOWN_LABELS", "SITE", "SITE_LABELS", "TARGET_LABELS", "UnknownName", "labels", "sel"]

SITE_LABELS = ("site", "site_kind", "commune")


def _matcher(label: str, value: str) -> str:
    # `~x` means a regex match, `!x` a negative match: sel(m, ifalias="~uplink.*")
    if value.startswith("~"):
        return f'{label}=~"{value[1:]}"'
    if value.startswith("!"):
        return f'{label}!="{value[1:]}"'
    return f'{label}="{value}"'


def sel(metric: str, **matchers: str) -> str:
    """`metric{label="value", ...}` after checking the metric and each label against the catalogue."""
    return selector(metric, {k: _matcher(k, v) for k, v in matchers.items()})


labels = label_list  # `(a, b)` for on/by/ignoring/group_left, each name known to the catalogue


DEVICE = labels(*catalogue.DEVICE_LABELS)
SITE = labels(*SITE_LABELS)
