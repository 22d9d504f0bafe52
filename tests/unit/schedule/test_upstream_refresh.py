"""A device going down re-polls its uplink chain at once, so that its site is judged `down` or
`unreachable` on fresh evidence: the real Scheduler, Store and roll-up; the network is a poller of our
own (the scheduler's Poller protocol) whose cut devices time out."""

from __future__ import annotations

import asyncio
from collections import Counter

from collector.model import DeviceState, DownReason, PollResult, Sample
from collector.schedule import Defaults, Scheduler
from collector.sites import SiteState, SiteStatus, rollup
from collector.store import Store
from exporters.sites import device_health
from inventory.model import Device, Inventory, Role, SiteKind
from tests.unit.schedule.stub import StubPoller
from tests.unit.sites.conftest import device, site

from .test_scheduler import Observer, _until

HOUR = Defaults(fast=3600, slow=3600, icmp=3600)  # no scheduled poll falls within the test
COLLEGE = ("clg-acc1", "clg-acc2", "clg-ap1")
POP = ("pop-core1", "pop-core2")


def _inventory() -> Inventory:
    """dc <- pop <- {clg, park}; lyc hangs from dc directly (not on the collège's chain)."""
    sites = [site("dc", SiteKind.datacenter, None), site("pop", SiteKind.pop, "dc"),
             site("clg", SiteKind.college, "pop"), site("park", SiteKind.park, "pop"),
             site("lyc", SiteKind.lycee, "dc")]
    devices = [device("dc-core1", "dc", Role.core), device("pop-core1", "pop", Role.core),
               device("pop-core2", "pop", Role.core), *(device(h, "clg") for h in COLLEGE),
               device("park-ap1", "park", Role.wifi_ap), device("lyc-acc1", "lyc")]
    return Inventory(root="test", sites={s.id: s for s in sites}, devices={d.hostname: d for d in devices},
                     credentials={}, profiles={})


class Network(StubPoller):
    """One protocol's view of the network: a device in `cut` does not answer."""

    def __init__(self, protocol: str, cls: str, cut: set[str]) -> None:
        self.protocol, self.classes, self.cut = protocol, (cls,), cut
        self.polls: Counter[str] = Counter()

    async def poll(self, dev: Device, cls: str) -> PollResult:
        self.polls[dev.hostname] += 1
        await asyncio.sleep(0.01)  # an answer takes a moment: the triggered polls overlap
        if dev.hostname in self.cut:
            return PollResult([], DeviceState(device=dev.hostname, up=False, reason=DownReason.timeout))
        return PollResult([Sample("thdmon_device_uptime_seconds", (), 1.0, 0.0)], DeviceState(device=dev.hostname,
                                                                                             up=True))


def _cut_pop(with_chain: bool) -> tuple[dict[str, SiteStatus], dict[str, Counter[str]], Observer]:
    """Every device polled once (all up); then the PoP and the collège behind it stop answering, and the
    collège's devices reach their scheduled polls first. Returns the roll-up right after those polls."""
    inv = _inventory()

    async def main() -> tuple[dict[str, SiteStatus], dict[str, Counter[str]], Observer]:
        cut: set[str] = set()
        nets = [Network("snmp", "fast", cut), Network("icmp", "icmp", cut)]
        store, observer = Store(), Observer()
        sched = Scheduler(nets, store, defaults=HOUR, observer=observer)
        sched.sync(inv.devices, {}, inv.sites if with_chain else None)
        sched.start()
        for hostname in inv.devices:
            for net in nets:
                await sched.run_job(hostname, net.protocol, net.classes[0])
        before = {net.protocol: Counter(net.polls) for net in nets}
        cut.update(POP + COLLEGE)
        for hostname in COLLEGE:
            for net in nets:  # SNMP fails first (the device stays up), then ICMP: the device is down
                await sched.run_job(hostname, net.protocol, net.classes[0])
        expected = 2 * 3 if with_chain else 0  # (2 PoP cores + the DC core) x (SNMP, ICMP)
        await _until(lambda: len(observer.polls) == 2 * (len(inv.devices) + len(COLLEGE)) + expected)
        health = {e.device: device_health(e) for e in store.snapshot()}
        await sched.shutdown()
        return rollup(inv, health), {net.protocol: net.polls - before[net.protocol] for net in nets}, observer

    return asyncio.run(main())


def test_a_device_down_repolls_its_uplink_chain_and_its_site_is_judged_on_fresh_states():
    sites, polled, observer = _cut_pop(with_chain=True)
    for protocol in ("snmp", "icmp"):
        # the PoP's and the data centre's devices once each, over both protocols; nothing off the chain
        assert polled[protocol] == Counter({**{h: 1 for h in COLLEGE + POP}, "dc-core1": 1}), protocol
    # the chain's 6 polls, and each collège device's ICMP confirming its SNMP failure (Scheduler.confirm; the
    # test's own ICMP run meets it and polls once); the collège's two other devices and the PoP cores going
    # down asked again within trigger_interval: throttled, not polled twice
    assert observer.triggers.count(True) == 6 + len(COLLEGE) and observer.triggers.count(False) > 0
    assert sites["pop"].state == SiteState.down
    assert (sites["clg"].state, sites["clg"].upstream) == (SiteState.unreachable, "pop")  # no page for it
    assert sites["dc"].state == SiteState.up and sites["park"].state == SiteState.up


def test_without_the_chain_the_college_pages_on_stale_upstream_evidence():
    """The skew the re-poll removes: the PoP's last polls predate the cut, so it still looks up."""
    sites, polled, observer = _cut_pop(with_chain=False)
    assert observer.triggers == [True] * len(COLLEGE)  # the collège's own ICMP confirmations, nothing upstream
    assert all(polled[p][h] == 0 for p in polled for h in POP)
    assert (sites["clg"].state, sites["pop"].state) == (SiteState.down, SiteState.up)


def test_only_the_flip_down_repolls_not_every_failed_poll():
    inv = _inventory()

    async def main() -> tuple[list[bool], list[bool]]:
        net = Network("icmp", "icmp", {"clg-acc1"})
        observer = Observer()
        sched = Scheduler([net], Store(), defaults=HOUR, observer=observer, trigger_interval=0.0)
        sched.sync(inv.devices, {}, inv.sites)
        sched.start()
        await sched.run_job("clg-acc1", "icmp", "icmp")  # first poll, down: news (a restart mid-outage)
        await _until(lambda: len(observer.polls) == 1 + 3)  # + pop-core1, pop-core2, dc-core1
        first = list(observer.triggers)
        # still down: the chain was refreshed already (triggers are asked for within the poll, synchronously)
        await sched.run_job("clg-acc1", "icmp", "icmp")
        await sched.shutdown()
        return first, observer.triggers[len(first):]

    assert asyncio.run(main()) == ([True, True, True], [])
