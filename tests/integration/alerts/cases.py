"""promtool unit-test cases for every alert rule: at least one where it fires and one where it must not.

Series are written with `alerts.promql.sel`, so a case cannot use a label the catalogue does not have.
`fires` lists the labels of each expected alert besides `severity` and the rule's static labels (the
test adds those from the rule); an empty list means the rule must stay quiet at `at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts.promql import sel

CLG = {"site": "clg-pantin", "site_kind": "college", "commune": "Pantin"}
ACC = {**CLG, "device": "clg-pantin-acc1", "role": "access_switch"}
PARK = {"site": "park-sausset", "site_kind": "park", "commune": "Villepinte"}
WLC = {**PARK, "device": "park-sausset-wlc1", "role": "wifi_controller"}
UPLINK_PORT = {"ifname": "1/1/25"}
DESK_PORT = {"ifname": "1/1/7"}
# The alias that makes a port an uplink is on thdmon_interface_info only (issue 17), as the collector exposes it.
UPLINK_INFO = {**UPLINK_PORT, "ifalias": "uplink pop-pantin-core1 1/1/3", "iftype": "6", "ifindex": "25"}
DESK_INFO = {**DESK_PORT, "ifalias": "desk", "iftype": "6", "ifindex": "7"}
OPTIC = {"sensor": "1/1/25 rx", "ifname": "1/1/25"}
COLLECTOR = {"job": "thdmon", "instance": "127.0.0.1:9810"}
COLLECTOR_2 = {"job": "thdmon", "instance": "127.0.0.2:9810"}
# The two jobs of the scrape contract (exporters/prometheus.yml): device and site series keep `job` (only
# instance and shard are dropped), so the liveness families and the rest differ by it.
LIVE = {"job": "thdmon_liveness"}
BULK = {"job": "thdmon"}


def s(metric: str, values: str, **labels: str) -> tuple[str, str]:
    return sel(metric, **labels), values


@dataclass(frozen=True)
class Case:
    rule: str
    title: str
    at: str
    series: list[tuple[str, str]]
    fires: list[dict[str, str]]
    interval: str = "1m"
    # When given, the annotations are checked exactly, the `{{ range ... query }}...{{ end }}` part of the
    # description rendered as `cause` (what Prometheus' template found in the series at that time).
    cause: str | None = field(default=None)
    value: str = ""  # `{{ $value ... }}` as the annotation renders it
    # Rule evaluation interval: promtool evaluates every rule at every step up to `at`, so the day-long
    # cases step by 10 min (their `for:` is 10 min), the rest by 1 min.
    every: str = "1m"


CASES: list[Case] = [
    Case("SiteDown", "all devices down for 30 s, with its reasons", "5m",
         [s("thdmon_site_state", "1x10", **CLG, state="down"),
          s("thdmon_device_down_reason", "1x10", **ACC, protocol="snmp", reason="timeout"),
          s("thdmon_device_down_reason", "1x10", **ACC, protocol="icmp", reason="timeout")],
         [{**CLG, "state": "down"}], cause="timeout x2 "),
    Case("SiteDown", "from the liveness job, beside the bulk job's series", "5m",
         [s("thdmon_site_state", "1x10", **CLG, **LIVE, state="down"),
          s("thdmon_device_down_reason", "1x10", **ACC, **LIVE, protocol="snmp", reason="timeout"),
          s("thdmon_device_uptime_seconds", "_x10", **ACC, **BULK)],
         [{**CLG, **LIVE, "state": "down"}], cause="timeout x1 "),
    Case("SiteDown", "down for less than 30 s", "2m",
         [s("thdmon_site_state", "0 0 1", **CLG, state="down")], []),
    Case("SiteDown", "degraded is not down", "5m",
         [s("thdmon_site_state", "0x10", **CLG, state="down"),
          s("thdmon_site_state", "1x10", **CLG, state="degraded")], []),
    Case("SiteUnreachable", "down behind a down PoP", "5m",
         [s("thdmon_site_state", "1x10", **CLG, state="unreachable"),
          s("thdmon_site_info", "1x10", **CLG, name="Collège Jean-Jaurès", lat="48.89", lon="2.41",
            uplink="pop-pantin")],
         [{**CLG, "state": "unreachable"}], cause="pop-pantin"),
    # as scraped by the liveness job: the state and the uplink the description names
    Case("SiteUnreachable", "down behind a down PoP, scraped by the liveness job", "5m",
         [s("thdmon_site_state", "1x10", **CLG, **LIVE, state="unreachable"),
          s("thdmon_site_info", "1x10", **CLG, **LIVE, name="Collège Jean-Jaurès", lat="48.89", lon="2.41",
            uplink="pop-pantin")],
         [{**CLG, **LIVE, "state": "unreachable"}], cause="pop-pantin"),
    Case("SiteUnreachable", "up", "5m", [s("thdmon_site_state", "0x10", **CLG, state="unreachable")], []),
    Case("SiteDegraded", "degraded for 10 min", "15m",
         [s("thdmon_site_state", "1x20", **CLG, state="degraded")], [{**CLG, "state": "degraded"}]),
    Case("SiteDegraded", "degraded for 5 min only", "5m",
         [s("thdmon_site_state", "1x20", **CLG, state="degraded")], []),
    Case("UplinkDown", "uplink port admin up, oper down", "5m",
         [s("thdmon_interface_oper_up", "0x10", **ACC, **UPLINK_PORT),
          s("thdmon_interface_admin_up", "1x10", **ACC, **UPLINK_PORT),
          s("thdmon_interface_info", "1x10", **ACC, **UPLINK_INFO)],
         [{**ACC, **UPLINK_PORT}]),
    Case("UplinkDown", "uplink port shut on purpose", "5m",
         [s("thdmon_interface_oper_up", "0x10", **ACC, **UPLINK_PORT),
          s("thdmon_interface_admin_up", "0x10", **ACC, **UPLINK_PORT),
          s("thdmon_interface_info", "1x10", **ACC, **UPLINK_INFO)], []),
    Case("UplinkDown", "a desk port down is not an uplink", "5m",
         [s("thdmon_interface_oper_up", "0x10", **ACC, **DESK_PORT),
          s("thdmon_interface_admin_up", "1x10", **ACC, **DESK_PORT),
          s("thdmon_interface_info", "1x10", **ACC, **DESK_INFO)], []),
    Case("DeviceDown", "down for 2 min", "5m", [s("thdmon_device_up", "0x10", **ACC)], [ACC]),
    Case("DeviceDown", "up", "5m", [s("thdmon_device_up", "1x10", **ACC)], []),
    Case("DeviceSnmpDown", "pings, SNMP fails", "10m",
         [s("thdmon_device_protocol_up", "0x20", **ACC, protocol="snmp"),
          s("thdmon_device_protocol_up", "1x20", **ACC, protocol="icmp")], [{**ACC, "protocol": "snmp"}]),
    Case("DeviceSnmpDown", "pings, SNMP fails: both from the liveness job", "10m",
         [s("thdmon_device_protocol_up", "0x20", **ACC, **LIVE, protocol="snmp"),
          s("thdmon_device_protocol_up", "1x20", **ACC, **LIVE, protocol="icmp")],
         [{**ACC, **LIVE, "protocol": "snmp"}]),
    Case("DeviceSnmpDown", "nothing answers: that is DeviceDown", "10m",
         [s("thdmon_device_protocol_up", "0x20", **ACC, protocol="snmp"),
          s("thdmon_device_protocol_up", "0x20", **ACC, protocol="icmp")], []),
    Case("DeviceRebooted", "a reboot 2 min ago", "5m",
         [s("thdmon_device_reboots_total", "0 0 0 1 1 1 1", **ACC)], [ACC]),
    Case("DeviceRebooted", "a reboot an hour ago", "80m",
         [s("thdmon_device_reboots_total", "0 0 0 1x100", **ACC)], []),
    Case("ConfigBackupFailing", "last backup three days ago", "90m",
         [s("thdmon_config_backup_last_success_timestamp_seconds", "-259200x100", **ACC)], [ACC]),
    Case("ConfigBackupFailing", "backed up yesterday", "90m",
         [s("thdmon_config_backup_last_success_timestamp_seconds", "-86400x100", **ACC)], []),
    Case("ConfigBackupFailing", "never backed up, failing", "90m",
         [s("thdmon_config_backup_failures_total", "0+1x100", **ACC, reason="auth_failure")], [ACC]),
    Case("ConfigChanged", "a change found 10 min ago", "20m",
         [s("thdmon_config_last_change_timestamp_seconds", "1000x10 2000x10", **ACC)], [ACC]),
    Case("ConfigChanged", "no change for two hours", "130m",
         [s("thdmon_config_last_change_timestamp_seconds", "1000x130", **ACC)], []),
    Case("InterfaceErrorsHigh", "2 % of packets in error", "20m",
         [s("thdmon_interface_receive_errors_total", "0+120x30", **ACC, **DESK_PORT),
          s("thdmon_interface_receive_packets_total", "0+6000x30", **ACC, **DESK_PORT)],
         [{**ACC, **DESK_PORT}]),
    Case("InterfaceErrorsHigh", "0.1 % of packets in error", "20m",
         [s("thdmon_interface_receive_errors_total", "0+6x30", **ACC, **DESK_PORT),
          s("thdmon_interface_receive_packets_total", "0+6000x30", **ACC, **DESK_PORT)], []),
    Case("InterfaceErrorsHigh", "errors on an idle port", "20m",
         [s("thdmon_interface_receive_errors_total", "0+3x30", **ACC, **DESK_PORT),
          s("thdmon_interface_receive_packets_total", "0+30x30", **ACC, **DESK_PORT)], []),
    Case("UplinkSaturated", "90 % of 1 Gb/s received for 15 min", "25m",
         [s("thdmon_interface_receive_bytes_total", "0+6750000000x40", **ACC, **UPLINK_PORT),
          s("thdmon_interface_transmit_bytes_total", "0+1000000x40", **ACC, **UPLINK_PORT),
          s("thdmon_interface_speed_bits_per_second", "1000000000x40", **ACC, **UPLINK_PORT),
          s("thdmon_interface_info", "1x40", **ACC, **UPLINK_INFO)],
         [{**ACC, **UPLINK_PORT}]),
    # The point of keeping the alias off the counters: a description edited mid-way (a new info series)
    # leaves the counter one series, so rate() and the alert carry on.
    Case("UplinkSaturated", "90 %, the uplink's description edited after 10 min", "25m",
         [s("thdmon_interface_receive_bytes_total", "0+6750000000x40", **ACC, **UPLINK_PORT),
          s("thdmon_interface_speed_bits_per_second", "1000000000x40", **ACC, **UPLINK_PORT),
          s("thdmon_interface_info", "1x10 _x30", **ACC, **UPLINK_INFO),
          s("thdmon_interface_info", "_x10 1x30", **ACC,
            **{**UPLINK_INFO, "ifalias": "uplink pop-pantin-core2 1/1/4"})],
         [{**ACC, **UPLINK_PORT}]),
    Case("UplinkSaturated", "40 %", "25m",
         [s("thdmon_interface_receive_bytes_total", "0+3000000000x40", **ACC, **UPLINK_PORT),
          s("thdmon_interface_transmit_bytes_total", "0+3000000000x40", **ACC, **UPLINK_PORT),
          s("thdmon_interface_speed_bits_per_second", "1000000000x40", **ACC, **UPLINK_PORT),
          s("thdmon_interface_info", "1x40", **ACC, **UPLINK_INFO)], []),
    Case("UplinkSaturated", "a desk port at 90 % is not an uplink", "25m",
         [s("thdmon_interface_receive_bytes_total", "0+6750000000x40", **ACC, **DESK_PORT),
          s("thdmon_interface_speed_bits_per_second", "1000000000x40", **ACC, **DESK_PORT),
          s("thdmon_interface_info", "1x40", **ACC, **DESK_INFO)], []),
    Case("OpticalRxLow", "below the transceiver's own low alarm", "10m",
         [s("thdmon_optical_rx_power_dbm", "-20x20", **ACC, **OPTIC),
          s("thdmon_optical_rx_power_threshold_dbm", "-18x20", **ACC, **OPTIC, threshold="low_alarm")],
         [{**ACC, **OPTIC}], value="-20.0"),
    Case("OpticalRxLow", "no threshold given: below the policy's default", "10m",
         [s("thdmon_optical_rx_power_dbm", "-26x20", **ACC, **OPTIC)], [{**ACC, **OPTIC}], value="-26.0"),
    Case("OpticalRxLow", "below the default but above the transceiver's own alarm", "10m",
         [s("thdmon_optical_rx_power_dbm", "-26x20", **ACC, **OPTIC),
          s("thdmon_optical_rx_power_threshold_dbm", "-28x20", **ACC, **OPTIC, threshold="low_alarm")], []),
    Case("OpticalRxHigh", "no threshold given: above 0 dBm", "10m",
         [s("thdmon_optical_rx_power_dbm", "1x20", **ACC, **OPTIC)], [{**ACC, **OPTIC}], value="1.0"),
    Case("OpticalRxHigh", "above 0 dBm but under the transceiver's high alarm", "10m",
         [s("thdmon_optical_rx_power_dbm", "1x20", **ACC, **OPTIC),
          s("thdmon_optical_rx_power_threshold_dbm", "3x20", **ACC, **OPTIC, threshold="high_alarm")], []),
    Case("PoeBudgetHigh", "92 % of the budget", "20m",
         [s("thdmon_poe_power_consumption_watts", "370x30", **ACC, group="1"),
          s("thdmon_poe_power_budget_watts", "400x30", **ACC, group="1")], [{**ACC, "group": "1"}]),
    Case("PoeBudgetHigh", "50 %", "20m",
         [s("thdmon_poe_power_consumption_watts", "200x30", **ACC, group="1"),
          s("thdmon_poe_power_budget_watts", "400x30", **ACC, group="1")], []),
    Case("WifiApDown", "AP gone from its controller", "10m",
         [s("thdmon_wifi_ap_up", "0x20", **WLC, ap="park-sausset-ap3")], [{**WLC, "ap": "park-sausset-ap3"}]),
    Case("WifiApDown", "AP up", "10m", [s("thdmon_wifi_ap_up", "1x20", **WLC, ap="park-sausset-ap3")], []),
    Case("WifiClientsSaturated", "80 clients on a radio", "20m",
         [s("thdmon_wifi_clients", "80x30", **WLC, ap="park-sausset-ap3", radio="1", band="5")],
         [{**WLC, "ap": "park-sausset-ap3", "radio": "1", "band": "5"}]),
    Case("WifiClientsSaturated", "30 clients", "20m",
         [s("thdmon_wifi_clients", "30x30", **WLC, ap="park-sausset-ap3", radio="1", band="5")], []),
    Case("CollectorStale", "scrape fails", "5m", [s("up", "0x10", **COLLECTOR)], [COLLECTOR]),
    # Two shards, as the scrape contract labels them: device series carry no instance (their polls cannot
    # tell the collectors apart); the stuck collector is told by its own poll counter.
    Case("CollectorStale", "scraped, but no poll ended for 10 min on one of two collectors", "12m",
         [s("up", "1x20", **COLLECTOR), s("up", "1x20", **COLLECTOR_2),
          s("thdmon_collector_polls_total", "40x20", **COLLECTOR, protocol="snmp", result="ok"),
          s("thdmon_collector_polls_total", "40+10x20", **COLLECTOR_2, protocol="snmp", result="ok"),
          s("thdmon_device_last_poll_timestamp_seconds", "0+60x20", **ACC, job="thdmon", protocol="snmp")],
         [COLLECTOR]),
    Case("CollectorStale", "the liveness part's scrape fails, the bulk part's does not", "5m",
         [s("up", "0x10", **{**COLLECTOR, **LIVE}), s("up", "1x10", **COLLECTOR),
          s("thdmon_collector_polls_total", "0+10x10", **COLLECTOR, protocol="snmp", result="ok")],
         [{**COLLECTOR, **LIVE}]),
    Case("CollectorStale", "scraped and polling", "12m",
         [s("up", "1x20", **COLLECTOR),
          s("thdmon_collector_polls_total", "0+10x20", **COLLECTOR, protocol="snmp", result="ok"),
          s("thdmon_collector_polls_total", "0x20", **COLLECTOR, protocol="icmp", result="failed")], []),
    # absent() keeps the job it looked for: the alert names each missing job
    Case("ScrapeTargetsMissing", "no collector job at all", "20m", [s("up", "1x30", job="node")],
         [{"job": "thdmon"}, LIVE]),
    Case("ScrapeTargetsMissing", "the bulk job scraped, the liveness job missing", "20m",
         [s("up", "1x30", **COLLECTOR), s("thdmon_collector_devices", "0x30", **COLLECTOR, state="pending")],
         [LIVE]),
    Case("ScrapeTargetsMissing", "devices pending for 15 min", "20m",
         [s("up", "1x30", **COLLECTOR), s("up", "1x30", **{**COLLECTOR, **LIVE}),
          s("thdmon_collector_devices", "3x30", **COLLECTOR, state="pending")],
         [{**COLLECTOR, "state": "pending"}]),
    Case("ScrapeTargetsMissing", "both jobs scraped, every device polled", "20m",
         [s("up", "1x30", **COLLECTOR), s("up", "1x30", **{**COLLECTOR, **LIVE}),
          s("thdmon_collector_devices", "0x30", **COLLECTOR, state="pending")], []),
    Case("ConnectionLogIngestStalled", "no record from a NAS for 4 h", "270m",
         [s("thdmon_connlog_last_record_timestamp_seconds", "0x300", source_kind="radius", nas=WLC["device"]),
          s("thdmon_device_up", "0x300", **WLC)],  # the NAS itself down: still the stall is reported
         [{**PARK, "source_kind": "radius", "nas": WLC["device"]}]),
    # the connection logs' job against the NAS's device series from the liveness job: matched on `nas`
    Case("ConnectionLogIngestStalled", "no record for 4 h, the NAS's site from the liveness job", "270m",
         [s("thdmon_connlog_last_record_timestamp_seconds", "0x300", job="thdmon-logs", source_kind="radius",
            nas=WLC["device"]),
          s("thdmon_device_up", "1x300", **WLC, **LIVE)],
         [{**PARK, "job": "thdmon-logs", "source_kind": "radius", "nas": WLC["device"]}]),
    Case("ConnectionLogIngestStalled", "records keep arriving", "270m",
         [s("thdmon_connlog_last_record_timestamp_seconds", "0+60x300", source_kind="radius", nas=WLC["device"]),
          s("thdmon_device_up", "1x300", **WLC)], []),
    Case("ConnectionLogSealMissing", "last seal 27 h ago", "27h",
         [s("thdmon_connlog_last_seal_timestamp_seconds", "0x900")], [{}], interval="2m", every="10m"),
    Case("ConnectionLogSealMissing", "sealed daily", "27h",
         [s("thdmon_connlog_last_seal_timestamp_seconds", "0x719 86400x200")], [], interval="2m", every="10m"),
    Case("ConnectionLogPurgeOverdue", "last purge 27 h ago", "27h",
         [s("thdmon_connlog_last_purge_timestamp_seconds", "0x900")], [{}], interval="2m", every="10m"),
    Case("ConnectionLogPurgeOverdue", "purged daily", "27h",
         [s("thdmon_connlog_last_purge_timestamp_seconds", "0x719 86400x200")], [], interval="2m", every="10m"),
]
