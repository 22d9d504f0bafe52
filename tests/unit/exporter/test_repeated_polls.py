"""The per-poll shortcuts (validation of known series, reused label prefixes, float formatting) change
nothing: later polls are checked and written exactly as a first poll would be."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest
from prometheus_client import generate_latest
from prometheus_client.utils import floatToGoString

from collector.model import PollResult, Sample
from collector.store import Store
from exporters import exposition
from exporters.exposition import TEXT, DeviceExposition, DeviceRenderer, go_float, unpack

from .conftest import interface_samples, random_dataset, reference_registry, up_state

EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.1, 2.5, 999999.0, 1000000.0, 1234567.0, 9999999.5, 123456789.0,
               1e16, 1.5e16, 1e21, 1e22, 18446744073709551615.0, -123456789.0, 5e-324, 1.5e-7, 1e-5,
               math.inf, -math.inf, math.nan, 0, 7, 10**20, -3]


@pytest.mark.parametrize("value", EDGE_FLOATS, ids=repr)
def test_go_float_writes_what_prometheus_client_writes(value):
    assert go_float(value) == floatToGoString(value)


def test_go_float_matches_on_random_magnitudes():
    rng = random.Random(7)
    for _ in range(20_000):
        value = rng.choice([rng.random() * 10 ** rng.randint(-12, 25), float(rng.randint(0, 2**64)),
                            -rng.random() * 10 ** rng.randint(-3, 20), float(rng.randint(0, 10**7))])
        assert go_float(value) == floatToGoString(value), value


LABELS = (("ifname", "Gi0/1"),)


def test_a_known_series_with_a_bad_value_is_still_rejected_and_counted():
    store = Store(clock=lambda: 1.0)
    first = [Sample("thdmon_interface_receive_bytes_total", LABELS, 10.0, 0.0),
             Sample("thdmon_interface_oper_up", LABELS, 1.0, 0.0),
             Sample("thdmon_device_uptime_seconds", (), 5.0, 0.0)]
    store.update("sw", PollResult(first, up_state("sw")))
    assert store.rejected_samples == 0
    second = [Sample("thdmon_interface_receive_bytes_total", LABELS, math.nan, 0.0),  # counter NaN: dropped
              Sample("thdmon_interface_oper_up", LABELS, math.nan, 0.0),  # a gauge may be NaN
              Sample("thdmon_device_uptime_seconds", (), "12", 0.0)]  # type: ignore[arg-type]
    store.update("sw", PollResult(second, up_state("sw")))
    assert store.rejected_samples == 2
    kept = {s.metric: s.value for s in store.get("sw").samples if not s.metric.startswith("thdmon_device_")
            or s.metric == "thdmon_device_uptime_seconds"}
    assert list(kept) == ["thdmon_interface_oper_up"] and math.isnan(kept["thdmon_interface_oper_up"])
    third = [Sample("thdmon_interface_receive_bytes_total", LABELS, -1.0, 0.0),  # negative counter: dropped
             Sample("thdmon_interface_receive_bytes_total", (("ifname", "Gi0/2"),), 7, 0.0),
             Sample("thdmon_interface_oper_up", LABELS, True, 0.0),  # type: ignore[arg-type]
             Sample("thdmon_device_uptime_seconds", (), 6, 0.0)]  # an int is a number
    store.update("sw", PollResult(third, up_state("sw")))
    assert store.rejected_samples == 4
    values = {(s.metric, s.labels): s.value for s in store.get("sw").samples}
    assert values[("thdmon_interface_receive_bytes_total", (("ifname", "Gi0/2"),))] == 7
    assert values[("thdmon_device_uptime_seconds", ())] == 6
    assert ("thdmon_interface_receive_bytes_total", LABELS) not in values
    assert ("thdmon_interface_oper_up", LABELS) not in values


def test_an_unhashable_label_value_is_rejected_not_raised():
    store = Store(clock=lambda: 1.0)
    store.update("sw", PollResult([Sample("thdmon_interface_oper_up", LABELS, 1.0, 0.0)], up_state("sw")))
    bad = Sample("thdmon_interface_oper_up", (("ifname", ["Gi0/1"]),), 1.0, 0.0)  # type: ignore[list-item]
    store.update("sw", PollResult([bad, Sample("thdmon_interface_oper_up", LABELS, 0.0, 0.0)], up_state("sw")))
    assert store.rejected_samples == 1
    assert [s.value for s in store.get("sw").samples if s.metric == "thdmon_interface_oper_up"] == [0.0]


def test_each_poll_renders_exactly_what_a_fresh_renderer_and_prometheus_client_write():
    store = Store(clock=lambda: 1_700_000_000.0)
    identities = random_dataset(store, seed=11, devices=12)
    devices = DeviceExposition(store, identities)
    devices.text(TEXT)
    polls = [
        ["Gi0/1", "Gi0/2", "Gi0/3"],
        ["Gi0/1", "Gi0/2", "Gi0/3"],  # same series, new values: the prefixes are reused
        ["Gi0/1", "Gi0/3"],  # an interface vanished
        ["Gi0/1", "Gi0/3", "Gi0/4"],  # and another appeared
        ["Gi0/1", "Gi0/3", "Gi0/4"],
    ]
    name = next(iter(identities))
    for k, ifnames in enumerate(polls):
        samples = interface_samples(ifnames, 1e9 * (k + 1) + 0.5)
        store.update(name, PollResult(samples, up_state(name)))
        assert devices.text(TEXT).encode() == generate_latest(reference_registry(store, identities))
        entry = store.get(name)
        assert DeviceRenderer(identities[name]).render(entry.samples) == devices._chunks(entry)
        lines = devices.text(TEXT).splitlines()
        assert sum(1 for line in lines if "thdmon_interface_receive_bytes_total{" in line
                   and f'device="{name}"' in line) == len(ifnames)


def test_the_renderer_forgets_vanished_series():
    renderer = DeviceRenderer((("device", "sw"),))
    renderer.render(interface_samples(["Gi0/1", "Gi0/2"], 1.0))
    chunks = renderer.render(interface_samples(["Gi0/2"], 2.0))
    # receive bytes, oper up, info of Gi0/2 only
    assert len(renderer._series) == 3 and sum(len(g.spans) for g in renderer._groups.values()) == 6
    assert b"Gi0/1" not in b"".join(map(unpack, chunks.values()))
    assert unpack(chunks["thdmon_interface_receive_bytes_total"]) == (
        b'thdmon_interface_receive_bytes_total{device="sw",ifname="Gi0/2"} 2.0\n')


def test_a_series_that_moved_gets_its_own_labels_not_its_neighbours():
    """Prefixes are reused by position only when metric and labels are those of the same position."""
    renderer = DeviceRenderer((("device", "sw"),))
    renderer.render(interface_samples(["Gi0/1", "Gi0/2"], 1.0))
    renderer.render(interface_samples(["Gi0/2", "Gi0/1"], 2.0))  # swapped: every position differs
    chunks = renderer.render(interface_samples(["Gi0/2", "Gi0/1"], 3.0))  # then reused as they are
    fresh = DeviceRenderer((("device", "sw"),)).render(interface_samples(["Gi0/2", "Gi0/1"], 3.0))
    assert chunks == fresh


def test_reordered_or_reshaped_series_get_the_full_check():
    store = Store(clock=lambda: 1.0)
    rx, mine, other = "thdmon_optical_rx_power_dbm", (("sensor", "rx"), ("ifname", "Gi0/1")), (("sensor", "rx"),
                                                                                            ("ifname", "Gi0/2"))
    first = [Sample(rx, mine, 1.0, 0.0), Sample(rx, other, 1.0, 0.0)]
    store.update("sw", PollResult(first, up_state("sw")))
    swapped = (("ifname", "Gi0/1"), ("sensor", "rx"))  # the labels of `mine`, out of catalogue order
    second = [Sample(rx, other, 0.0, 0.0),  # moved: still valid
              Sample(rx, swapped, 0.0, 0.0),  # where `mine` was, but malformed
              Sample("thdmon_interface_admin_up", LABELS, 1.0, 0.0)]  # new series
    store.update("sw", PollResult(second, up_state("sw")))
    assert store.rejected_samples == 1
    own = [(s.metric, s.labels, s.value) for s in store.get("sw").samples if not s.metric.startswith("thdmon_device")]
    assert own == [(rx, other, 0.0), ("thdmon_interface_admin_up", LABELS, 1.0)]


def test_values_that_did_not_change_keep_their_member_and_lines():
    """A metric whose labels and values are those of the last poll keeps its very gzip member (nothing
    rendered or packed); in a changed metric, unchanged lines are reused: the text is still a fresh one's."""
    store = Store(clock=lambda: 1_700_000_000.0)
    identities = random_dataset(store, seed=5, devices=3)
    devices = DeviceExposition(store, identities)
    name = next(iter(identities))
    ifnames = ["Gi0/1", "Gi0/2", "Gi0/3", "Gi0/4"]
    base = interface_samples(ifnames, 1e9)
    store.update(name, PollResult(base, up_state(name)))
    first = dict(devices._chunks(store.get(name)))
    edge = [0.0, -0.0, math.nan, math.inf, 5e-324, 1e21, 3.0]
    for k, value in enumerate([*edge, *reversed(edge)]):
        # one series changes (through edge values: -0.0 after 0.0, NaN after NaN), the others stay
        samples = [dataclasses.replace(s, value=value) if s.labels == (("ifname", "Gi0/2"),)
                   and s.metric == "thdmon_interface_oper_up" else s for s in base]
        store.update(name, PollResult(samples, up_state(name)))
        chunks = devices._chunks(store.get(name))
        assert devices.text(TEXT).encode() == generate_latest(reference_registry(store, identities)), (k, value)
        assert chunks == DeviceRenderer(identities[name]).render(store.get(name).samples)
        assert chunks["thdmon_interface_info"] is first["thdmon_interface_info"]
        assert chunks["thdmon_interface_receive_bytes_total"] is first["thdmon_interface_receive_bytes_total"]


