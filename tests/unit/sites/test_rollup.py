from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from collector.sites import (
    DeviceHealth,
    LldpNeighbour,
    SiteState,
    downstream,
    nearest_down_upstream,
    rollup,
    uplink_chain,
    uplink_mismatches,
)
from exporters.sites import SiteMetrics, SiteSnapshot
from inventory.model import Inventory

UP = DeviceHealth(up=True, since=100.0)


def down(since: float = 200.0, reason: str = "timeout") -> DeviceHealth:
    return DeviceHealth(up=False, protocols_down=("icmp", "snmp"), since=since, reason=reason)


def all_up(inv: Inventory) -> dict[str, DeviceHealth]:
    return {h: UP for h, d in inv.devices.items() if d.enabled}


def test_every_device_up_makes_every_site_up(inv: Inventory):
    result = rollup(inv, all_up(inv))
    assert {s: st.state for s, st in result.items()} == dict.fromkeys(["clg", "dc", "lyc", "park", "pop"],
                                                                      SiteState.up)
    assert result["clg"].devices == 3
    assert result["lyc"].devices == 1  # the disabled device does not count


def test_one_device_down_degrades_and_names_it(inv: Inventory):
    health = {**all_up(inv), "clg-acc2": down()}
    status = rollup(inv, health)["clg"]
    assert status.state == SiteState.degraded
    assert status.devices_down == ("clg-acc2",)
    assert "1/3 devices down: clg-acc2" in status.cause
    assert status.since == 200.0


def test_one_protocol_down_on_a_device_that_answers_degrades(inv: Inventory):
    health = {**all_up(inv), "clg-acc1": DeviceHealth(up=True, protocols_down=("snmp",), since=50.0)}
    status = rollup(inv, health)["clg"]
    assert (status.state, status.cause, status.devices_down) == (SiteState.degraded, "clg-acc1: snmp down", ())


def test_a_saturated_uplink_degrades(inv: Inventory):
    status = rollup(inv, all_up(inv), saturated_uplinks={"park"})["park"]
    assert (status.state, status.cause) == (SiteState.degraded, "uplink saturated")


def test_every_device_down_is_down_since_the_last_one_fell(inv: Inventory):
    health = {**all_up(inv), "clg-acc1": down(300.0), "clg-acc2": down(310.0, "auth_failure"),
              "clg-ap1": down(305.0)}
    status = rollup(inv, health)["clg"]
    assert status.state == SiteState.down
    assert status.since == 310.0
    assert status.cause == "all 3 devices down (auth_failure, timeout)"


def test_sites_behind_a_down_pop_are_unreachable_and_name_it(inv: Inventory):
    health = {**all_up(inv), "pop-core1": down(), "pop-core2": down(), "clg-acc1": down(), "clg-acc2": down(),
              "clg-ap1": down(), "park-ap1": down()}
    result = rollup(inv, health)
    assert result["pop"].state == SiteState.down
    for site_id in ("clg", "park"):
        assert result[site_id].state == SiteState.unreachable
        assert result[site_id].upstream == "pop"
        assert result[site_id].cause == "upstream site pop is down"
    assert result["lyc"].state == SiteState.up  # hangs from the data centre, not from the PoP


def test_a_site_behind_a_down_pop_that_still_answers_is_not_unreachable(inv: Inventory):
    # e.g. a backup path: the devices answer, so the site is up whatever the PoP's state.
    health = {**all_up(inv), "pop-core1": down(), "pop-core2": down()}
    result = rollup(inv, health)
    assert (result["pop"].state, result["clg"].state) == (SiteState.down, SiteState.up)


def test_the_chain_is_walked_past_an_unreachable_and_past_an_unknown_site(inv: Inventory):
    # the data centre is down; the PoP (all down) and the collège (all down) are both unreachable from it
    health = {h: down() for h in ("dc-core1", "pop-core1", "pop-core2", "clg-acc1", "clg-acc2", "clg-ap1")}
    result = rollup(inv, health)
    assert (result["pop"].upstream, result["clg"].upstream) == ("dc", "pop")
    # the PoP unknown (another shard, not polled yet): the collège's cause is still upstream, at the DC
    health = {h: down() for h in ("dc-core1", "clg-acc1", "clg-acc2", "clg-ap1")}
    result = rollup(inv, health)
    assert "pop" not in result
    assert (result["clg"].state, result["clg"].upstream) == (SiteState.unreachable, "dc")


