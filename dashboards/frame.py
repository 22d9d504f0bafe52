"""What surrounds the panels of every thdmon dashboard: template variables, links, time, tags.

Variables are Prometheus label values, each filtered by the ones before it (site kind -> commune ->
site -> device -> interface), so picking a commune narrows the sites. Links go down the hierarchy
(overview -> site -> device -> interface) with the selection and time range carried along.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grafanalib import core as g

from dashboards.panels import DATASOURCE, flow
from dashboards.promql import Matcher, Var, check, sel

TAG = "thdmon"


@dataclass(frozen=True, slots=True)
class Variable:
    """A query variable: the values of `label` on `metric`, filtered by the variables before it."""

    name: str
    label_text: str
    metric: str
    label: str
    include_all: bool = True
    multi: bool = False
    where: tuple[tuple[str, str], ...] = ()  # fixed matchers, e.g. (("site_kind", "park"),)

    def template(self, before: Sequence[Variable]) -> g.Template:
        filters: dict[str, Matcher] = {**dict(self.where), **{v.label: Var(v.name) for v in before}}
        query = check(f"label_values({sel(self.metric, **filters)}, {self.label})")
        return g.Template(name=self.name, label=self.label_text, query=query, dataSource=DATASOURCE,
                          includeAll=self.include_all, multi=self.multi, allValue=".*" if self.include_all else None,
                          refresh=g.REFRESH_ON_TIME_RANGE_CHANGE, sort=g.SORT_ALPHA_ASC)


# thdmon_device_up carries every device's identity labels whether it answers or not.
SITE_KIND = Variable("site_kind", "Site kind", "thdmon_device_up", "site_kind")
COMMUNE = Variable("commune", "Commune", "thdmon_device_up", "commune")
SITE = Variable("site", "Site", "thdmon_device_up", "site", include_all=False)
SITES = Variable("site", "Site", "thdmon_device_up", "site")
DEVICE = Variable("device", "Device", "thdmon_device_up", "device", include_all=False)
INTERFACE = Variable("ifname", "Interface", "thdmon_interface_info", "ifname", include_all=False)


def url(uid: str, **params: str) -> str:
    """The path of dashboard `uid` with variables set (`var-<name>`) and the current time range."""
    query = "&".join([f"var-{k}={v}" for k, v in params.items()] + ["${__url_time_range}"])
    return f"/d/{uid}?{query}"


def link(title: str, uid: str, **params: str) -> dict[str, Any]:
    """A data link (table cell, map marker) to another dashboard, in the shape Grafana 11 validates."""
    return g.DashboardLink(title=title, type="link", uri=url(uid, **params), keepTime=False).to_json_data()


def field(name: str) -> str:
    """The value of column `name` in the clicked row, for a data link."""
    return "${__data.fields." + name + "}"


def dashboard(uid: str, title: str, description: str, panels: Sequence[g.Panel],
              variables: Sequence[Variable] = (), *, time_from: str = "now-6h") -> g.Dashboard:
    templates = [v.template(variables[:i]) for i, v in enumerate(variables)]
    # One dropdown with every thdmon dashboard, keeping the selection and time range.
    others = g.DashboardLink(title="thdmon", type="dashboards", tags=[TAG], asDropdown=True, includeVars=True,
                             keepTime=True)
    return g.Dashboard(title=title, uid=uid, description=description, tags=[TAG], panels=flow(panels),
                       templating=g.Templating(templates), links=[others], time=g.Time(time_from, "now"),
                       refresh="1m", timezone="browser", graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR)
