"""Every alert rule of thdmon, as code: one source for the Prometheus rule files and their tests.

Each rule's expression is built from the catalogue (`alerts.promql`), so it keeps every label the
on-call routing needs: `site`, `site_kind`, `commune` come from the series themselves (device and site
metrics carry them); alerts about thdmon itself take those of the policy's `monitoring_site`. The rule
adds `severity` and the annotations: an English `summary`, a French `summary_fr`, a `description`, and
the `runbook_url` of `alerts/runbooks/<Alert>.md`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from alerts.errors import AlertsError
from alerts.policy import Policy, Severity
from alerts.promql import DEVICE, SITE, labels, sel
from inventory.model import Inventory
from metrics.catalogue import DEVICE_LABELS

RUNBOOKS = Path(__file__).with_name("runbooks")

# Where the alert points, in words, reused by the summaries (Go templates, rendered by Prometheus).
_WHERE = "{{ $labels.site }} ({{ $labels.commune }})"
_DEVICE = "{{ $labels.device }} ({{ $labels.site }}, {{ $labels.commune }})"
_PORT = "{{ $labels.device }} {{ $labels.ifname }} ({{ $labels.site }})"
_PORT_LABELS = labels(*DEVICE_LABELS, "ifname")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    group: str
    expr: str
    severity: Severity
    summary_en: str
    summary_fr: str
    description: str
    for_: str = "0s"
    static_labels: Mapping[str, str] = field(default_factory=dict)  # for alerts with no site in their series

    def runbook(self) -> Path:
        return RUNBOOKS / f"{self.name}.md"


def _for_site(query: str, each: str) -> str:
    """Go template text ranging over an instant query about the alert's site, run when Prometheus
    renders the annotation: the notification names the cause without a second look."""
    return "{{ range printf `" + query + "` $labels.site | query }}" + each + "{{ end }}"


_REASONS = _for_site(f"count by{labels('reason')} ({sel('thdmon_device_down_reason', site='%s')})",
                     "{{ .Labels.reason }} x{{ .Value }} ")
_UPLINK = _for_site(sel("thdmon_site_info", site="%s"), "{{ .Labels.uplink }}")


def _site_state(state: str) -> str:
    return f"{sel('thdmon_site_state', state=state)} == 1"


_PORT_KEY = labels("device", "ifname")  # what names a port across thdmon_interface_info and the counters


def _uplink(series: str, policy: Policy) -> str:
    """`series` kept only on uplink ports: the alias is on thdmon_interface_info alone (a new description
    starts no new counter series), so the match is an `and` with it. `and` rather than `* group_left`: it
    keeps the left side's labels and values and tolerates two info rows for one ifname (an agent repeating
    a name under two ifIndexes) where a many-to-one match would fail the whole rule."""
    uplinks = sel("thdmon_interface_info", ifalias="~" + policy.uplink_alias_regex)
    return f"({series} and on{_PORT_KEY} {uplinks})"


def _site_rules(t: Policy) -> list[Rule]:
    th = t.thresholds
    return [
        Rule("SiteDown", "sites", _site_state("down"), "critical",
             f"Site {_WHERE} is down: no device answers",
             f"Site {_WHERE} injoignable : aucun équipement ne répond",
             "Every device of the site failed every protocol (SNMP and ping). Its uplink site answers, so "
             "the fault is the site's own link or power. Down reasons: " + _REASONS, th.site_down_for),
        Rule("SiteUnreachable", "sites", _site_state("unreachable"), "info",
             f"Site {_WHERE} is unreachable behind a site that is down",
             f"Site {_WHERE} inaccessible : le site amont est en panne",
             "No device of the site answers, and a site up its uplink chain is down: the cause is upstream "
             "and is paged there. Uplink: " + _UPLINK, th.site_down_for),
        Rule("SiteDegraded", "sites", _site_state("degraded"), "warning",
             f"Site {_WHERE} is degraded",
             f"Site {_WHERE} dégradé",
             "Some devices or protocols of the site are down, or its uplink is saturated; the site still "
             "answers.", th.site_degraded_for),
        Rule("UplinkDown", "sites",
             f"{_uplink(sel('thdmon_interface_oper_up'), t)} == 0 and on{_PORT_LABELS} "
             f"{sel('thdmon_interface_admin_up')} == 1",
             "warning", f"Uplink {_PORT} is down", f"Lien montant {_PORT} coupé",
             "An uplink port (alias matching the policy's uplink_alias_regex) is administratively up but "
             "operationally down: the site runs on its backup path, if it has one.", "2m"),
    ]


def _device_rules(t: Policy) -> list[Rule]:
    th = t.thresholds
    rx, tx = (f"rate({sel(m)}[5m])" for m in ("thdmon_interface_receive_bytes_total",
                                               "thdmon_interface_transmit_bytes_total"))
    return [
        Rule("DeviceDown", "devices", f"{sel('thdmon_device_up')} == 0", "warning",
             f"Device {_DEVICE} is down", f"Équipement {_DEVICE} injoignable",
             "The device fails every protocol it is polled by (SNMP and ping).", th.device_down_for),
        Rule("DeviceSnmpDown", "devices",
             f"{sel('thdmon_device_protocol_up', protocol='snmp')} == 0 and on{DEVICE} "
             f"{sel('thdmon_device_protocol_up', protocol='icmp')} == 1", "warning",
             f"Device {_DEVICE} answers ping but not SNMP",
             f"Équipement {_DEVICE} : répond au ping mais pas en SNMP",
             "The device is alive but its SNMP agent fails (credentials, ACL, agent crashed); its metrics "
             "are missing.", "5m"),
        Rule("DeviceRebooted", "devices", f"increase({sel('thdmon_device_reboots_total')}[15m]) > 0", "info",
             f"Device {_DEVICE} rebooted", f"Équipement {_DEVICE} redémarré",
             "The device's uptime went backwards within the last 15 minutes."),
        Rule("InterfaceErrorsHigh", "devices",
             f"(rate({sel('thdmon_interface_receive_errors_total')}[5m]) "
             f"/ rate({sel('thdmon_interface_receive_packets_total')}[5m]) > {th.interface_error_ratio}) "
             f"and rate({sel('thdmon_interface_receive_packets_total')}[5m]) > {th.interface_error_min_pps}",
             "warning", f"Interface {_PORT} receives errors", f"Interface {_PORT} : erreurs en réception",
             f"More than {th.interface_error_ratio:.0%} of received packets are errors over 5 minutes "
             "(dirty fibre, bad cable, duplex mismatch).", "10m"),
        Rule("UplinkSaturated", "devices",
             f"{_uplink(rx, t)} * 8 "
             f"/ ({sel('thdmon_interface_speed_bits_per_second')} > 0) > {th.uplink_saturation_ratio} "
             f"or {_uplink(tx, t)} * 8 "
             f"/ ({sel('thdmon_interface_speed_bits_per_second')} > 0) > {th.uplink_saturation_ratio}",
             "warning", f"Uplink {_PORT} saturated", f"Lien montant {_PORT} saturé",
             f"Traffic on an uplink port has stayed above {th.uplink_saturation_ratio:.0%} of its speed.",
             th.uplink_saturation_for),
        _optical("OpticalRxLow", "low_alarm", "<", th.optical_rx_low_dbm, "low", "faible", th.optical_for),
        _optical("OpticalRxHigh", "high_alarm", ">", th.optical_rx_high_dbm, "high", "élevée", th.optical_for),
        Rule("PoeBudgetHigh", "devices",
             f"{sel('thdmon_poe_power_consumption_watts')} / ({sel('thdmon_poe_power_budget_watts')} > 0) "
             f"> {th.poe_budget_ratio}", "warning",
             f"PoE budget of {_DEVICE} nearly used", f"Budget PoE de {_DEVICE} presque épuisé",
             f"The PoE group draws more than {th.poe_budget_ratio:.0%} of its budget: the next AP or camera "
             "plugged in will not be powered.", "15m"),
        Rule("WifiApDown", "wifi", f"{sel('thdmon_wifi_ap_up')} == 0", "warning",
             "Wi-Fi AP {{ $labels.ap }} down at " + _WHERE, "Borne Wi-Fi {{ $labels.ap }} hors service à " + _WHERE,
             "The controller no longer sees the access point.", "5m"),
        Rule("WifiClientsSaturated", "wifi",
             f"{sel('thdmon_wifi_clients')} > {th.wifi_clients_per_radio}", "warning",
             "Wi-Fi radio {{ $labels.ap }} {{ $labels.band }} saturated at " + _WHERE,
             "Radio Wi-Fi {{ $labels.ap }} {{ $labels.band }} saturée à " + _WHERE,
             f"More than {th.wifi_clients_per_radio} clients on one radio for 15 minutes.", "15m"),
    ]


def _optical(name: str, threshold: str, op: str, default: float, en: str, fr: str, for_: str) -> Rule:
    """Rx power against the transceiver's own alarm threshold, or the policy's default where it gives none."""
    rx = sel("thdmon_optical_rx_power_dbm")
    limit = sel("thdmon_optical_rx_power_threshold_dbm", threshold=threshold)
    port = labels(*DEVICE_LABELS, "sensor", "ifname")
    expr = (f"{rx} {op} on{port} group_left {limit} "
            f"or ({rx} unless on{port} {limit}) {op} {default}")
    return Rule(name, "devices", expr, "warning",
                f"Optical Rx power {en} on {_PORT}", f"Puissance optique reçue {fr} sur {_PORT}",
                f"The transceiver receives {{{{ $value | printf \"%.1f\" }}}} dBm, {'below' if op == '<' else 'above'} "
                f"its alarm threshold (or {default} dBm where it gives none).", for_)


def _platform_rules(t: Policy, platform: Mapping[str, str]) -> list[Rule]:
    th = t.thresholds
    job = t.collector_job_regex
    # Per collector, from its own series: the scrape contract drops `instance` from device series (they keep
    # one identity across shards), so a device's last poll cannot tell which collector stopped.
    polls = sel("thdmon_collector_polls_total", job="~" + job)
    nas = 'label_replace(' + sel("thdmon_device_up") + ', "nas", "$1", "device", "(.*)")'
    return [
        Rule("CollectorStale", "platform",
             f"{sel('up', job='~' + job)} == 0 or "
             f"sum by{labels('job', 'instance')} (increase({polls}[{th.collector_stale_seconds}s])) == 0",
             "critical", "thdmon collector {{ $labels.instance }} is not polling",
             "Le collecteur thdmon {{ $labels.instance }} ne collecte plus",
             "Prometheus cannot scrape the collector, or no poll has ended for a while: every site it polls "
             "is blind.", "2m", platform),
        Rule("ScrapeTargetsMissing", "platform",
             " or ".join(f"absent({sel('up', job=name)})" for name in t.collector_jobs)
             + f" or {sel('thdmon_collector_devices', state='pending')} > 0",
             "critical", "thdmon collectors missing from Prometheus, or devices never polled",
             "Collecteurs thdmon absents de Prometheus, ou équipements jamais interrogés",
             "A job of the collectors' scrape contract is not scraped at all (each part of their page has "
             "its own), or a collector has had devices scheduled but never polled for 15 minutes.", "15m",
             platform),
        Rule("ConnectionLogIngestStalled", "connlog",
             f"(time() - {sel('thdmon_connlog_last_record_timestamp_seconds')} > {th.connlog_stall_seconds}) "
             # the NAS's site from its device series; * 0 + 1: a NAS down must not hide its stall
             f"* on{labels('nas')} group_left{SITE} (max by{labels('nas', 'site', 'site_kind', 'commune')} "
             f"({nas}) * 0 + 1)", "critical",
             "No connection records from NAS {{ $labels.nas }} at " + _WHERE,
             "Plus aucun journal de connexion du NAS {{ $labels.nas }} à " + _WHERE,
             "The legal connection logs of this public Wi-Fi NAS have stopped arriving: every hour missing "
             "is an hour the département cannot answer a requisition for.", "10m"),
        Rule("ConnectionLogSealMissing", "connlog",
             f"time() - {sel('thdmon_connlog_last_seal_timestamp_seconds')} > {th.seal_max_age_seconds}",
             "warning", "Connection logs not sealed for over a day", "Journaux de connexion non scellés depuis un jour",
             "The daily seal (hash chain, Merkle root, signature) did not run: yesterday's records are not "
             "yet provably intact.", "10m", platform),
        Rule("ConnectionLogPurgeOverdue", "connlog",
             f"time() - {sel('thdmon_connlog_last_purge_timestamp_seconds')} > {th.purge_max_age_seconds}",
             "warning", "Connection-log purge overdue", "Purge des journaux de connexion en retard",
             "The daily purge did not run: records older than their retention are kept, which the law "
             "punishes as well as keeping too little.", "10m", platform),
    ]


def platform_labels(inventory: Inventory, policy: Policy) -> dict[str, str]:
    site = inventory.sites.get(policy.monitoring_site)
    if site is None:
        raise AlertsError(f"policy: monitoring_site {policy.monitoring_site!r} is not a site of the inventory")
    return {"site": site.id, "site_kind": site.kind.value, "commune": site.commune}


def _config_rules() -> list[Rule]:
    """Configuration backups over SSH (collector/ssh): taken daily, so two missed days is a failure."""
    stale = f"time() - {sel('thdmon_config_backup_last_success_timestamp_seconds')} > 2 * 86400"
    never = (f"increase({sel('thdmon_config_backup_failures_total')}[1d]) > 0 unless on{DEVICE} "
             f"{sel('thdmon_config_backup_last_success_timestamp_seconds')}")
    return [
        Rule("ConfigBackupFailing", "config", f"({stale}) or on{DEVICE} sum by{DEVICE} ({never})", "warning",
             f"Configuration backup of {_DEVICE} failing", f"Sauvegarde de configuration de {_DEVICE} en échec",
             "No successful configuration backup for two days, or none ever while backups fail: after an "
             "incident, \"what changed?\" has no answer for this device.", "1h"),
        Rule("ConfigChanged", "config",
             f"changes({sel('thdmon_config_last_change_timestamp_seconds')}[1h]) > 0", "info",
             f"Configuration of {_DEVICE} changed", f"Configuration de {_DEVICE} modifiée",
             "A backup found the running configuration changed: `thdmon config diff DEVICE` shows what."),
    ]


def build_rules(inventory: Inventory, policy: Policy) -> list[Rule]:
    rules = (_site_rules(policy) + _device_rules(policy) + _config_rules()
             + _platform_rules(policy, platform_labels(inventory, policy)))
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise AlertsError(f"rules declared twice: {duplicates}")
    return rules


def prometheus_groups(rules: list[Rule], policy: Policy) -> dict[str, object]:
    """The rule file's content (`groups:`), rules in declaration order within their group."""
    groups: dict[str, list[dict[str, object]]] = {}
    for r in rules:
        body: dict[str, object] = {"alert": r.name, "expr": r.expr}
        if r.for_ != "0s":
            body["for"] = r.for_
        body["labels"] = {"severity": r.severity, **r.static_labels}
        body["annotations"] = {
            "summary": r.summary_en,
            "summary_fr": r.summary_fr,
            "description": r.description,
            "runbook_url": f"{policy.runbook_base_url.rstrip('/')}/{r.name}.md",
        }
        groups.setdefault(f"thdmon-{r.group}", []).append(body)
    return {"groups": [{"name": name, "rules": body} for name, body in groups.items()]}
