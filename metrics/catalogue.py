"""The metric catalogue: every metric thdmon exposes, declared once.

The exporter emits from it, SNMP profiles map values to it, dashboards and alert rules build their
PromQL from it, and a test fails if any of them names a metric that is not here.

Conventions: prefix `thdmon_`, base units (`_bytes`, `_seconds`, `_dbm`, `_watts`, `_celsius`,
`_ratio`), counters end in `_total`. Device identity labels (`DEVICE_LABELS`) are added by the exporter
from the inventory; `labels` below are the metric's own, low-cardinality ones. No client MAC or IP,
ever: those belong to connlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricType = Literal["counter", "gauge", "histogram", "info", "stateset"]

DEVICE_LABELS: tuple[str, ...] = ("site", "site_kind", "commune", "device", "role")

# Hygiene (issue 17: series that chart well), asserted over this catalogue by tests/unit/test_metric_hygiene.py
# and over a poll of the lab by tests/e2e/test_metric_hygiene.py:
# - labels people edit (DESCRIPTIVE_LABELS) belong on `*_info` series only, joined in PromQL on the
#   identifying labels (`* on(device, ifname) group_left(ifalias) thdmon_interface_info`): on a counter,
#   a new port description would start a new series and break rate();
# - a point in time is a Unix timestamp named `*_timestamp_seconds` (`time() - x` is an age), never a
#   value relative to the device's uptime;
# - SNMP indexes (labels ending in `index`) only on info series: series name what they measure (cpu0,
#   "CPU 0 of module 1", a sensor's entity name), the info series keeps the index beside the name;
# - no empty label value outside info series (on an info series, an empty description is no description).
DESCRIPTIVE_LABELS: frozenset[str] = frozenset({"ifalias", "sys_name", "sys_descr", "name", "description"})


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...] = ()
    unit: str = ""
    per_device: bool = True  # carries DEVICE_LABELS
    # On the liveness page (`/metrics?part=liveness`, scraped every 15 s beside the whole rest every 60 s,
    # docs/exporter.md "Scrape contract"): what the paging rules read, so a failure reaches them within a
    # short scrape, not a long one. Small by design: a few series per device and site.
    liveness: bool = False

    @property
    def all_labels(self) -> tuple[str, ...]:
        return (DEVICE_LABELS + self.labels) if self.per_device else self.labels


def _m(name: str, type_: MetricType, help_: str, labels: tuple[str, ...] = (), unit: str = "",
       per_device: bool = True, liveness: bool = False) -> Metric:
    return Metric(name, type_, help_, labels, unit, per_device, liveness)


_IF = ("ifname",)  # ifalias only on thdmon_interface_info: a new port description is no new series
_SENSOR = ("sensor", "ifname")
_RADIO = ("ap", "radio", "band")
_SSID = ("ap", "ssid", "band")

METRICS: tuple[Metric, ...] = (
    # Device health (set by the collector, not by profiles).
    # The device-level rule (collector/store.py): up unless every liveness protocol (SNMP, ICMP) fails.
    _m("thdmon_device_up", "gauge", "1 unless every protocol the device is polled by fails (SSH only when nothing "
       "else polls it; see protocol_up)", liveness=True),
    _m("thdmon_device_protocol_up", "gauge", "1 if the device answered its last poll over this protocol",
       ("protocol",), liveness=True),
    _m("thdmon_device_down_reason", "gauge",
       "1 for the reason a protocol of the device is down (timeout, auth_failure, ...), absent when up",
       ("protocol", "reason"), liveness=True),
    _m("thdmon_device_down_since_timestamp_seconds", "gauge",
       "When the device went down (Unix time: time() - it is the outage so far), absent while it is up",
       unit="seconds", liveness=True),
    _m("thdmon_device_last_poll_timestamp_seconds", "gauge", "End of the device's last poll over this protocol",
       ("protocol",), unit="seconds"),
    _m("thdmon_device_poll_duration_seconds", "gauge", "Duration of the device's last poll over this protocol",
       ("protocol",), unit="seconds"),
    _m("thdmon_device_poll_varbinds", "gauge", "Varbinds read during the device's last poll"),
    _m("thdmon_device_maintenance", "gauge", "1 while the device is in maintenance per the inventory"),
    _m("thdmon_device_icmp_up", "gauge", "1 if the device answers ICMP echo"),
    _m("thdmon_device_icmp_rtt_seconds", "gauge", "ICMP round-trip time (median of the probe)", unit="seconds"),
    _m("thdmon_device_icmp_loss_ratio", "gauge", "Share of ICMP echo requests lost", unit="ratio"),
    # system (SNMPv2-MIB)
    _m("thdmon_device_uptime_seconds", "gauge", "sysUpTime of the device's SNMP agent", unit="seconds"),
    _m("thdmon_device_info", "info", "Device description from SNMP",
       ("sys_name", "sys_descr", "sys_object_id", "vendor")),
    _m("thdmon_device_reboots_total", "counter", "Reboots seen by thdmon (uptime went backwards)"),
    # Set by the SNMP poller, not by profiles: a module the device's profile names that gave no sample
    # (IF-MIB with no interface) is 1, the others 0; probed modules are never reported (docs/snmp-profiles.md).
    _m("thdmon_device_module_empty", "gauge", "1 if an SNMP module the device's profile expects returned nothing",
       ("module",)),
    # CPU, memory, temperature
    _m("thdmon_cpu_utilisation_ratio", "gauge", "CPU utilisation, 0 to 1", ("cpu",), "ratio"),
    _m("thdmon_cpu_info", "info", "A CPU of the device: its name (the label of the CPU metrics) and SNMP index",
       ("cpu", "cpu_index")),
    _m("thdmon_memory_used_bytes", "gauge", "Memory in use", ("pool",), "bytes"),
    _m("thdmon_memory_total_bytes", "gauge", "Memory size", ("pool",), "bytes"),
    _m("thdmon_memory_utilisation_ratio", "gauge",
       "Memory in use, 0 to 1, from agents that give only a percentage (no size)", ("pool",), "ratio"),
    _m("thdmon_temperature_celsius", "gauge", "Temperature sensor", ("sensor",), "celsius"),
    # Sensors are labelled by their entity name ("Switch 1 - Inlet Temp Sensor", "1/1/27 lane 1"); this keeps
    # the SNMP row (entPhysicalIndex, ifIndex[.lane]) beside the name, as thdmon_cpu_info does for CPUs.
    _m("thdmon_sensor_info", "info",
       "A sensor of the device: its name (the `sensor` label of the sensor metrics) and SNMP index",
       ("sensor", "sensor_index")),
    _m("thdmon_temperature_threshold_celsius", "gauge", "Device threshold for a temperature sensor",
       ("sensor", "threshold"), "celsius"),
    _m("thdmon_cpu_utilisation_threshold_ratio", "gauge", "Device alarm threshold for CPU utilisation, 0 to 1",
       ("cpu",), "ratio"),
    _m("thdmon_memory_utilisation_threshold_ratio", "gauge", "Device alarm threshold for memory use, 0 to 1",
       ("pool",), "ratio"),
    # IF-MIB
    _m("thdmon_interface_info", "info", "Interface description", _IF + ("ifalias", "iftype", "ifindex")),
    _m("thdmon_interface_receive_bytes_total", "counter", "Octets received (ifHCInOctets)", _IF, "bytes"),
    _m("thdmon_interface_transmit_bytes_total", "counter", "Octets sent (ifHCOutOctets)", _IF, "bytes"),
    _m("thdmon_interface_receive_packets_total", "counter", "Packets received (unicast+multicast+broadcast)",
       _IF),
    _m("thdmon_interface_transmit_packets_total", "counter", "Packets sent (unicast+multicast+broadcast)", _IF),
    _m("thdmon_interface_receive_errors_total", "counter", "Inbound errors (ifInErrors)", _IF),
    _m("thdmon_interface_transmit_errors_total", "counter", "Outbound errors (ifOutErrors)", _IF),
    _m("thdmon_interface_receive_discards_total", "counter", "Inbound discards (ifInDiscards)", _IF),
    _m("thdmon_interface_transmit_discards_total", "counter", "Outbound discards (ifOutDiscards)", _IF),
    _m("thdmon_interface_oper_up", "gauge", "1 if ifOperStatus is up", _IF),
    _m("thdmon_interface_admin_up", "gauge", "1 if ifAdminStatus is up", _IF),
    _m("thdmon_interface_speed_bits_per_second", "gauge", "Interface speed (ifHighSpeed x 1e6)", _IF),
    _m("thdmon_interface_duplex_info", "info", "Duplex the interface runs at (EtherLike-MIB dot3StatsDuplexStatus)",
       _IF + ("duplex",)),
    _m("thdmon_vlan_info", "info", "A VLAN configured on the device (Q-BRIDGE-MIB dot1qVlanStaticName)",
       ("vlan", "name")),
    _m("thdmon_interface_last_change_timestamp_seconds", "gauge",
       "When the interface's oper status last changed (Unix time; the agent's start if never since)", _IF,
       "seconds"),
    # Optics (ENTITY-SENSOR-MIB, CISCO-ENTITY-SENSOR-MIB, vendor MIBs), with the device's own thresholds
    _m("thdmon_optical_rx_power_dbm", "gauge", "Optical receive power", _SENSOR, "dbm"),
    _m("thdmon_optical_tx_power_dbm", "gauge", "Optical transmit power", _SENSOR, "dbm"),
    _m("thdmon_optical_rx_power_threshold_dbm", "gauge", "Device threshold for receive power",
       _SENSOR + ("threshold",), "dbm"),
    _m("thdmon_optical_tx_power_threshold_dbm", "gauge", "Device threshold for transmit power",
       _SENSOR + ("threshold",), "dbm"),
    _m("thdmon_optical_temperature_celsius", "gauge", "Transceiver temperature", _SENSOR, "celsius"),
    # POWER-ETHERNET-MIB
    _m("thdmon_poe_power_budget_watts", "gauge", "PoE power budget of a PSE group", ("group",), "watts"),
    _m("thdmon_poe_power_consumption_watts", "gauge", "PoE power drawn from a PSE group", ("group",), "watts"),
    _m("thdmon_poe_port_delivering", "gauge", "1 if the port delivers power", ("group", "port")),
    # The device's own power (ENTITY-SENSOR-MIB / CISCO-ENTITY-SENSOR-MIB watts(6) sensors, one per supply on
    # the families that have them: docs/snmp-profiles.md). `sensor` is the sensor's entity name, its index on
    # thdmon_sensor_info like every sensor. A supply also feeds the PoE ports: its reading includes the PoE
    # the device delivers, so it is shown beside thdmon_poe_power_consumption_watts, never added to it.
    _m("thdmon_device_power_watts", "gauge",
       "Power read by a power sensor of the device, per supply (PoE delivered included where it feeds PoE)",
       ("sensor",), "watts"),
    # Stacks (CISCO-STACKWISE-MIB)
    _m("thdmon_stack_member_ready", "gauge", "1 if the stack member is ready (cswSwitchState ready)", ("member",)),
    _m("thdmon_stack_member_info", "info", "A stack member and its stack role (master, member, standby)",
       ("member", "stack_role")),   # not `role`: that is the device's identity label
    _m("thdmon_stack_port_up", "gauge", "1 if the stack port (cable between members) is up", ("ifname",)),
    # LLDP-MIB
    _m("thdmon_lldp_neighbor_info", "info", "LLDP neighbour seen on a local port",
       ("ifname", "remote_sys_name", "remote_port")),
    # Wi-Fi
    _m("thdmon_wifi_ap_up", "gauge", "1 if the controller sees the AP up", ("ap",), liveness=True),
    _m("thdmon_wifi_clients", "gauge", "Associated Wi-Fi clients per AP radio", _RADIO),
    _m("thdmon_wifi_ssid_clients", "gauge", "Associated Wi-Fi clients per SSID", _SSID),
    _m("thdmon_wifi_channel", "gauge", "Radio channel number", _RADIO),
    _m("thdmon_wifi_channel_utilisation_ratio", "gauge", "Channel utilisation, 0 to 1", _RADIO, "ratio"),
    _m("thdmon_wifi_noise_dbm", "gauge", "Noise floor", _RADIO, "dbm"),
    _m("thdmon_wifi_tx_power_dbm", "gauge", "Radio transmit power", _RADIO, "dbm"),
    _m("thdmon_wifi_controller_aps", "gauge", "Access points joined to a Wi-Fi controller"),
    _m("thdmon_wifi_controller_clients", "gauge", "Wi-Fi clients associated through a controller"),
    # Configuration backup over SSH (collector/ssh): the history itself is a git repository, these say
    # whether it is fresh. Failures by reason count every failed backup since the collector started.
    _m("thdmon_config_backup_last_success_timestamp_seconds", "gauge",
       "End of the device's last successful configuration backup", unit="seconds"),
    _m("thdmon_config_last_change_timestamp_seconds", "gauge",
       "When a backup last found the device's configuration changed (the history's last commit of it)",
       unit="seconds"),
    _m("thdmon_config_backup_failures_total", "counter", "Failed configuration backups, by reason", ("reason",)),
    _m("thdmon_config_size_bytes", "gauge", "Size of the stored (cleaned, masked) configuration", unit="bytes"),
    _m("thdmon_device_software_info", "info", "Software and hardware as the device's CLI reports them",
       ("os", "version", "model", "serial")),
    # Sites, rolled up by the collector from its devices' states and the inventory's uplinks
    _m("thdmon_site_state", "stateset", "1 for the site's current state (up, degraded, down, unreachable)",
       ("site", "site_kind", "commune", "state"), per_device=False, liveness=True),
    # liveness: one series a site, and what the on-call view (`thdmon status`) and SiteUnreachable's text
    # name a site by (its name, its uplink): the whole on-call picture is on the small page
    _m("thdmon_site_info", "info", "A site of the inventory, with its coordinates and uplink",
       ("site", "site_kind", "commune", "name", "lat", "lon", "uplink"), per_device=False, liveness=True),
    _m("thdmon_site_state_since_timestamp_seconds", "gauge", "When the site entered its current state",
       ("site", "site_kind", "commune"), "seconds", per_device=False, liveness=True),
    _m("thdmon_site_devices", "gauge", "Devices of the site with a known health, by whether they answer",
       ("site", "site_kind", "commune", "state"), per_device=False, liveness=True),
    _m("thdmon_site_uplink_mismatch", "gauge",
       "1 while LLDP contradicts the site's declared uplink (seen: the site LLDP links to instead, or empty)",
       ("site", "site_kind", "commune", "declared", "seen"), per_device=False),
    # The collector itself (no device labels)
    _m("thdmon_collector_polls_total", "counter", "Polls run, by protocol and result", ("protocol", "result"),
       per_device=False),
    _m("thdmon_collector_poll_errors_total", "counter", "Poll failures by reason", ("protocol", "reason"),
       per_device=False),
    _m("thdmon_collector_poll_duration_seconds", "histogram", "Duration of device polls", ("protocol",),
       "seconds", per_device=False),
    _m("thdmon_collector_misfires_total", "counter", "Scheduled polls that started late or were skipped",
       ("protocol",), per_device=False),
    _m("thdmon_collector_devices", "gauge", "Devices this collector polls, by state", ("state",),
       per_device=False),
    _m("thdmon_collector_inventory_reloads_total", "counter",
       "Inventory reloads (SIGHUP or file change), by result; a failed one keeps the previous inventory",
       ("result",), per_device=False),
    _m("thdmon_collector_concurrency_limit", "gauge",
       "Polls allowed at once now (AIMD: +1 after a limit's worth of successes, halved by a burst of failures)",
       per_device=False),
    _m("thdmon_collector_polls_in_flight", "gauge", "Polls running now, every protocol", per_device=False),
    _m("thdmon_collector_samples_rejected_total", "counter",
       "Samples a collector produced that the vocabulary refuses (logged once per device and metric)",
       per_device=False),
    _m("thdmon_collector_traps_total", "counter", "SNMP traps received", ("trap",), per_device=False),
    _m("thdmon_exporter_http_rejections_total", "counter",
       "Connections and requests the /metrics server refused: connections_total, connections_per_source "
       "(bounds), auth_failed, auth_rate_limited (too many failures from one source)", ("reason",),
       per_device=False),
    _m("thdmon_collector_triggered_polls_total", "counter",
       "Polls asked for out of schedule (a trap; a protocol going down confirmed over the device's others; a "
       "device down re-polling its uplink sites' devices), run or throttled (one per device and protocol per 10 s)",
       ("protocol", "result"), per_device=False),
    # connlog health: a stalled source is a legal risk
    _m("thdmon_connlog_records_total", "counter", "Connection records ingested", ("source_kind", "nas"),
       per_device=False),
    _m("thdmon_connlog_last_record_timestamp_seconds", "gauge", "Arrival time of the newest record per NAS",
       ("source_kind", "nas"), "seconds", per_device=False),
    _m("thdmon_connlog_dropped_total", "counter", "Packets or lines dropped, by reason",
       ("source_kind", "reason"), per_device=False),
    _m("thdmon_connlog_quarantine_lines", "gauge", "Unparsed syslog lines kept in quarantine",
       per_device=False),
    _m("thdmon_connlog_spool_depth_records", "gauge", "Records in the spool not yet in the database",
       per_device=False),
    _m("thdmon_connlog_database_size_bytes", "gauge", "Size of the connection-log database", unit="bytes",
       per_device=False),
    _m("thdmon_connlog_last_seal_timestamp_seconds", "gauge", "When the last day was sealed", unit="seconds",
       per_device=False),
    _m("thdmon_connlog_last_purge_timestamp_seconds", "gauge", "When the last purge ran", unit="seconds",
       per_device=False),
    # auditor portal: a brute force on the login shows here (outcome: success, bad_password, unknown_account,
    # disabled, throttled, csrf)
    _m("thdmon_portal_logins_total", "counter", "Login attempts on the auditor portal, by outcome", ("outcome",),
       per_device=False),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}


class UnknownMetric(KeyError):
    pass


def get(name: str) -> Metric:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownMetric(f"metric {name!r} is not in the catalogue (metrics/catalogue.py)") from None