def test_sites_without_known_health_are_left_out(inv: Inventory):
    assert set(rollup(inv, {"clg-acc1": UP, "ghost": UP})) == {"clg"}


def test_a_cycle_in_an_unvalidated_inventory_does_not_hang(inv: Inventory):
    sites = dict(inv.sites)
    sites["dc"] = sites["dc"].model_copy(update={"uplink": "clg"})
    local = rollup(inv, {h: down() for h in ("clg-acc1", "clg-acc2", "clg-ap1")})
    assert nearest_down_upstream("clg", sites, local) is None


def test_uplink_chain_nearest_first_and_bounded(inv: Inventory):
    assert uplink_chain("clg", inv.sites) == ("pop", "dc")
    assert uplink_chain("dc", inv.sites) == () and uplink_chain("ghost", inv.sites) == ()
    sites = dict(inv.sites)
    sites["dc"] = sites["dc"].model_copy(update={"uplink": "clg"})  # a cycle (unvalidated inventory)
    assert uplink_chain("clg", sites) == ("pop", "dc")


def test_downstream_lists_every_site_behind_a_site(inv: Inventory):
    assert downstream(inv.sites) == {"dc": ("clg", "lyc", "park", "pop"), "pop": ("clg", "park")}


def test_lldp_agreeing_with_the_inventory_finds_nothing(inv: Inventory):
    seen = [LldpNeighbour("clg-acc1", "1/1/25", "pop-core1", "1/1/3"),
            LldpNeighbour("clg-acc2", "1/1/25", "clg-acc1", "1/1/2"),  # inside the site
            LldpNeighbour("pop-core1", "1/1/3", "CLG-ACC1.thd.local", "1/1/25"),  # a child, FQDN, upper case
            LldpNeighbour("pop-core1", "1/1/1", "dc-core1", "1/1/9"),
            LldpNeighbour("park-ap1", "eth0", "some-phone", "lan")]  # not in the inventory: ignored
    assert uplink_mismatches(inv, seen) == []


def test_lldp_contradicting_the_inventory_is_listed(inv: Inventory):
    seen = [LldpNeighbour("clg-acc1", "1/1/25", "dc-core1", "1/1/4"),  # declared pop, wired to dc
            LldpNeighbour("lyc-acc1", "1/1/25", "dc-core1", "1/1/5"),  # right
            LldpNeighbour("lyc-acc1", "1/1/26", "park-ap1", "eth1"),  # a stray link to the park
            LldpNeighbour("park-ap1", "eth0", "park-ap1", "eth0")]  # no link to its uplink at all
    found = {(m.site, m.declared, m.seen): m.detail for m in uplink_mismatches(inv, seen)}
    assert found == {
        ("clg", "pop", "dc"): "declared uplink pop, LLDP shows dc",
        ("lyc", "dc", "park"): "LLDP shows a link to park, neither its uplink nor behind it",
        ("park", "pop", ""): "declared uplink pop, LLDP shows no link to it",
    }


def test_site_families_on_metrics(inv: Inventory):
    health = {**all_up(inv), "clg-acc1": down(300.0), "clg-acc2": down(310.0), "clg-ap1": down(305.0)}
    registry = CollectorRegistry()
    mismatches = uplink_mismatches(inv, [LldpNeighbour("clg-acc1", "x", "dc-core1", "y")])
    registry.register(SiteMetrics(lambda: SiteSnapshot(inv, rollup(inv, health), mismatches)))
    text = generate_latest(registry).decode()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(text) for s in f.samples}
    ident = (("commune", "Pantin"), ("site", "clg"), ("site_kind", "college"))

    def key(metric: str, **extra: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        return metric, tuple(sorted(dict(ident, **extra).items()))

    assert [samples[key("thdmon_site_state", state=s)] for s in ("up", "degraded", "down", "unreachable")] == [
        0, 0, 1, 0]
    assert samples[key("thdmon_site_state_since_timestamp_seconds")] == 310.0
    assert (samples[key("thdmon_site_devices", state="up")], samples[key("thdmon_site_devices", state="down")]) == (
        0, 3)
    assert samples[key("thdmon_site_info", name="CLG", lat="48.9", lon="2.45", uplink="pop")] == 1
    assert samples[key("thdmon_site_uplink_mismatch", declared="pop", seen="dc")] == 1
    assert "# TYPE thdmon_site_state gauge" in text
