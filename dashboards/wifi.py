"""Wi-Fi parks: the public Wi-Fi of the departmental parks, per park, AP, SSID and radio."""

from __future__ import annotations

from grafanalib import core as g

from dashboards import panels as p
from dashboards.frame import Variable, dashboard
from dashboards.promql import Var, by, sel

UID = "thdmon-wifi"
TITLE = "Wi-Fi parks"

# Each AP's own view (role wifi_ap): the controllers report the same APs again from their data centre.
PARK = Variable("park", "Park", "thdmon_wifi_clients", "site", multi=True,
                where=(("site_kind", "park"), ("role", "wifi_ap")))
PARKS = {"site_kind": "park", "role": "wifi_ap", "site": Var("park")}


def _clients_per_park() -> g.TimeSeries:
    return p.timeseries("Clients per park", [p.target(by("sum", ["site"], sel("thdmon_wifi_clients", **PARKS)),
                                                      "{{site}}")], p.COUNT, stacked=True)


def _aps_down() -> g.Stat:
    # A dead AP says nothing about itself: its device state (polled by thdmon) tells. 1 - up summed is 0
    # when every AP answers, never empty.
    down = by("sum", ["site"], "1 - " + sel("thdmon_device_up", **PARKS))
    return p.stat("APs down, per park", [p.target(down, "{{site}}", instant=True)], w=12, h=5,
                  thresholds=((None, "green"), (1, "red")))


def _clients_per_ap() -> g.TimeSeries:
    return p.timeseries("Clients per AP", [p.target(by("sum", ["site", "ap"], sel("thdmon_wifi_clients", **PARKS)),
                                                    "{{ap}}")], p.COUNT)


def _clients_per_ssid() -> g.TimeSeries:
    ssids = by("sum", ["ssid"], sel("thdmon_wifi_ssid_clients", role="wifi_controller"))
    return p.timeseries("Clients per SSID (controllers)", [p.target(ssids, "{{ssid}}")], p.COUNT, stacked=True,
                        description="Controller-wide counts: an SSID is the same network in every park.")


def _utilisation() -> g.TimeSeries:
    return p.timeseries("Channel utilisation per radio", [
        p.target(sel("thdmon_wifi_channel_utilisation_ratio", **PARKS), "{{ap}} {{band}}")], p.RATIO,
        thresholds=((None, "green"), (0.6, "orange"), (0.8, "red")), min_=0)


def _noise() -> g.TimeSeries:
    return p.timeseries("Noise floor per radio", [p.target(sel("thdmon_wifi_noise_dbm", **PARKS), "{{ap}} {{band}}")],
                        p.DBM)


def _channels() -> g.Table:
    return p.table("Radios: channel", [p.target(sel("thdmon_wifi_channel", **PARKS), table=True)], w=12, h=8,
                   hide=("site_kind", "commune", "device", "role"), rename={"Value": "channel"})


def _controllers() -> g.TimeSeries:
    return p.timeseries("Controllers: APs joined and clients", [
        p.target(sel("thdmon_wifi_controller_aps"), "{{device}} APs"),
        p.target(sel("thdmon_wifi_controller_clients"), "{{device}} clients"),
    ], p.COUNT)


def build() -> g.Dashboard:
    panels = [
        _clients_per_park(), _aps_down(), _clients_per_ap(), _clients_per_ssid(),
        p.section("Radio"), _utilisation(), _noise(), _channels(), _controllers(),
    ]
    return dashboard(UID, TITLE, "Public Wi-Fi of the parks: clients per park, AP and SSID, radio health, APs down.",
                     panels, [PARK])
