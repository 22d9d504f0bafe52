"""serve's glue: the store's per-protocol states rolled up into sites, LLDP read from the stored samples."""

from __future__ import annotations

from collector.model import DeviceState, DownReason, PollResult, Sample
from collector.sites import SiteState
from collector.store import Store
from collector.uplinks import UplinkLoad
from exporters.sites import SiteView
from inventory.model import Inventory


def _poll(store: Store, device: str, protocol: str, up: bool, at: float, samples: list[Sample] | None = None) -> None:
    state = DeviceState(device, up=up, reason=None if up else DownReason.timeout, last_poll=at)
    store.update(device, PollResult(samples or [], state), protocol=protocol)


def test_store_states_roll_up_into_sites(inv: Inventory):
    clock = [1000.0]
    store = Store(clock=lambda: clock[0])
    enabled = {h: d for h, d in inv.devices.items() if d.enabled}
    for host in enabled:
        for protocol in ("snmp", "icmp"):
            _poll(store, host, protocol, True, 1000.0)
    view = SiteView(store)
    assert view.snapshot().statuses == {}  # no inventory applied yet: nothing to say
    view.set_inventory(inv, enabled)
    assert {s.state for s in view.snapshot().statuses.values()} == {SiteState.up}

    clock[0] = 1060.0
    _poll(store, "clg-acc1", "snmp", False, 1060.0)  # SNMP fails, ping answers: degraded
    status = view.snapshot().statuses["clg"]
    assert (status.state, status.cause) == (SiteState.degraded, "clg-acc1: snmp down")

    clock[0] = 1120.0
    for host in ("pop-core1", "pop-core2", "clg-acc1", "clg-acc2", "clg-ap1"):
        for protocol in ("snmp", "icmp"):
            _poll(store, host, protocol, False, 1120.0)
    statuses = view.snapshot().statuses
    assert statuses["pop"].state == SiteState.down and statuses["pop"].since == 1120.0
    assert statuses["pop"].cause == "all 2 devices down (timeout)"
    assert (statuses["clg"].state, statuses["clg"].upstream) == (SiteState.unreachable, "pop")


def test_uplink_mismatches_from_stored_lldp_samples(inv: Inventory):
    store = Store(clock=lambda: 1000.0)
    enabled = {h: d for h, d in inv.devices.items() if d.enabled}
    lldp = Sample("thdmon_lldp_neighbor_info", (("ifname", "1/1/25"), ("remote_sys_name", "dc-core1"),
                                                 ("remote_port", "1/1/4")), 1.0, 1000.0)
    _poll(store, "clg-acc1", "snmp", True, 1000.0, [lldp])
    view = SiteView(store)
    view.set_inventory(inv, enabled)
    [mismatch] = view.snapshot().mismatches
    assert (mismatch.site, mismatch.declared, mismatch.seen) == ("clg", "pop", "dc")


def _port_samples(at: float, received: float, alias: str = "uplink pop-core1 1/1/3") -> list[Sample]:
    port = (("ifname", "1/1/25"),)  # the alias is on the info series only, as the if_mib module emits it
    return [Sample("thdmon_interface_receive_bytes_total", port, received, at),
            Sample("thdmon_interface_transmit_bytes_total", port, 0.0, at),
            Sample("thdmon_interface_speed_bits_per_second", port, 1e9, at),
            Sample("thdmon_interface_info", (*port, ("ifalias", alias), ("iftype", "6"), ("ifindex", "25")), 1.0, at)]


def test_a_saturated_uplink_degrades_its_site_between_two_polls(inv: Inventory):
    store = Store(clock=lambda: 1000.0)
    enabled = {h: d for h, d in inv.devices.items() if d.enabled}
    for host in enabled:
        _poll(store, host, "snmp", True, 1000.0)
    view = SiteView(store, uplinks=UplinkLoad("uplink.*", 0.8))
    view.set_inventory(inv, enabled)
    _poll(store, "clg-acc1", "snmp", True, 1000.0, _port_samples(1000.0, 0.0))
    assert view.snapshot().statuses["clg"].state == SiteState.up  # one reading: no rate yet
    _poll(store, "clg-acc1", "snmp", True, 1060.0, _port_samples(1060.0, 60 * 0.9e9 / 8))  # 900 Mb/s of 1 Gb/s
    status = view.snapshot().statuses["clg"]
    assert (status.state, status.cause) == (SiteState.degraded, "uplink saturated")
    assert view.snapshot().statuses["clg"].state == SiteState.degraded  # a second scrape of the same poll
    _poll(store, "clg-acc1", "snmp", True, 1120.0, _port_samples(1120.0, 60 * 0.9e9 / 8 + 60 * 0.1e9 / 8))
    assert view.snapshot().statuses["clg"].state == SiteState.up


def test_a_busy_desk_port_or_a_counter_reset_is_not_saturation(inv: Inventory):
    load = UplinkLoad("uplink.*", 0.8)
    assert not load.saturated("d", _port_samples(0.0, 0.0, alias="desk"))
    assert not load.saturated("d", _port_samples(60.0, 60 * 1e9 / 8, alias="desk"))
    assert not load.saturated("d", _port_samples(0.0, 1e12))
    assert not load.saturated("d", _port_samples(60.0, 0.0))  # reset (reboot): no rate


def test_an_uplink_told_by_its_info_series_keeps_its_rate_across_a_new_description():
    load = UplinkLoad("uplink.*", 0.8)
    assert not load.saturated("d", _port_samples(0.0, 0.0, alias="uplink pop-core1 1/1/3"))
    # The description edited between two polls: same counter series, so the rate is there at once.
    assert load.saturated("d", _port_samples(60.0, 60 * 0.9e9 / 8, alias="uplink pop-core2 1/1/4"))
    # Counters without their info row (the module's walk lost it) are not taken for an uplink's.
    no_info = [s for s in _port_samples(120.0, 2 * 60 * 0.9e9 / 8) if s.metric != "thdmon_interface_info"]
    assert not load.saturated("d", no_info)


class _CountingLoad(UplinkLoad):
    """The real UplinkLoad, counting the devices it is asked about."""

    def __init__(self) -> None:
        super().__init__("uplink.*", 0.8)
        self.asked: list[str] = []

    def saturated(self, device: str, samples) -> bool:  # type: ignore[no-untyped-def]
        self.asked.append(device)
        return super().saturated(device, samples)


def test_a_scrape_reads_the_uplinks_of_devices_polled_since_the_last_one_only(inv: Inventory):
    store = Store(clock=lambda: 1000.0)
    enabled = {h: d for h, d in inv.devices.items() if d.enabled}
    for host in enabled:
        _poll(store, host, "snmp", True, 1000.0)
    load = _CountingLoad()
    view = SiteView(store, uplinks=load)
    view.set_inventory(inv, enabled)
    _poll(store, "clg-acc1", "snmp", True, 1000.0, _port_samples(1000.0, 0.0))
    view.snapshot()
    assert sorted(load.asked) == sorted(enabled)
    load.asked.clear()
    assert view.snapshot().statuses["clg"].state == SiteState.up and load.asked == []  # nothing polled since
    _poll(store, "clg-acc1", "snmp", True, 1060.0, _port_samples(1060.0, 60 * 0.9e9 / 8))
    assert view.snapshot().statuses["clg"].state == SiteState.degraded and load.asked == ["clg-acc1"]
    load.asked.clear()
    assert view.snapshot().statuses["clg"].state == SiteState.degraded and load.asked == []  # remembered
