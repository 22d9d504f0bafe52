"""THD-SSD overview: the whole network at a glance, the network team's first page."""

from __future__ import annotations

from grafanalib import core as g

from dashboards import panels as p
from dashboards.frame import COMMUNE, SITE_KIND, dashboard, field, link
from dashboards.promql import Re, Var, by, rate, sel

UID = "thdmon-overview"
TITLE = "THD-SSD overview"
SITE_UID = "thdmon-site"

SCOPE = {"site_kind": Var("site_kind"), "commune": Var("commune")}
STATE_COLOURS = {"up": "green", "degraded": "orange", "down": "red", "unreachable": "purple"}
STATES = p.value_colours(STATE_COLOURS)


def _state_stat(state: str) -> g.Stat:
    """Sites in one state per kind: the sum over the stateset is 0, not empty, when no site is in it."""
    expr = by("sum", ["site_kind"], sel("thdmon_site_state", state=state, **SCOPE))
    colour = STATE_COLOURS[state]
    bad = state != "up"
    return p.stat(f"Sites {state}", [p.target(expr, "{{site_kind}}", instant=True)], w=6, h=5,
                  thresholds=((None, "green"), (1, colour)) if bad else ((None, colour),),
                  description=f"Sites whose roll-up state is {state}, by kind (collège, lycée, CFA, departmental "
                              "site, park, PoP, data centre).")


def _sites_down() -> g.Table:
    not_up = sel("thdmon_site_state", state=Re("down|unreachable|degraded"), **SCOPE) + " == 1"
    since = (f"{sel('thdmon_site_state_since_timestamp_seconds', **SCOPE)} * 1000 "
             f"* on (site) group_left (state) ({not_up})")
    return p.table("Sites not up, since", [p.target(since, table=True)], p.SINCE, w=12, h=9,
                   rename={"Value": "since"},
                   links=[link("Site {{site}}", SITE_UID, site=field("site"))],
                   mappings=[STATES],
                   description="Sites whose state is down, unreachable or degraded, with when they entered it. A "
                               "row opens the site's dashboard.")


def _map() -> p.RawPanel:
    located = ("thdmon_site_info * on (site) group_left (state) "
               f"({sel('thdmon_site_state', **SCOPE)} == 1)")
    return p.geomap("Sites by state", [p.target(located, table=True)], color_field="state",
                    mappings=[STATES], w=12, h=14,
                    links=[link("Site", SITE_UID, site=field("site"))],
                    description="Every site at the inventory's coordinates, coloured by its state.")


def _uplinks() -> g.Table:
    bits = f"8 * {rate('thdmon_interface_transmit_bytes_total', **SCOPE)}"
    # Parenthesised: `>` binds looser than `/`; a port of unknown speed (0) is left out, an idle one is not.
    speed = "(" + sel("thdmon_interface_speed_bits_per_second", **SCOPE) + " > 0)"
    # The alias is on thdmon_interface_info only (a new description starts no new counter series): joined
    # on (device, ifname), it picks the uplinks and names each row's peer ("uplink <peer> <port>").
    # group_left keeps the left side's labels (site, ...) that the row's link needs; plain `on` keeps only
    # device and ifname.
    uplinks = sel("thdmon_interface_info", ifalias=Re("uplink.*"), **SCOPE)
    utilisation = (f"topk(10, {bits} / on (device, ifname) group_left () {speed} "
                   f"* on (device, ifname) group_left (ifalias) {uplinks})")
    return p.table("Most saturated uplinks (transmit)", [p.target(utilisation, table=True)], p.RATIO, w=12, h=9,
                   hide=("role",), rename={"Value": "utilisation"}, sort_by="utilisation",
                   thresholds=((None, "green"), (0.7, "orange"), (0.9, "red")),
                   links=[link("Device {{device}}", "thdmon-device", site=field("site"), device=field("device"))],
                   description="Transmit rate over link speed on the ports whose alias names an uplink.")


def _optics() -> g.Table:
    low_warning = sel("thdmon_optical_rx_power_threshold_dbm", threshold="low_warning", **SCOPE)
    margin = (f"bottomk(10, {sel('thdmon_optical_rx_power_dbm', **SCOPE)} - on (device, sensor) group_left "
              f"{low_warning})")
    return p.table("Optics closest to their low-warning threshold", [p.target(margin, table=True)], "dB",
                   w=12, h=9, hide=("role",), rename={"Value": "margin"},
                   thresholds=((None, "red"), (0, "orange"), (2, "green")),
                   links=[link("Device {{device}}", "thdmon-device", site=field("site"), device=field("device"))],
                   description="Receive power minus the device's own low-warning threshold: below 0 the optic is "
                               "in alarm, red; the ten smallest margins.")


def _wifi_now() -> g.Stat:
    clients = by("sum", ["site"], sel("thdmon_wifi_clients", site_kind="park", role="wifi_ap",
                                                commune=Var("commune")))
    return p.stat("Wi-Fi clients now, by park", [p.target(clients, "{{site}}", instant=True)], w=12, h=5,
                  description="Clients associated to the parks' access points (each AP's own count).")


def build() -> g.Dashboard:
    panels = [
        p.section("Sites"),
        *(_state_stat(s) for s in STATE_COLOURS),
        _map(), _sites_down(),
        _wifi_now(),
        p.section("Links and optics"),
        _uplinks(), _optics(),
    ]
    return dashboard(UID, TITLE, "Sites by state and kind, the map, saturated uplinks, optics, Wi-Fi clients.",
                     panels, [SITE_KIND, COMMUNE])
