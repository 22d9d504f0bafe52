"""Store semantics as a scraper sees them: no frozen values, clean removal, counters as the device says."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from collector.model import DownReason, PollResult, Sample
from collector.store import Store
from exporters.exposition import TEXT, DeviceExposition
from metrics.identity import identity_labels

from .conftest import down_state, interface_samples, up_state

IDENTITY = {
    "sw-col-001": identity_labels("col-jean-jaures", "college", "Saint-Denis", "sw-col-001", "access_switch"),
    "sw-col-002": identity_labels("col-jean-jaures", "college", "Saint-Denis", "sw-col-002", "access_switch"),
}


def _series(devices: DeviceExposition) -> dict[tuple[str, str, str], float]:
    out = {}
    for family in text_string_to_metric_families(devices.text(TEXT)):
        for s in family.samples:
            out[(s.name, s.labels.get("device", ""), s.labels.get("ifname", s.labels.get("reason", "")))] = s.value
    return out


def _setup() -> tuple[Store, DeviceExposition]:
    store = Store(clock=lambda: 1_700_000_000.0)
    return store, DeviceExposition(store, IDENTITY)


def test_a_device_that_stops_answering_loses_its_samples_and_shows_why():
    store, devices = _setup()
    store.update("sw-col-001", PollResult(interface_samples(["Gi0/1", "Gi0/2"], 1000.0), up_state("sw-col-001")))
    before = _series(devices)
    assert before[("thdmon_interface_receive_bytes_total", "sw-col-001", "Gi0/2")] == 1001.0
    assert before[("thdmon_device_up", "sw-col-001", "")] == 1.0
    assert before[("thdmon_device_poll_varbinds", "sw-col-001", "")] == 42.0

    store.update("sw-col-001", PollResult([], down_state("sw-col-001", DownReason.timeout)))
    after = _series(devices)
    assert after[("thdmon_device_up", "sw-col-001", "")] == 0.0
    assert after[("thdmon_device_down_reason", "sw-col-001", "timeout")] == 1.0
    assert after[("thdmon_device_last_poll_timestamp_seconds", "sw-col-001", "")] == 1_700_000_060.0
    assert not [k for k in after if k[0].startswith("thdmon_interface_")]
    assert ("thdmon_device_poll_varbinds", "sw-col-001", "") not in after
    state = store.get("sw-col-001").state
    assert state.consecutive_failures == 1 and state.since == 1_700_000_060.0

    store.update("sw-col-001", PollResult([], down_state("sw-col-001", DownReason.timeout, now=1_700_000_120.0)))
    state = store.get("sw-col-001").state
    assert state.consecutive_failures == 2 and state.since == 1_700_000_060.0  # down since the first failure


def test_a_failing_slow_poll_also_drops_the_fast_samples():
    store, devices = _setup()
    store.update("sw-col-001", PollResult(interface_samples(["Gi0/1"], 5.0), up_state("sw-col-001")), part="fast")
    store.update("sw-col-001", PollResult([Sample("thdmon_device_uptime_seconds", (), 99.0, 0.0)],
                                          up_state("sw-col-001")), part="slow")
    merged = _series(devices)
    assert merged[("thdmon_device_uptime_seconds", "sw-col-001", "")] == 99.0
    assert merged[("thdmon_interface_receive_bytes_total", "sw-col-001", "Gi0/1")] == 5.0
    store.update("sw-col-001", PollResult([], down_state("sw-col-001")), part="slow")
    assert not [k for k in _series(devices) if k[0] in ("thdmon_device_uptime_seconds",
                                                          "thdmon_interface_receive_bytes_total")]


def test_a_counter_reset_after_a_reboot_shows_the_new_lower_value():
    store, devices = _setup()
    store.update("sw-col-001", PollResult(interface_samples(["Gi0/1"], 9_000_000.0), up_state("sw-col-001")))
    store.update("sw-col-001", PollResult(interface_samples(["Gi0/1"], 1200.0), up_state("sw-col-001")))
    assert _series(devices)[("thdmon_interface_receive_bytes_total", "sw-col-001", "Gi0/1")] == 1200.0


def test_removed_devices_and_vanished_interfaces_disappear_entirely():
    store, devices = _setup()
    for name in IDENTITY:
        store.update(name, PollResult(interface_samples(["Gi0/1", "Gi0/2"], 1.0), up_state(name)))
    store.update("sw-col-002", PollResult(interface_samples(["Gi0/1"], 2.0), up_state("sw-col-002")))
    series = _series(devices)
    assert ("thdmon_interface_oper_up", "sw-col-002", "Gi0/2") not in series
    assert ("thdmon_interface_oper_up", "sw-col-001", "Gi0/2") in series
    store.remove("sw-col-001")
    assert {k[1] for k in _series(devices)} == {"sw-col-002"}
    store.remove("sw-col-002")
    assert devices.text(TEXT) == "" and len(store) == 0


def test_bad_samples_are_dropped_and_counted_without_losing_the_good_ones():
    store, devices = _setup()
    good = Sample("thdmon_device_uptime_seconds", (), 12.0, 0.0)
    bad = [
        Sample("thdmon_not_a_metric", (), 1.0, 0.0),
        Sample("thdmon_optical_rx_power_dbm", (("ifname", "Gi0/1"), ("sensor", "rx")), 1.0, 0.0),  # wrong order
        Sample("thdmon_collector_polls_total", (("protocol", "snmp"), ("result", "ok")), 1.0, 0.0),
        Sample("thdmon_temperature_celsius", (("sensor", "cpu"),), None, 0.0),  # type: ignore[arg-type]
        Sample("thdmon_interface_receive_errors_total", (("ifname", "a"),), -1.0, 0.0),
    ]
    store.update("sw-col-001", PollResult([*bad, good], up_state("sw-col-001")))
    assert store.rejected_samples == 5
    series = _series(devices)
    assert series[("thdmon_device_uptime_seconds", "sw-col-001", "")] == 12.0
    assert not [k for k in series if "not_a_metric" in k[0] or "interface" in k[0]]


def test_duplicate_series_keep_the_last_value():
    store, devices = _setup()
    samples = [Sample("thdmon_device_uptime_seconds", (), v, 0.0) for v in (1.0, 2.0)]
    store.update("sw-col-001", PollResult(samples, up_state("sw-col-001")))
    assert devices.text(TEXT).count("thdmon_device_uptime_seconds{") == 1
    assert _series(devices)[("thdmon_device_uptime_seconds", "sw-col-001", "")] == 2.0


def test_maintenance_flag_follows_the_inventory_without_a_poll():
    store, devices = _setup()
    store.update("sw-col-001", PollResult([], up_state("sw-col-001")), maintenance=True)
    assert _series(devices)[("thdmon_device_maintenance", "sw-col-001", "")] == 1.0
    store.set_maintenance("sw-col-001", False)
    assert _series(devices)[("thdmon_device_maintenance", "sw-col-001", "")] == 0.0


def test_a_scrape_snapshot_is_unaffected_by_a_later_poll():
    store, _ = _setup()
    store.update("sw-col-001", PollResult(interface_samples(["Gi0/1"], 1.0), up_state("sw-col-001")))
    snapshot = store.snapshot()
    store.update("sw-col-001", PollResult([], down_state("sw-col-001")))
    assert snapshot[0].state.up and len(snapshot[0].samples) > 3
    assert not store.get("sw-col-001").state.up


def test_the_store_keeps_one_label_tuple_per_row_from_poll_to_poll():
    def poll(octets: float) -> list[Sample]:  # new, equal label tuples for every series, as a decoder gives
        return [Sample(metric, (("ifname", name),), octets, 1.0)
                for name in ("Gi0/1", "Gi0/2")
                for metric in ("thdmon_interface_receive_bytes_total", "thdmon_interface_transmit_bytes_total")]

    store = Store()
    store.update("sw", PollResult(poll(1.0), up_state("sw")))
    first = store.get("sw").protocols["snmp"].classes["fast"].series
    store.update("sw", PollResult(poll(2.0), up_state("sw")))
    second = store.get("sw").protocols["snmp"].classes["fast"].series
    assert len({id(labels) for labels in second.labels}) == 2  # one per interface, shared by its columns
    assert all(a is b for a, b in zip(first.labels, second.labels, strict=True))  # and kept across polls
    assert list(second.values) == [2.0] * 4
    exposed = {(s.metric, s.labels): s.value for s in store.get("sw").samples}
    assert exposed[("thdmon_interface_transmit_bytes_total", (("ifname", "Gi0/2"),))] == 2.0


def test_a_backup_that_succeeded_does_not_keep_an_unreachable_device_up():
    store = Store()
    store.update("sw", PollResult([], up_state("sw")), protocol="ssh", part="config", liveness=False)
    store.update("sw", PollResult([], down_state("sw")), protocol="snmp", part="fast")
    store.update("sw", PollResult([], down_state("sw", DownReason.unreachable)), protocol="icmp", part="icmp")
    entry = store.get("sw")
    assert entry.protocols["ssh"].state.up and not entry.state.up
    assert entry.state.reason == DownReason.timeout  # the first liveness protocol's
    store.update("sw", PollResult([], up_state("sw")), protocol="icmp", part="icmp")
    assert store.get("sw").state.up


def test_a_device_polled_over_ssh_only_is_up_by_its_backups():
    store = Store()
    store.update("fw", PollResult([], up_state("fw")), protocol="ssh", part="config", liveness=False)
    assert store.get("fw").state.up
    store.update("fw", PollResult([], down_state("fw", DownReason.auth_failure)), protocol="ssh", part="config",
                 liveness=False)
    assert not store.get("fw").state.up
