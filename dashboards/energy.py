"""Energy: PoE power drawn and budgeted per site, kind and commune (sobriety is a stated goal)."""

from __future__ import annotations

from grafanalib import core as g

from dashboards import panels as p
from dashboards.frame import COMMUNE, SITE_KIND, dashboard, field, link
from dashboards.promql import Var, by, sel

UID = "thdmon-energy"
TITLE = "Energy"

SCOPE = {"site_kind": Var("site_kind"), "commune": Var("commune")}
DRAWN = sel("thdmon_poe_power_consumption_watts", **SCOPE)
BUDGET = sel("thdmon_poe_power_budget_watts", **SCOPE)


def _totals() -> list[g.Stat]:
    return [
        p.stat("PoE drawn now", [p.target(f"sum({DRAWN})", instant=True)], p.WATTS, w=8, graph=True),
        p.stat("PoE budget", [p.target(f"sum({BUDGET})", instant=True)], p.WATTS, w=8),
        p.stat("PoE ports delivering", [p.target(f"sum({sel('thdmon_poe_port_delivering', **SCOPE)})",
                                                 instant=True)], w=8),
    ]


def _by(label: str, title: str) -> g.TimeSeries:
    return p.timeseries(title, [p.target(by("sum", [label], DRAWN), f"{{{{{label}}}}}")], p.WATTS, stacked=True,
                        min_=0)


def _communes() -> g.Table:
    return p.table("Per commune: drawn and budget", [
        p.target(by("sum", ["commune"], DRAWN), table=True),
        p.target(by("sum", ["commune"], BUDGET), table=True),
    ], p.WATTS, rename={"Value #A": "drawn", "Value #B": "budget"}, sort_by="drawn")


def _top_sites() -> g.Table:
    return p.table("Top consuming sites", [p.target(f"topk(10, {by('sum', ['site', 'site_kind'], DRAWN)})",
                                                    table=True)],
                   p.WATTS, rename={"Value": "drawn"}, sort_by="drawn",
                   links=[link("Site {{site}}", "thdmon-site", site=field("site"))])


def _top_devices() -> g.Table:
    return p.table("Top consuming switches", [p.target(f"topk(10, {by('sum', ['site', 'device'], DRAWN)})",
                                                       table=True)],
                   p.WATTS, rename={"Value": "drawn"}, sort_by="drawn", w=24,
                   links=[link("Device {{device}}", "thdmon-device", site=field("site"), device=field("device"))])


def build() -> g.Dashboard:
    panels = [
        *_totals(),
        _by("site_kind", "PoE drawn by site kind"), _by("commune", "PoE drawn by commune"),
        _communes(), _top_sites(), _top_devices(),
    ]
    return dashboard(UID, TITLE, "PoE watts drawn and budgeted per site, kind and commune; top consumers. Devices' "
                     "own power is not in the catalogue yet.", panels, [SITE_KIND, COMMUNE], time_from="now-7d")
