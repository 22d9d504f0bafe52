"""Interface: one port's traffic, packets, errors, oper status history and optics."""

from __future__ import annotations

from grafanalib import core as g

from dashboards import panels as p
from dashboards.frame import COMMUNE, DEVICE, INTERFACE, SITE, SITE_KIND, dashboard
from dashboards.promql import Var, rate, sel
from dashboards.site import UP_DOWN

UID = "thdmon-interface"
TITLE = "Interface"

PORT = {"device": Var("device"), "ifname": Var("ifname")}


def _pair(title: str, metric: str, unit: str, scale: str = "") -> g.TimeSeries:
    """Receive above zero, transmit below it."""
    return p.timeseries(title, [
        p.target(f"{scale}{rate(f'thdmon_interface_receive_{metric}_total', **PORT)}", "in"),
        p.target(f"-{scale}{rate(f'thdmon_interface_transmit_{metric}_total', **PORT)}", "out"),
    ], unit)


def _utilisation() -> g.TimeSeries:
    # Parenthesised: `>` binds looser than `/`; a port of unknown speed (0) is left out, an idle one is not.
    speed = "(" + sel("thdmon_interface_speed_bits_per_second", **PORT) + " > 0)"
    return p.timeseries("Utilisation", [
        p.target(f"8 * {rate('thdmon_interface_receive_bytes_total', **PORT)} / on (device, ifname) {speed}", "in"),
        p.target(f"8 * {rate('thdmon_interface_transmit_bytes_total', **PORT)} / on (device, ifname) {speed}",
                 "out"),
    ], p.RATIO, thresholds=((None, "green"), (0.7, "orange"), (0.9, "red")), min_=0)


def _errors() -> g.TimeSeries:
    return p.timeseries("Errors and discards", [
        p.target(rate(f"thdmon_interface_{d}_{kind}_total", **PORT), f"{d} {kind}")
        for d in ("receive", "transmit") for kind in ("errors", "discards")
    ], p.PER_SECOND)


def _status() -> g.StateTimeline:
    return p.state_timeline("Oper and admin status", [
        p.target(sel("thdmon_interface_oper_up", **PORT), "oper"),
        p.target(sel("thdmon_interface_admin_up", **PORT), "admin"),
    ], w=24, h=5, mappings=[UP_DOWN])


def _optics() -> g.TimeSeries:
    return p.timeseries("Optical power", [
        p.target(sel("thdmon_optical_rx_power_dbm", **PORT), "rx"),
        p.target(sel("thdmon_optical_tx_power_dbm", **PORT), "tx"),
        p.target(sel("thdmon_optical_rx_power_threshold_dbm", **PORT), "rx {{threshold}}"),
    ], p.DBM, description="Measured power and the device's own receive thresholds (where the MIB gives them).")


def build() -> g.Dashboard:
    panels = [
        _pair("Traffic", "bytes", p.BITS_PER_SECOND, "8 * "), _utilisation(),
        _pair("Packets", "packets", p.PACKETS_PER_SECOND), _errors(),
        _status(), _optics(),
    ]
    return dashboard(UID, TITLE, "One interface: traffic, utilisation, packets, errors, status history, optics.",
                     panels, [SITE_KIND, COMMUNE, SITE, DEVICE, INTERFACE])
