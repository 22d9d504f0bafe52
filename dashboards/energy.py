"""Energy: PoE power drawn and budgeted per site, kind and commune, and the devices' own power where their
MIBs give it (the supplies' watts sensors: docs/snmp-profiles.md says which families); sobriety is a
stated goal. A supply's reading includes the PoE it feeds, so own power and PoE are shown side by side,
never added up."""

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
OWN = sel("thdmon_device_power_watts", **SCOPE)
TOP = 10


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


_OWN_NOTE = ("The devices' own power, from their supplies' power sensors where the MIBs give them (AOS-CX; "
             "not Cisco, Huawei, Juniper: docs/snmp-profiles.md). A supply's reading includes the PoE it feeds.")


def _own_totals() -> list[g.Stat]:
    reporting = f"count(count by (device) ({OWN}))"
    return [
        p.stat("Devices' own power now", [p.target(f"sum({OWN})", instant=True)], p.WATTS, w=12, graph=True,
               description=_OWN_NOTE),
        p.stat("Devices reporting their power", [p.target(reporting, instant=True)], w=12,
               description="Devices whose MIBs give their supplies' power: the others are not in these panels."),
    ]


def _own_by(label: str, title: str) -> g.TimeSeries:
    return p.timeseries(title, [p.target(by("sum", [label], OWN), f"{{{{{label}}}}}")], p.WATTS, stacked=True,
                        min_=0, description=_OWN_NOTE)


def _own_sites() -> g.Table:
    # Beside it, the PoE of the same devices (a site's other switches report no own power): 0 where those
    # deliver none (cores, distribution), so that every row has both columns.
    sites = by("sum", ["site", "site_kind"], OWN)
    same = f"{by('sum', ['site', 'site_kind', 'device'], DRAWN)} and on (device) {by('sum', ['device'], OWN)}"
    poe = f"{by('sum', ['site', 'site_kind'], same)} or on (site) 0 * {sites}"
    return p.table("Devices' own power per site", [p.target(sites, table=True), p.target(poe, table=True)],
                   p.WATTS, rename={"Value #A": "own power", "Value #B": "PoE drawn"}, sort_by="own power",
                   description=_OWN_NOTE, links=[link("Site {{site}}", "thdmon-site", site=field("site"))])


def _top_consumers() -> g.Table:
    labels = ["site", "device", "role"]
    own = by("sum", labels, OWN)
    top = f"topk({TOP}, {own})"
    poe = f"({by('sum', labels, DRAWN)} or on (device) 0 * {own}) and on (device) {top}"
    return p.table("Top consumers: devices by own power", [p.target(top, table=True), p.target(poe, table=True)],
                   p.WATTS, rename={"Value #A": "own power", "Value #B": "PoE drawn"}, sort_by="own power",
                   w=12, description=_OWN_NOTE,
                   links=[link("Device {{device}}", "thdmon-device", site=field("site"), device=field("device"))])


def build() -> g.Dashboard:
    panels = [
        *_totals(),
        _by("site_kind", "PoE drawn by site kind"), _by("commune", "PoE drawn by commune"),
        _communes(), _top_sites(), _top_devices(),
        p.section("Devices' own power"),
        *_own_totals(),
        _own_by("site_kind", "Own power by site kind"), _own_by("commune", "Own power by commune"),
        _own_sites(), _top_consumers(),
    ]
    return dashboard(UID, TITLE, "PoE watts drawn and budgeted per site, kind and commune; the devices' own power "
                     "where their MIBs give it; top consumers.", panels, [SITE_KIND, COMMUNE], time_from="now-7d")
