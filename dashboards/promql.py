"""PromQL built from the metric catalogue, and the check that every expression names only what exists.

Dashboards never write a metric or label name by hand: `sel()` and `rate()` take catalogue names and
refuse anything else, and `check()` re-reads a finished expression (aggregations, joins, template
variables included) and raises `UnknownName` for a metric or label thdmon does not export. Every panel
target and template variable goes through `check()` when it is built, so a renamed metric breaks
`thdmon dashboards build`, not a dashboard in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from metrics.promql import UnknownName, labels_of, selector, series_metric

__all__ = ["RATE_WINDOW", "Matcher", "Not", "Re", "UnknownName", "Var", "by", "check", "names", "rate", "sel"]

RATE_WINDOW = "$__rate_interval"


@dataclass(frozen=True, slots=True)
class Var:
    """A dashboard template variable used as a matcher value (regex match: works with All and multi)."""

    name: str


@dataclass(frozen=True, slots=True)
class Re:
    """A regular-expression matcher value."""

    pattern: str


@dataclass(frozen=True, slots=True)
class Not:
    """A negative equality matcher value."""

    value: str


Matcher = str | Var | Re | Not


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _matcher(label: str, value: Matcher) -> str:
    if isinstance(value, Var):
        return f"{label}=~{_quote('$' + value.name)}"
    if isinstance(value, Re):
        return f"{label}=~{_quote(value.pattern)}"
    if isinstance(value, Not):
        return f"{label}!={_quote(value.value)}"
    return f"{label}={_quote(value)}"


def sel(name: str, **match: Matcher) -> str:
    """`name{label="v", ...}`, refusing a metric or label that is not in the catalogue."""
    return selector(name, {label: _matcher(label, value) for label, value in match.items()})


def rate(name: str, window: str = RATE_WINDOW, **match: Matcher) -> str:
    """`rate(counter[window])`: only for counters (and histogram buckets), the only rate-able series."""
    metric = series_metric(name)
    if metric is None or not (metric.type == "counter" or (metric.type == "histogram" and name != metric.name)):
        raise UnknownName(f"rate() of {name!r}: not a counter of the catalogue")
    return f"rate({sel(name, **match)}[{window}])"


def by(op: str, labels: Iterable[str], inner: str) -> str:
    """`op by (labels) (inner)`; the labels are checked with the whole expression by `check()`."""
    return f"{op} by ({', '.join(labels)}) ({inner})"


# --- check(): re-read a finished expression -------------------------------------------------------

_FUNCTIONS = frozenset("""abs absent absent_over_time avg_over_time ceil changes clamp clamp_max clamp_min
count_over_time day_of_month day_of_week delta deriv exp floor histogram_quantile holt_winters hour idelta
increase irate label_join label_replace last_over_time ln log10 log2 max_over_time min_over_time minute month
predict_linear present_over_time quantile_over_time rate resets round scalar sgn sort sort_desc sqrt
stddev_over_time stdvar_over_time sum_over_time time timestamp vector year""".split())
_AGGREGATIONS = frozenset("sum min max avg group stddev stdvar count count_values bottomk topk quantile".split())
_GROUPING = frozenset("by without on ignoring group_left group_right".split())
_KEYWORDS = frozenset("and or unless bool offset inf nan".split())
# Grafana's template syntax for label_values(): expanded by Grafana, not Prometheus.
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.*),\s*(?P<label>[a-zA-Z_]\w*)\)$", re.S)
_TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<number>\d[\w.]*)
  | (?P<ident>[a-zA-Z_:][\w:]*)
  | (?P<var>\$\{?\w+\}?)
  | (?P<punct>[{}(),]|=~|!~|!=|==|<=|>=|[-+*/%^<>=])
  | (?P<space>\s+)
""", re.X)


@dataclass(frozen=True, slots=True)
class Names:
    metrics: frozenset[str]
    labels: frozenset[str]


def names(expr: str) -> Names:
    """Metric and label names an expression refers to (PromQL plus Grafana's `label_values()`)."""
    m = _LABEL_VALUES.match(expr.strip())
    if m:
        inner = names(m["selector"])
        return Names(inner.metrics, inner.labels | {m["label"]})
    tokens = [(t.lastgroup, t.group()) for t in _TOKEN.finditer(expr) if t.lastgroup != "space"]
    if sum(len(v) for _, v in tokens) != len(re.sub(r"\s+", "", expr)):
        raise UnknownName(f"cannot read expression: {expr!r}")
    metrics: set[str] = set()
    labels: set[str] = set()
    depth_braces = 0
    grouping_paren = False
    for i, (kind, value) in enumerate(tokens):
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "punct":
            depth_braces += {"{": 1, "}": -1}.get(value, 0)
            if value == ")" and grouping_paren:
                grouping_paren = False
            continue
        if kind != "ident":
            continue
        if depth_braces or grouping_paren:
            labels.add(value)
        elif value in _GROUPING:
            grouping_paren = nxt == "("
        elif value in _AGGREGATIONS and nxt in ("(", "by", "without"):
            continue
        elif nxt == "(" and value in _FUNCTIONS:
            continue
        elif value in _KEYWORDS:
            continue
        elif nxt == "(":
            raise UnknownName(f"unknown PromQL function {value!r} in {expr!r}")
        else:
            metrics.add(value)
    return Names(frozenset(metrics), frozenset(labels))


def check(expr: str) -> str:
    """Return `expr` unchanged if every metric and label it names is exported; raise UnknownName if not."""
    found = names(expr)
    if not found.metrics:
        raise UnknownName(f"expression names no metric: {expr!r}")
    allowed: set[str] = set()
    for metric in found.metrics:
        allowed.update(labels_of(metric))
    unknown = sorted(found.labels - allowed)
    if unknown:
        raise UnknownName(f"label(s) {', '.join(unknown)} not exported by {', '.join(sorted(found.metrics))}: "
                          f"{expr!r}")
    return expr
