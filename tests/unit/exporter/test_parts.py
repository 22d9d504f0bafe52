"""`/metrics?part=liveness|bulk`: the catalogue's liveness families on one page, everything else on the
other, so that each series comes from exactly one scrape job; without a part, the whole page as before.
serve's own pieces on a real Store: device exposition, self-metrics and the site roll-up."""

from __future__ import annotations

import gzip

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families

from collector.model import DeviceState, DownReason, PollResult, Sample
from collector.store import Store
from exporters import exposition
from exporters.prometheus import SelfMetrics
from exporters.sites import SiteMetrics, SiteView
from inventory.model import Inventory
from metrics import catalogue
from tests.unit.sites.conftest import inv  # noqa: F401 - the fixture

OM_ACCEPT = "application/openmetrics-text; version=1.0.0; charset=utf-8"
LIVENESS = {m.name for m in catalogue.METRICS if m.liveness}
SeriesKey = tuple[str, tuple[tuple[str, str], ...], float]


def _serve(inventory: Inventory) -> tuple[exposition.DeviceExposition, SelfMetrics]:
    """What `thdmon serve` renders, over the test inventory: every device up over SNMP (with an interface)
    and ICMP, but the collège's access switch, down on both (a down reason, a down-since)."""
    store = Store(clock=lambda: 1000.0)
    enabled = {h: d for h, d in inventory.devices.items() if d.enabled}
    port = (("ifname", "1/1/1"),)
    for host in enabled:
        for protocol in ("snmp", "icmp"):
            up = host != "clg-acc1"
            state = DeviceState(host, up=up, reason=None if up else DownReason.timeout, last_poll=1000.0)
            counter = Sample("thdmon_interface_receive_bytes_total", port, 5.0, 1000.0)
            samples = [counter] if up and protocol == "snmp" else []
            store.update(host, PollResult(samples, state), protocol=protocol)
    devices = exposition.DeviceExposition(store, exposition.device_identities(inventory, enabled.values()))
    metrics = SelfMetrics()
    metrics.polls.labels("snmp", "ok").inc()
    sites = SiteView(store)
    sites.set_inventory(inventory, enabled)
    metrics.registry.register(SiteMetrics(sites.snapshot))
    return devices, metrics


def _series(devices: exposition.DeviceExposition, metrics: SelfMetrics, accept: str,
            part: exposition.Part) -> set[SeriesKey]:
    body, _ = exposition.render(devices, metrics.registry, accept, part=part)
    packed, _ = exposition.render(devices, metrics.registry, accept, gzipped=True, part=part)
    assert gzip.decompress(packed) == body  # the members joined for a gzip scrape: the same page
    text = body.decode()
    if accept == OM_ACCEPT:
        assert text.endswith("# EOF\n") and text.count("# EOF") == 1
        families = om_families(text)
    else:
        families = text_string_to_metric_families(text)
    return {(s.name, tuple(sorted(s.labels.items())), s.value) for f in families for s in f.samples}


@pytest.mark.parametrize("accept", ["text/plain", OM_ACCEPT])
def test_the_two_parts_split_the_whole_page_by_the_catalogue(inv: Inventory, accept: str):  # noqa: F811
    devices, metrics = _serve(inv)
    whole = _series(devices, metrics, accept, None)
    live = _series(devices, metrics, accept, "liveness")
    bulk = _series(devices, metrics, accept, "bulk")
    assert live | bulk == whole and not live & bulk  # each series on exactly one part
    live_names = {name for name, _, _ in live}
    assert live_names == LIVENESS - {"thdmon_wifi_ap_up"}  # every liveness family (no Wi-Fi controller here)
    assert not {name for name, _, _ in bulk} & LIVENESS
    assert any(name.startswith("thdmon_collector_polls") for name, _, _ in bulk)  # self-metrics: bulk
    assert "thdmon_interface_receive_bytes_total" in {name for name, _, _ in bulk}
    # the rules' evidence is on the liveness page: the site down, the device down and why
    assert ("thdmon_site_state", (("commune", "Pantin"), ("site", "clg"), ("site_kind", "college"),
                                  ("state", "degraded")), 1.0) in live
    assert any(name == "thdmon_device_down_reason" and dict(labels)["device"] == "clg-acc1"
               for name, labels, _ in live)


def test_the_liveness_part_is_what_the_paging_rules_read():
    """The liveness families are declared once, in the catalogue; a part is a filter over them."""
    assert LIVENESS == {"thdmon_device_up", "thdmon_device_protocol_up", "thdmon_device_down_reason",
                        "thdmon_device_down_since_timestamp_seconds", "thdmon_wifi_ap_up", "thdmon_site_state",
                        "thdmon_site_state_since_timestamp_seconds", "thdmon_site_devices", "thdmon_site_info"}
    assert not any(m.name.startswith("thdmon_collector_") for m in catalogue.METRICS if m.liveness)
    assert set(exposition.PARTS) == {"liveness", "bulk"}
    assert exposition.in_part("thdmon_collector_polls", "bulk")  # prometheus_client's name of a counter
    assert exposition.in_part("python_gc_objects_collected", "bulk")  # not ours: never on liveness
    # thdmon_site_info, by prometheus_client's name of an info family
    assert exposition.in_part("thdmon_site", "liveness") and not exposition.in_part("thdmon_site", "bulk")
