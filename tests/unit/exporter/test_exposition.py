"""The fast exposition writes byte for byte what prometheus_client writes for the same data."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.openmetrics import exposition as om_exposition
from prometheus_client.openmetrics import parser as om_parser
from prometheus_client.parser import text_string_to_metric_families

from collector.store import Store
from exporters import exposition
from exporters.exposition import TEXT, DeviceExposition
from metrics.identity import identity_labels

from .conftest import TRICKY, random_dataset, reference_registry, tricky_dataset

OM_ACCEPT = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def _fast_and_reference(build, *args):
    store = Store(clock=lambda: 1_700_000_000.0)
    identities = build(store, *args)
    devices = DeviceExposition(store, identities)
    return devices, reference_registry(store, identities)


@pytest.mark.parametrize("build,args", [(tricky_dataset, ()), (random_dataset, (1,)), (random_dataset, (2,)),
                                        (random_dataset, (3,))])
def test_text_format_is_identical_to_prometheus_client(build, args):
    devices, reference = _fast_and_reference(build, *args)
    fast = devices.text(TEXT).encode()
    assert fast == generate_latest(reference)
    assert fast.count(b"\n# HELP") > 5


@pytest.mark.parametrize("build,args", [(tricky_dataset, ()), (random_dataset, (4,))])
def test_openmetrics_is_identical_to_prometheus_client(build, args):
    devices, reference = _fast_and_reference(build, *args)
    body, content_type = exposition.render(devices, None, OM_ACCEPT)
    assert content_type.startswith("application/openmetrics-text")
    assert body == om_exposition.generate_latest(reference)


def test_tricky_labels_parse_back_to_the_original_values():
    store = Store(clock=lambda: 1.0)
    identities = tricky_dataset(store)
    devices = DeviceExposition(store, identities)
    families = {f.name: f for f in text_string_to_metric_families(devices.text(TEXT))}

    temps = families["thdmon_temperature_celsius"].samples
    assert {s.labels["sensor"] for s in temps} == set(TRICKY)
    assert {s.labels["commune"] for s in temps} == set(TRICKY)
    by_sensor = {(s.labels["device"], s.labels["sensor"]): s.value for s in temps}
    assert by_sensor[("sw-000", "Collège Jean-Jaurès")] == 0.0
    assert by_sensor[("sw-000", "back\\slash")] == 1.0
    assert by_sensor[("sw-001", "two\nlines")] == 2.5
    assert by_sensor[("sw-002", "")] == 1e21
    assert by_sensor[("sw-000", "{a=b,c}")] == 123456789.0
    assert by_sensor[("sw-000", "trailing\\")] == math.inf
    assert by_sensor[("sw-009", '\\"\n')] == -math.inf
    tx = {s.labels["ifname"]: s.value for s in families["thdmon_interface_transmit_bytes"].samples
          if s.labels["device"] == "sw-003"}
    assert "Lycée Évariste-Galois ✓" not in tx and "tab\there" not in tx  # NaN, -Inf counters: rejected
    assert store.rejected_samples == 25  # the transmit counters set to NaN (9), -Inf (10) or -3.25e-300 (6)
    assert tx["{a=b,c}"] == math.inf and tx["trailing\\"] == 18446744073709551615.0
    info = families["thdmon_device_info"]  # text format 0.0.4: an info is a gauge named `..._info`
    assert info.type == "gauge"
    info = info.samples
    assert info[0].name == "thdmon_device_info" and info[0].value == 1.0
    assert info[0].labels["sys_descr"] == 'Cisco "IOS"\n15.2'
    counters = families["thdmon_interface_transmit_bytes"]
    assert counters.type == "counter"
    assert {s.name for s in counters.samples} == {"thdmon_interface_transmit_bytes_total"}


def test_openmetrics_parses_back_with_types_and_units():
    store = Store(clock=lambda: 1.0)
    identities = tricky_dataset(store)
    devices = DeviceExposition(store, identities)
    body, _ = exposition.render(devices, None, OM_ACCEPT)
    families = {f.name: f for f in om_parser.text_string_to_metric_families(body.decode())}
    assert families["thdmon_device"].type == "info"
    assert families["thdmon_temperature_celsius"].unit == "celsius"
    assert families["thdmon_interface_transmit_bytes"].type == "counter"
    down = families["thdmon_device_down_reason"].samples
    assert [(s.labels["device"], s.labels["reason"], s.value) for s in down] == [("ap-down", "auth_failure", 1.0)]


def test_special_floats_are_written_as_go_does():
    store = Store(clock=lambda: 1.0)
    identities = tricky_dataset(store)
    text = DeviceExposition(store, identities).text(TEXT)

    def line(sensor: str) -> str:
        return f'sensor="{sensor}",site="site-0",site_kind="college"}} '

    assert line("Collège Jean-Jaurès") + "0.0\n" in text
    assert line('say \\"hi\\"') + "-0.0\n" in text
    assert line("") + "1e+21\n" in text
    assert line("{a=b,c}") + "1.23456789e+08\n" in text  # Go switches to exponents sooner than repr
    assert line("tab\there") + "1.234567e+06\n" in text
    assert line("Lycée Évariste-Galois ✓") + "1.5e-07\n" in text
    assert line("trailing\\\\") + "+Inf\n" in text
    assert line('\\\\\\"\\n') + "-Inf\n" in text
    assert "1.8446744073709552e+19\n" in text


def test_self_metrics_are_appended_after_the_device_families():
    store = Store(clock=lambda: 1.0)
    identities = tricky_dataset(store)
    devices = DeviceExposition(store, identities)
    registry = CollectorRegistry()
    polls = Counter("thdmon_collector_polls_total", "Polls run", ["protocol", "result"], registry=registry)
    polls.labels("snmp", "ok").inc(3)
    body, content_type = exposition.render(devices, registry, "text/plain")
    assert content_type.startswith("text/plain; version=0.0.4")
    assert body == devices.text(TEXT).encode() + generate_latest(registry)
    assert b'thdmon_collector_polls_total{protocol="snmp",result="ok"} 3.0\n' in body
    om_body, _ = exposition.render(devices, registry, OM_ACCEPT)
    assert om_body.endswith(b"# EOF\n") and om_body.count(b"# EOF") == 1
    names = {f.name for f in om_parser.text_string_to_metric_families(om_body.decode())}
    assert {"thdmon_collector_polls", "thdmon_device_up", "thdmon_device"} <= names


def test_every_device_family_matches_prometheus_client_naming():
    for name, family in exposition.FAMILIES.items():
        assert family.sample_name == name  # the catalogue name is the exposed series name
        assert exposition.unpack(family.packed[TEXT]).startswith(f"# HELP {name} ".encode())
    assert "thdmon_collector_polls_total" not in exposition.FAMILIES


def test_identity_change_rerenders_the_device():
    store = Store(clock=lambda: 1.0)
    identities = tricky_dataset(store)
    devices = DeviceExposition(store, identities)
    assert 'commune="Villepinte"' in devices.text(TEXT)
    moved = dict(identities)
    moved["ap-down"] = identity_labels("parc-sausset", "park", "Tremblay-en-France", "ap-down", "wifi_ap")
    devices.set_identities(moved)
    text = devices.text(TEXT)
    assert 'commune="Villepinte"' not in text and 'commune="Tremblay-en-France"' in text
    assert text.encode() == generate_latest(reference_registry(store, moved))
