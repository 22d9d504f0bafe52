"""Panel factories over grafanalib, with thdmon's defaults: one datasource, checked PromQL, Grafana units.

Each factory returns a grafanalib panel sized by `w` x `h` (grid units); `flow()` places a dashboard's
panels left to right and top to bottom, so no two panels can overlap. grafanalib has no geomap panel:
`geomap()` writes that one as raw JSON through `RawPanel`. What grafanalib emits for older Grafana
versions is cleaned up afterwards, in one place (`dashboards.normalise`).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import attr
from grafanalib import core as g

from dashboards.promql import check

# The datasource every panel queries; `dashboards.provisioning` declares it with this uid.
DATASOURCE: dict[str, str] = {"type": "prometheus", "uid": "thdmon-prometheus"}
GRID_WIDTH = 24

# Grafana unit ids (what the panel editor calls bits/s, dBm, ...).
BITS_PER_SECOND = "bps"
PACKETS_PER_SECOND = "pps"
DBM = "dBm"
RATIO = "percentunit"
WATTS = "watt"
CELSIUS = "celsius"
BYTES = "bytes"
SECONDS = "s"
SINCE = "dateTimeFromNow"
COUNT = "short"
PER_SECOND = "ops"


def target(expr: str, legend: str = "", *, instant: bool = False, table: bool = False) -> g.Target:
    """One query. `expr` is checked against the catalogue here, the choke point of every panel."""
    return g.Target(expr=check(expr), legendFormat=legend, instant=instant or table,
                    format="table" if table else "time_series", datasource=DATASOURCE)


def _with_refs(targets: Sequence[g.Target]) -> list[g.Target]:
    return [attr.evolve(t, refId=string.ascii_uppercase[i]) for i, t in enumerate(targets)]


def _size(w: int, h: int) -> g.GridPos:
    return g.GridPos(h=h, w=w, x=0, y=0)


def _thresholds(steps: Sequence[tuple[float | None, str]]) -> list[dict[str, Any]]:
    # Grafana reads the first step as the base whatever its value (it writes null there); the 11.6
    # schema wants a number, so the base gets 0.
    return [{"color": color, "value": 0.0 if value is None else value} for value, color in steps]


GREEN_ONLY: tuple[tuple[float | None, str], ...] = ((None, "green"),)


def timeseries(title: str, targets: Sequence[g.Target], unit: str, *, w: int = 12, h: int = 8,
               description: str = "", stacked: bool = False, bars: bool = False,
               thresholds: Sequence[tuple[float | None, str]] = GREEN_ONLY, min_: int | None = None,
               links: Sequence[dict[str, Any]] = ()) -> g.TimeSeries:
    return g.TimeSeries(title=title, description=description, dataSource=DATASOURCE, targets=_with_refs(targets),
                        unit=unit, gridPos=_size(w, h), legendDisplayMode="table", legendPlacement="right",
                        legendCalcs=["lastNotNull", "max"], tooltipMode="multi", valueMin=min_,
                        fillOpacity=20 if stacked or bars else 0, drawStyle="bars" if bars else "line",
                        stacking={"mode": "normal", "group": "A"} if stacked else {},
                        thresholds=_thresholds(thresholds),
                        thresholdsStyleMode="off" if thresholds == GREEN_ONLY else "line",
                        extraJson={"fieldConfig": {"defaults": {"links": list(links)}}} if links else None)


def stat(title: str, targets: Sequence[g.Target], unit: str = COUNT, *, w: int = 6, h: int = 4,
         description: str = "", thresholds: Sequence[tuple[float | None, str]] = GREEN_ONLY,
         mappings: Sequence[dict[str, Any]] = (), graph: bool = False, no_value: str | None = None) -> g.Stat:
    return g.Stat(title=title, description=description, dataSource=DATASOURCE, targets=_with_refs(targets),
                  format=unit, gridPos=_size(w, h), reduceCalc="lastNotNull", graphMode="area" if graph else "none",
                  colorMode="background", textMode="value_and_name", mappings=list(mappings),
                  thresholds=_thresholds(thresholds), noValue=no_value)


def table(title: str, targets: Sequence[g.Target], unit: str = COUNT, *, w: int = 12, h: int = 8,
          description: str = "", links: Sequence[dict[str, Any]] = (), hide: Sequence[str] = (),
          rename: dict[str, str] | None = None, sort_by: str = "",
          thresholds: Sequence[tuple[float | None, str]] = GREEN_ONLY,
          mappings: Sequence[dict[str, Any]] = ()) -> g.Table:
    """An instant table; `hide` drops columns (Time, job, ...), `links` applies to every cell of a row."""
    excluded = {name: True for name in ("Time", "__name__", "job", "instance", *hide)}
    organise = {"id": "organize", "options": {"excludeByName": excluded, "renameByName": rename or {}}}
    merge = [{"id": "merge", "options": {}}] if len(targets) > 1 else []
    return g.Table(title=title, description=description, dataSource=DATASOURCE,
                   targets=_with_refs(targets), unit=unit, gridPos=_size(w, h), displayMode="color-text",
                   sortBy=[g.TableSortByField(displayName=sort_by, desc=True)] if sort_by else [],
                   thresholds=_thresholds(thresholds), mappings=list(mappings),
                   transformations=[*merge, organise],
                   extraJson={"fieldConfig": {"defaults": {"links": list(links), "mappings": list(mappings)}}})


def state_timeline(title: str, targets: Sequence[g.Target], *, w: int = 12, h: int = 8, description: str = "",
                   mappings: Sequence[dict[str, Any]] = ()) -> g.StateTimeline:
    return g.StateTimeline(title=title, description=description, dataSource=DATASOURCE,
                           targets=_with_refs(targets), gridPos=_size(w, h), mappings=list(mappings),
                           colorMode="fixed" if mappings else "thresholds", showValue="never")


def section(title: str) -> g.RowPanel:
    return g.RowPanel(title=title, gridPos=_size(GRID_WIDTH, 1))


@attr.s
class RawPanel(g.Panel):
    """A panel grafanalib does not model: `type`, `options` and field defaults given as Grafana JSON."""

    type: str = attr.ib(default="")
    options: dict[str, Any] = attr.ib(factory=dict)
    defaults: dict[str, Any] = attr.ib(factory=dict)

    def to_json_data(self) -> dict[str, Any]:
        return self.panel_json({"type": self.type, "options": self.options,
                                "fieldConfig": {"defaults": self.defaults, "overrides": []}})


def geomap(title: str, targets: Sequence[g.Target], *, color_field: str, mappings: Sequence[dict[str, Any]],
           w: int = 12, h: int = 12, description: str = "", center: tuple[float, float] = (48.91, 2.48),
           zoom: float = 11.0, links: Sequence[dict[str, Any]] = ()) -> RawPanel:
    """Markers at the `lat`/`lon` columns of a table query, coloured through `mappings` of `color_field`."""
    layer = {"type": "markers", "name": "sites", "tooltip": True,
             "location": {"mode": "coords", "latitude": "lat", "longitude": "lon"},
             "config": {"showLegend": True, "style": {
                 "size": {"fixed": 6, "min": 4, "max": 12},
                 "color": {"field": color_field, "fixed": "dark-green"},
                 "opacity": 0.8, "symbol": {"mode": "fixed", "fixed": "img/icons/marker/circle.svg"}}}}
    options = {"view": {"id": "coords", "lat": center[0], "lon": center[1], "zoom": zoom},
               "controls": {"showZoom": True, "mouseWheelZoom": True},
               "basemap": {"type": "default", "name": "basemap"}, "layers": [layer], "tooltip": {"mode": "details"}}
    # Labels arrive as text; the markers need numbers.
    convert = {"id": "convertFieldType", "options": {"conversions": [
        {"targetField": "lat", "destinationType": "number"}, {"targetField": "lon", "destinationType": "number"}]}}
    return RawPanel(title=title, description=description, dataSource=DATASOURCE, targets=_with_refs(targets),
                    gridPos=_size(w, h), type="geomap", options=options, transformations=[convert],
                    defaults={"color": {"mode": "fixed", "fixedColor": "dark-green"}, "mappings": list(mappings),
                              "links": list(links)})


def value_colours(colours: dict[str, str], texts: dict[str, str] | None = None) -> dict[str, Any]:
    """A value mapping giving each listed value (a label value or a number as text) a colour."""
    texts = texts or {}
    return {"type": "value", "options": {
        value: {"color": colour, "index": i, **({"text": texts[value]} if value in texts else {})}
        for i, (value, colour) in enumerate(colours.items())}}


def flow(panels: Sequence[g.Panel]) -> list[g.Panel]:
    """Place panels left to right, wrapping at the grid width; a row header starts a new line."""
    placed: list[g.Panel] = []
    x = y = line_height = 0
    for panel in panels:
        w, h = panel.gridPos.w, panel.gridPos.h
        if x + w > GRID_WIDTH or (isinstance(panel, g.RowPanel) and x):
            x, y, line_height = 0, y + line_height, 0
        placed.append(attr.evolve(panel, gridPos=g.GridPos(h=h, w=w, x=x, y=y), id=len(placed) + 1))
        x += w
        line_height = max(line_height, h)
    return placed
