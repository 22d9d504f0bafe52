"""What Grafana does with a dashboard, done against a real Prometheus (no Grafana server runs here).

Template variables are expanded through Prometheus' label-values API in their order (each filtered by
the ones before it), `$variables` and `$__rate_interval` are interpolated as Grafana's Prometheus
datasource does, and each panel target runs as an instant or a range query over the HTTP API.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALL = "$__all"
# Grafana's prometheusSpecialRegexEscape: a single value put in a `=~` matcher is matched literally.
_REGEX_SPECIALS = re.compile(r"([$^*{}\[\]'+?.()|\\])")
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.*),\s*(?P<label>\w+)\)$", re.S)


def api(port: int, path: str, **params: str | list[str]) -> Any:
    url = f"http://127.0.0.1:{port}/api/v1/{path}?" + urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]


@dataclass
class Selection:
    """The value chosen for each variable of a dashboard (ALL for the All option)."""

    values: dict[str, str] = field(default_factory=dict)
    all_values: dict[str, str] = field(default_factory=dict)

    def interpolate(self, text: str, rate_interval: str) -> str:
        def one(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2)
            if name == "__rate_interval":
                return rate_interval
            value = self.values[name]
            return self.all_values[name] if value == ALL else _REGEX_SPECIALS.sub(r"\\\\\1", value)

        return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, text)


Prefer = Callable[[str, list[str]], str | None]


def expand_variables(port: int, dashboard: dict[str, Any], prefer: Prefer, window: float) -> Selection:
    """Each variable's values from /api/v1/label/<label>/values; All where offered (Grafana's default),
    else `prefer(name, values)` or the first value. Fails if a variable has no value."""
    selection = Selection()
    now = time.time()
    for variable in dashboard["templating"]["list"]:
        m = _LABEL_VALUES.match(variable["query"])
        assert m, f"{dashboard['uid']}: variable {variable['name']} is not a label_values() query"
        selector = selection.interpolate(m["selector"], "1m")
        values = api(port, f"label/{m['label']}/values", **{"match[]": [selector], "start": str(now - window),
                                                           "end": str(now)})
        assert values, f"{dashboard['uid']}: variable {variable['name']} has no value ({selector})"
        name = variable["name"]
        if variable.get("includeAll"):
            selection.values[name] = ALL
            selection.all_values[name] = variable.get("allValue", ".*")
        else:
            selection.values[name] = prefer(name, values) or values[0]
    return selection


def rate_interval(step: float, scrape: float) -> str:
    """Grafana's $__rate_interval: max($__interval + scrape interval, 4 x scrape interval)."""
    return f"{int(max(step + scrape, 4 * scrape))}s"


def run_target(port: int, target: dict[str, Any], selection: Selection, *, span: float, step: float,
               scrape: float) -> list[dict[str, Any]]:
    """The result of one panel target: a vector (instant) or matrix (range over the last `span` s)."""
    expr = selection.interpolate(target["expr"], rate_interval(step, scrape))
    now = time.time()
    if target.get("instant"):
        return api(port, "query", query=expr, time=str(now))["result"]
    return api(port, "query_range", query=expr, start=str(now - span), end=str(now), step=str(step))["result"]
