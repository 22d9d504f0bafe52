"""Site: one site's devices and their state per protocol, its uplink, optics, PoE and Wi-Fi."""

from __future__ import annotations

from grafanalib import core as g

from dashboards import panels as p
from dashboards.frame import COMMUNE, SITE, SITE_KIND, dashboard, field, link
from dashboards.promql import Re, Var, by, rate, sel

UID = "thdmon-site"
TITLE = "Site"

HERE = {"site": Var("site")}
UP_DOWN = p.value_colours({"1": "green", "0": "red"}, {"1": "up", "0": "down"})
# The lab and the inventory's convention: an uplink port's alias starts with "uplink".
UPLINK = Re("uplink.*")


def on_uplink(scope: dict[str, Var]) -> str:
    """A join that keeps a port series only on uplinks: the alias is on thdmon_interface_info alone (issue 17:
    a new description starts no new counter series), matched on (device, ifname); `group_left ()` keeps the
    left side's labels (site, ...) that the legends and links use."""
    return f" * on (device, ifname) group_left () {sel('thdmon_interface_info', ifalias=UPLINK, **scope)}"


def _to_device() -> dict[str, object]:
    return link("Device {{device}}", "thdmon-device", site=field("site"), device=field("device"))


def _protocols() -> g.Table:
    return p.table("Devices: state per protocol", [p.target(sel("thdmon_device_protocol_up", **HERE), table=True)],
                   w=12, h=9, hide=("site", "site_kind", "commune"), rename={"Value": "up"}, mappings=[UP_DOWN],
                   thresholds=((None, "red"), (1, "green")), links=[_to_device()],
                   description="1 when the device answered its last poll over the protocol. A row opens the device.")


def _reasons() -> g.Table:
    return p.table("Why devices are down", [p.target(sel("thdmon_device_down_reason", **HERE), table=True)],
                   w=12, h=9, hide=("site", "site_kind", "commune", "Value"), links=[_to_device()],
                   description="The reason per device and protocol (timeout, auth_failure, ...); empty while all "
                               "answer.")


def _availability() -> g.StateTimeline:
    return p.state_timeline("Devices up over time", [p.target(sel("thdmon_device_up", **HERE), "{{device}}")],
                            w=24, h=7, mappings=[UP_DOWN])


def _uplink_traffic() -> g.TimeSeries:
    uplink = on_uplink(HERE)
    return p.timeseries("Uplink traffic", [
        p.target(f"8 * {rate('thdmon_interface_receive_bytes_total', **HERE)}{uplink}", "{{device}} {{ifname}} in"),
        p.target(f"-8 * {rate('thdmon_interface_transmit_bytes_total', **HERE)}{uplink}",
                 "{{device}} {{ifname}} out"),
    ], p.BITS_PER_SECOND, description="Ports whose alias names an uplink; out is drawn below zero.")


def _uplink_errors() -> g.TimeSeries:
    uplink = on_uplink(HERE)
    return p.timeseries("Uplink errors and discards", [
        p.target(rate("thdmon_interface_receive_errors_total", **HERE) + uplink, "{{device}} {{ifname}} in errors"),
        p.target(rate("thdmon_interface_transmit_errors_total", **HERE) + uplink, "{{device}} {{ifname}} out errors"),
        p.target(rate("thdmon_interface_receive_discards_total", **HERE) + uplink,
                 "{{device}} {{ifname}} in discards"),
        p.target(rate("thdmon_interface_transmit_discards_total", **HERE) + uplink,
                 "{{device}} {{ifname}} out discards"),
    ], p.PER_SECOND)


def uplink_optics(metric: str, threshold_metric: str, direction: str, scope: dict[str, Var]) -> g.TimeSeries:
    """Optical power of uplink ports against the device's own low/high thresholds (shared with device)."""
    uplink = on_uplink(scope)
    return p.timeseries(f"Optical {direction} power of uplinks, with thresholds", [
        p.target(sel(metric, **scope) + uplink, "{{device}} {{ifname}}"),
        p.target(sel(threshold_metric, threshold=Re(".*_warning"), **scope) + uplink,
                 "{{device}} {{ifname}} {{threshold}}"),
    ], p.DBM, description="The device's own warning thresholds are drawn beside the measured power.")


def _poe() -> g.TimeSeries:
    return p.timeseries("PoE budget and draw", [
        p.target(by("sum", ["device"], sel("thdmon_poe_power_budget_watts", **HERE)), "{{device}} budget"),
        p.target(by("sum", ["device"], sel("thdmon_poe_power_consumption_watts", **HERE)), "{{device}} drawn"),
    ], p.WATTS, w=8, min_=0)


def _aps() -> g.Table:
    # The AP's own device state (as the Wi-Fi dashboard's APs down): an AP that stopped answering says
    # nothing about itself, and not every AP profile reports an AP table of its own.
    aps = sel("thdmon_device_up", role="wifi_ap", **HERE)
    return p.table("Wi-Fi access points", [p.target(aps, table=True)], w=8, h=8,
                   hide=("site", "site_kind", "commune", "role"), rename={"Value": "up"}, mappings=[UP_DOWN],
                   thresholds=((None, "red"), (1, "green")), links=[_to_device()])


def _clients() -> g.TimeSeries:
    clients = by("sum", ["ap", "band"], sel("thdmon_wifi_clients", role="wifi_ap", **HERE))
    return p.timeseries("Wi-Fi clients per AP and band", [p.target(clients, "{{ap}} {{band}}")], p.COUNT, w=16,
                        stacked=True)


def build() -> g.Dashboard:
    panels = [
        p.section("Devices"), _protocols(), _reasons(), _availability(),
        p.section("Uplink"), _uplink_traffic(), _uplink_errors(),
        uplink_optics("thdmon_optical_rx_power_dbm", "thdmon_optical_rx_power_threshold_dbm", "receive", HERE),
        uplink_optics("thdmon_optical_tx_power_dbm", "thdmon_optical_tx_power_threshold_dbm", "transmit", HERE),
        p.section("PoE and Wi-Fi"), _poe(), _aps(), _clients(),
    ]
    return dashboard(UID, TITLE, "One site: devices per protocol, uplink traffic and optics, PoE, Wi-Fi.", panels,
                     [SITE_KIND, COMMUNE, SITE])
