"""Device: one device's state, interfaces, traffic, optics, CPU, memory and temperature."""

from __future__ import annotations

from grafanalib import core as g

from dashboards import panels as p
from dashboards.frame import COMMUNE, DEVICE, SITE, SITE_KIND, dashboard, field, link
from dashboards.promql import Var, by, rate, sel
from dashboards.site import UP_DOWN, uplink_optics

UID = "thdmon-device"
TITLE = "Device"

THIS = {"device": Var("device")}


def _to_interface() -> dict[str, object]:
    return link("Interface {{ifname}}", "thdmon-interface", site=field("site"), device=field("device"),
                ifname=field("ifname"))


def _protocols() -> g.Stat:
    return p.stat("Up, per protocol", [p.target(sel("thdmon_device_protocol_up", **THIS), "{{protocol}}",
                                                instant=True)],
                  w=8, h=4, mappings=[UP_DOWN], thresholds=((None, "red"), (1, "green")))


def _uptime() -> g.Stat:
    return p.stat("SNMP agent uptime", [p.target(sel("thdmon_device_uptime_seconds", **THIS), "{{device}}",
                                                 instant=True)],
                  p.SECONDS, w=4, h=4)


def _info() -> g.Table:
    return p.table("Identity", [p.target(sel("thdmon_device_info", **THIS), table=True)], w=12, h=4,
                   hide=("site_kind", "commune", "Value"))


def _interfaces() -> g.Table:
    """One row per interface: speed and current rates (one unit, bits/s); a row opens the interface."""
    targets = [
        p.target(sel("thdmon_interface_speed_bits_per_second", **THIS), table=True),
        p.target(f"8 * {rate('thdmon_interface_receive_bytes_total', **THIS)}", table=True),
        p.target(f"8 * {rate('thdmon_interface_transmit_bytes_total', **THIS)}", table=True),
    ]
    return p.table("Interfaces", targets, p.BITS_PER_SECOND, w=18, h=10,
                   hide=("site", "site_kind", "commune", "device", "role"),
                   rename={"Value #A": "speed", "Value #B": "in", "Value #C": "out"},
                   sort_by="in", links=[_to_interface()])


def _ports_up() -> g.Stat:
    oper = sel("thdmon_interface_oper_up", **THIS)
    return p.stat("Interfaces up / total", [p.target(f"sum({oper})", "up", instant=True),
                                            p.target(f"count({oper})", "total", instant=True)], w=6, h=10)


def _traffic() -> g.TimeSeries:
    top = "topk(10, {})"
    return p.timeseries("Traffic, busiest interfaces", [
        p.target(top.format(f"8 * {rate('thdmon_interface_receive_bytes_total', **THIS)}"), "{{ifname}} in"),
        p.target(top.format(f"8 * {rate('thdmon_interface_transmit_bytes_total', **THIS)}"), "{{ifname}} out"),
    ], p.BITS_PER_SECOND)


def _errors() -> g.TimeSeries:
    errors = [f"{rate(f'thdmon_interface_{d}_{kind}_total', **THIS)}" for d in ("receive", "transmit")
              for kind in ("errors", "discards")]
    return p.timeseries("Errors and discards (all interfaces)", [
        p.target(by("sum", ["ifname"], " + ".join(errors[:2])), "{{ifname}} in"),
        p.target(by("sum", ["ifname"], " + ".join(errors[2:])), "{{ifname}} out"),
    ], p.PER_SECOND)


def _cpu() -> g.TimeSeries:
    return p.timeseries("CPU", [p.target(sel("thdmon_cpu_utilisation_ratio", **THIS), "cpu {{cpu}}")], p.RATIO,
                        w=8, thresholds=((None, "green"), (0.8, "red")), min_=0)


def _memory() -> g.TimeSeries:
    used = f"{sel('thdmon_memory_used_bytes', **THIS)} / on (device, pool) {sel('thdmon_memory_total_bytes', **THIS)}"
    return p.timeseries("Memory used", [p.target(used, "{{pool}}")], p.RATIO, w=8,
                        thresholds=((None, "green"), (0.9, "red")), min_=0)


def _temperature() -> g.TimeSeries:
    return p.timeseries("Temperature", [p.target(sel("thdmon_temperature_celsius", **THIS), "{{sensor}}")],
                        p.CELSIUS, w=8)


def _icmp() -> list[g.TimeSeries]:
    return [
        p.timeseries("ICMP round-trip time", [p.target(sel("thdmon_device_icmp_rtt_seconds", **THIS), "rtt")],
                     p.SECONDS, min_=0),
        p.timeseries("ICMP loss", [p.target(sel("thdmon_device_icmp_loss_ratio", **THIS), "loss")], p.RATIO,
                     thresholds=((None, "green"), (0.05, "orange"), (0.5, "red")), min_=0),
    ]


def build() -> g.Dashboard:
    panels = [
        _protocols(), _uptime(), _info(),
        p.section("Interfaces"), _interfaces(), _ports_up(), _traffic(), _errors(),
        uplink_optics("thdmon_optical_rx_power_dbm", "thdmon_optical_rx_power_threshold_dbm", "receive", THIS),
        uplink_optics("thdmon_optical_tx_power_dbm", "thdmon_optical_tx_power_threshold_dbm", "transmit", THIS),
        p.section("System"), _cpu(), _memory(), _temperature(), *_icmp(),
    ]
    return dashboard(UID, TITLE, "One device: state per protocol, interfaces, traffic, optics, CPU, memory, "
                     "temperature, ICMP.", panels, [SITE_KIND, COMMUNE, SITE, DEVICE])
