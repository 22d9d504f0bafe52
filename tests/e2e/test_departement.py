"""End-to-end proof of the polling service on the simulated département.

lab (snmpsim, one commune + its PoP and data-centre cores) -> `thdmon serve` (subprocess, 5 s / 10 s
intervals) -> prometheus (1 s scrapes). Everything is asserted through Prometheus's HTTP API and
serve's own /metrics, polling with a deadline (never fixed sleeps). The three steps share one chain
and run in order: identity and rates, a silent device and its recovery, a reboot.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Departement
from tests.peers import until

pytestmark = pytest.mark.slow

SILENT = "cs-coubron-acc1"
REBOOTED = "pmi-coubron-acc1"
WITNESS = "pop-clichy-montfermeil-core1"
# The lab's fastest interface counter: 6e5 B/s x 40 on links (lab/snmp/datagen.py). serve's values
# move every 5 s and Prometheus samples them every second, so over a short history rate() may read a
# step as up to ~5x the true rate: the bound is one order of magnitude. A reset misread as a drop from
# the counters' initial 1e9-1e12 to 0 would show up as ~1e10 B/s.
SANE_RATE = 6e5 * 40 * 10


def test_series_reach_prometheus_with_identity_labels_and_moving_counters(departement: Departement):
    d = departement
    for device in d.devices:
        d.eventually(f"{device} up in Prometheus", f'thdmon_device_up{{device="{device}"}}', lambda v: v == 1.0)
    result = until("interface series of the access switch", lambda: d.query(
        f'thdmon_interface_receive_bytes_total{{device="{SILENT}"}}'))
    labels = result[0]["metric"]
    assert {k: labels[k] for k in ("site", "site_kind", "commune", "device", "role", "job")} == {
        "site": "cs-coubron", "site_kind": "departmental_site", "commune": "Coubron", "device": SILENT,
        "role": "access_switch", "job": "thdmon"}
    assert len(result) >= 24  # 24 copper ports and 4 uplinks of a JL677A
    # up may come from its first ICMP probe: its SNMP series can be one scrape later
    core = until("interface series of the core", lambda: d.query(
        f'thdmon_interface_receive_bytes_total{{device="{WITNESS}"}}'))[0]["metric"]
    assert (core["site"], core["site_kind"], core["commune"], core["role"]) == (
        "pop-clichy-montfermeil", "pop", "Clichy-sous-Bois", "core")
    # The lab's counters move: after two polls 5 s apart, the rate over them is positive.
    moving = d.eventually("a positive receive rate", f'max(rate(thdmon_interface_receive_bytes_total'
                          f'{{device="{WITNESS}"}}[30s]))', lambda v: v > 0, timeout=30)
    assert moving <= SANE_RATE
    assert d.value('up{job="thdmon"}') == 1.0  # the page parses: no duplicate or malformed series


def test_a_silent_device_goes_down_with_timeout_and_comes_back_when_healed(departement: Departement):
    d = departement
    d.eventually("silent device up first", f'thdmon_device_up{{device="{SILENT}"}}', lambda v: v == 1.0)
    snmp_up = f'thdmon_device_protocol_up{{device="{SILENT}",protocol="snmp"}}'
    d.lab.fail(SILENT, "silent")
    try:
        # SNMP silent, ICMP still answered: SNMP down with its reason, the device itself not cut off.
        d.eventually("SNMP down", snmp_up, lambda v: v == 0.0, timeout=30)
        reason = d.query(f'thdmon_device_down_reason{{device="{SILENT}"}}')
        assert [(r["metric"]["protocol"], r["metric"]["reason"], r["value"][1]) for r in reason] == [
            ("snmp", "timeout", "1")]
        assert d.value(f'thdmon_device_up{{device="{SILENT}"}}') == 1.0
        # serve drops every SNMP sample of a silent device at once; liveness and ICMP lines stay
        assert d.samples("thdmon_interface_receive_bytes_total", SILENT) == []
        assert [s.value for s in d.samples("thdmon_device_icmp_up", SILENT)] == [1.0]
        # ... and Prometheus marks the vanished series stale: they leave instant queries at once
        d.eventually("interface series stale", f'absent(thdmon_interface_receive_bytes_total{{device="{SILENT}"}})',
                     lambda v: v == 1.0)
        # ICMP dropped too: now the device is down (every protocol fails)
        d.lab.fail(SILENT, "unreachable")
        d.eventually("device_up 0", f'thdmon_device_up{{device="{SILENT}"}}', lambda v: v == 0.0, timeout=30)
        assert [s.value for s in d.samples("thdmon_device_up", SILENT)] == [0.0]
        assert d.value(f'thdmon_device_up{{device="{WITNESS}"}}') == 1.0
        assert d.query(f'thdmon_interface_receive_bytes_total{{device="{WITNESS}"}}')
    finally:
        d.lab.heal(SILENT)
    d.eventually("device_up back to 1", f'thdmon_device_up{{device="{SILENT}"}}', lambda v: v == 1.0, timeout=30)
    d.eventually("SNMP back", snmp_up, lambda v: v == 1.0, timeout=30)
    assert d.query(f'thdmon_device_down_reason{{device="{SILENT}"}}') == []
    until("interfaces back in /metrics", lambda: d.samples("thdmon_interface_receive_bytes_total", SILENT))
    d.eventually("interfaces back in Prometheus", f'count(thdmon_interface_receive_bytes_total{{device="{SILENT}"}})',
                 lambda v: v >= 24)


def test_a_reboot_is_a_counter_reset_and_is_counted(departement: Departement):
    d = departement
    counter = f'thdmon_interface_receive_bytes_total{{device="{REBOOTED}"}}'
    d.eventually("two polls of the device", f"max(count_over_time({counter}[1m]))", lambda v: v >= 2)
    reboots = f'thdmon_device_reboots_total{{device="{REBOOTED}"}}'
    before = d.value(reboots)
    assert before is not None
    assert d.value(f"max(resets({counter}[1m]))") == 0.0
    d.lab.fail(REBOOTED, "reboot")  # no downtime: counters and sysUpTime restart from zero now
    d.eventually("counter reset seen by Prometheus", f"max(resets({counter}[1m]))", lambda v: v >= 1, timeout=30)
    d.eventually("reboot counted", reboots, lambda v: v == before + 1)
    # rate() reads the drop as a reset: no spike, the rates stay within the lab's own
    highest = d.eventually("rate across the reset", f"max(rate({counter}[1m]))", lambda v: v > 0)
    assert highest <= SANE_RATE
    assert d.value(f'thdmon_device_up{{device="{REBOOTED}"}}') == 1.0