def test_a_gzip_scrape_is_the_plain_scrape_compressed():
    """Prometheus asks for gzip: it gets the kept members joined, which decode to the plain body."""
    import gzip

    from prometheus_client import CollectorRegistry, Gauge

    store = Store(clock=lambda: 1_700_000_000.0)
    devices = DeviceExposition(store, random_dataset(store, seed=3, devices=20))
    registry = CollectorRegistry()
    Gauge("thdmon_collector_test", "self-metric", registry=registry).set(2)
    for accept in (None, "application/openmetrics-text; version=1.0.0; charset=utf-8"):
        plain, content_type = exposition.render(devices, registry, accept)
        zipped, zipped_type = exposition.render(devices, registry, accept, gzipped=True)
        assert zipped_type == content_type and gzip.decompress(zipped) == plain
    empty = DeviceExposition(Store())
    assert gzip.decompress(exposition.render(empty, None, gzipped=True)[0]) == b""


def test_a_poll_shaped_like_the_last_keeps_its_columns_and_a_changed_one_is_checked_again():
    store = Store(clock=lambda: 1.0)
    store.update("sw", PollResult(interface_samples(["Gi0/1", "Gi0/2"], 10.0), up_state("sw")))
    fast = store.get("sw").protocols["snmp"].classes["fast"].series
    store.update("sw", PollResult(interface_samples(["Gi0/1", "Gi0/2"], 20.0), up_state("sw")))
    again = store.get("sw").protocols["snmp"].classes["fast"].series
    assert again.metrics is fast.metrics and again.labels is fast.labels and again.values[0] == 20.0
    # same length, but the second interface's series became copies of the first's: de-duplicated
    twice = interface_samples(["Gi0/1", "Gi0/1"], 30.0)
    store.update("sw", PollResult(twice, up_state("sw")))
    kept = store.get("sw").protocols["snmp"].classes["fast"].series
    # bytes and oper up once each (the last of a duplicate wins), info twice (ifindex 1 and 2 differ)
    assert kept.metrics.count("thdmon_interface_receive_bytes_total") == 1 and kept.values[0] == 31.0
    assert len(kept) == 4 and len(set(zip(kept.metrics, kept.labels, strict=True))) == 4
    # a counter gone negative at a known position is rejected, not kept by the shortcut
    bad = [dataclasses.replace(s, value=-1.0) if s.metric.endswith("_total") else s
           for s in interface_samples(["Gi0/1"], 0.0)]
    store.update("sw", PollResult(bad, up_state("sw")))
    assert store.rejected_samples == 1
    fast_now = store.get("sw").protocols["snmp"].classes["fast"].series
    assert "thdmon_interface_receive_bytes_total" not in fast_now.metrics


def test_classes_that_share_a_metric_are_merged_by_key_and_others_end_to_end():
    store = Store(clock=lambda: 1.0)
    store.update("sw", PollResult(interface_samples(["Gi0/1"], 10.0), up_state("sw")), part="fast")
    store.update("sw", PollResult([Sample("thdmon_device_uptime_seconds", (), 5.0, 0.0)], up_state("sw")),
                 part="slow")
    merged = store.get("sw").series
    assert merged.metrics[:4] == ("thdmon_interface_receive_bytes_total", "thdmon_interface_oper_up",
                                  "thdmon_interface_info", "thdmon_device_uptime_seconds")
    # the slow class now also writes a fast-class series: one series, the slow class's value (last wins)
    store.update("sw", PollResult([Sample("thdmon_interface_oper_up", (("ifname", "Gi0/1"),), 1.0, 0.0)],
                                  up_state("sw")), part="slow")
    merged = store.get("sw").series
    oper = [i for i, m in enumerate(merged.metrics) if m == "thdmon_interface_oper_up"]
    assert len(oper) == 1 and merged.values[oper[0]] == 1.0
    assert len(set(zip(merged.metrics, merged.labels, strict=True))) == len(merged)
