"""grafanalib's output made into what Grafana 11 stores, in one place.

grafanalib 0.7 still writes fields of the Graph-era dashboard model (rows, spans, `style`,
`sharedCrosshair`, targets' `step`/`intervalFactor`, ...), nulls for everything unset, and schema
version 12, which makes Grafana 11 run its migrations on every load. This module turns the JSON tree
into the Grafana 11.6 model: known legacy keys dropped, nulls removed, the schema version set. The
result is checked against Grafana's own JSON schema by the tests.
"""

from __future__ import annotations

import json
from typing import Any

from grafanalib._gen import DashboardEncoder

SCHEMA_VERSION = 41  # Grafana 11.6

# Keys of grafanalib's output that Grafana 11's model does not have (or that only older panels read).
_DASHBOARD_LEGACY = frozenset({"__inputs", "hideControls", "rows", "sharedCrosshair", "style", "gnetId", "id"})
# `maxDataPoints` too: grafanalib writes 100 (one point per 3.6 min over 6 h); Grafana, left alone, asks
# for about one point per pixel of the panel's width.
_PANEL_LEGACY = frozenset({"editable", "error", "height", "minSpan", "span", "columns", "fontSize", "mappings",
                           "color", "cacheTimeout", "thresholds", "maxDataPoints"})
_TARGET_LEGACY = frozenset({"query", "target", "metric", "step", "intervalFactor", "interval", "hide"})
_VARIABLE_LEGACY = frozenset({"useTags", "tagsQuery", "tagValuesQuery", "auto", "auto_min", "auto_count"})
_TIMEPICKER_LEGACY = frozenset({"time_options"})


def _drop_nulls(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_drop_nulls(v) for v in node]
    return node


def _without(node: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in keys}


def _target(t: dict[str, Any]) -> dict[str, Any]:
    out = _without(t, _TARGET_LEGACY)
    # Grafana 11's Prometheus query editor: an instant query is not also a range query.
    out["range"] = not out.get("instant", False)
    out["editorMode"] = "code"
    return out


def _field_defaults(defaults: dict[str, Any]) -> dict[str, Any]:
    custom = defaults.get("custom")
    if isinstance(custom, dict) and "displayMode" in custom:
        # Table cells: Grafana 10+ reads `cellOptions.type`, the old `displayMode` only through a migration.
        custom = {**{k: v for k, v in custom.items() if k != "displayMode"},
                  "cellOptions": {"type": custom["displayMode"]}}
        defaults = {**defaults, "custom": custom}
    if isinstance(custom, dict) and custom.get("stacking") == {}:
        # grafanalib writes an empty stacking object for "not stacked"; Grafana 11 spells it out.
        defaults = {**defaults, "custom": {**custom, "stacking": {"mode": "none", "group": "A"}}}
    return defaults


def _panel(p: dict[str, Any]) -> dict[str, Any]:
    out = _without(p, _PANEL_LEGACY)
    if out.get("type") == "row":
        # A row header: Grafana 11 keeps only these keys on an expanded row.
        return {k: out[k] for k in ("type", "title", "id", "gridPos", "collapsed", "panels") if k in out}
    if "repeat" not in out:
        out.pop("repeatDirection", None)
        out.pop("maxPerRow", None)
    out["targets"] = [_target(t) for t in out.get("targets", [])]
    field_config = out.get("fieldConfig")
    if isinstance(field_config, dict):
        out["fieldConfig"] = {**field_config, "defaults": _field_defaults(field_config.get("defaults", {})),
                              "overrides": field_config.get("overrides", [])}
    # grafanalib's bare sort-by list (Table) is Grafana 11's `options.sortBy`; an empty one is noise.
    options = out.get("options")
    if isinstance(options, dict) and options.get("sortBy") == []:
        out["options"] = {k: v for k, v in options.items() if k != "sortBy"}
    return out


def _variable(v: dict[str, Any]) -> dict[str, Any]:
    out = _without(v, _VARIABLE_LEGACY)
    current = out.get("current")
    if isinstance(current, dict):
        current = {k: val for k, val in current.items() if k != "tags"}
        # An unset default: Grafana picks the first value (or All) on load.
        out["current"] = current if current.get("value") not in (None, "") else {}
        if not out["current"]:
            del out["current"]
    if not out.get("options"):
        out["options"] = []
    return out


def normalise(dashboard: Any) -> dict[str, Any]:
    """A grafanalib Dashboard (or its JSON tree) as Grafana 11.6 stores it."""
    tree = json.loads(json.dumps(dashboard, cls=DashboardEncoder)) if not isinstance(dashboard, dict) else dashboard
    tree = _drop_nulls(tree)
    out = _without(tree, _DASHBOARD_LEGACY)
    out["schemaVersion"] = SCHEMA_VERSION
    out["panels"] = [_panel(p) for p in out.get("panels", [])]
    out["templating"] = {"list": [_variable(v) for v in out.get("templating", {}).get("list", [])]}
    out["timepicker"] = _without(out.get("timepicker", {}), _TIMEPICKER_LEGACY)
    for link in out.get("links", []):
        if link.get("type") == "dashboards" and not link.get("url"):
            link.pop("url", None)
    return out
