"""A liveness protocol failing on a device still up has the device's other liveness protocols polled at
once (`Scheduler.confirm`), so the device-level rule judges it within a timeout, not at the slower
protocol's next scheduled poll. The real Scheduler and Store; the network is a poller of our own whose cut
devices time out; hour-long intervals, so that no scheduled poll falls within a test."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from collector.schedule import Scheduler
from collector.store import Store
from tests.unit.sites.conftest import device

from .test_scheduler import Observer, _until
from .test_upstream_refresh import HOUR, Network

HOST = "clg-acc1"
FIRST_CLASS = {"snmp": "fast", "icmp": "icmp", "ssh": "config"}


async def _network(cut: set[str], ssh: bool = False) -> tuple[Scheduler, Store, dict[str, Network], Observer]:
    """A started scheduler over SNMP and ICMP (and an SSH-like protocol that is no liveness check), every
    device polled once by each protocol while it answered."""
    nets = {p: Network(p, FIRST_CLASS[p], cut) for p in ("snmp", "icmp", *(("ssh",) if ssh else ()))}
    if ssh:
        nets["ssh"].liveness = False  # a daily backup says nothing of the device now
    store, observer = Store(), Observer()
    sched = Scheduler(list(nets.values()), store, defaults=HOUR, observer=observer)
    sched.sync({HOST: device(HOST, "clg"), "clg-acc2": device("clg-acc2", "clg")}, {})
    sched.start()
    for hostname in (HOST, "clg-acc2"):
        for net in nets.values():
            await sched.run_job(hostname, net.protocol, net.classes[0])
    return sched, store, nets, observer


@pytest.mark.parametrize(("first", "other"), [("snmp", "icmp"), ("icmp", "snmp")])
def test_the_first_protocol_to_fail_has_the_other_confirm_at_once(first: str, other: str):
    async def main() -> tuple[bool, dict[str, bool], Counter[str], Counter[str]]:
        cut: set[str] = set()
        sched, store, nets, _ = await _network(cut)
        before = {p: Counter(n.polls) for p, n in nets.items()}
        cut.add(HOST)
        await sched.run_job(HOST, first, FIRST_CLASS[first])  # its scheduled poll: the other's is an hour away
        await _until(lambda: not store.get(HOST).state.up, timeout=5)  # type: ignore[union-attr]
        entry = store.get(HOST)
        await sched.shutdown()
        assert entry is not None
        return (entry.state.up, {p: e.state.up for p, e in entry.protocols.items()},
                nets[first].polls - before[first], nets[other].polls - before[other])

    up, protocols, polled_first, polled_other = asyncio.run(main())
    assert not up and protocols == {"snmp": False, "icmp": False}
    # the other protocol polled once, out of schedule, and only the failing device
    assert polled_first == Counter({HOST: 1}) and polled_other == Counter({HOST: 1})


def test_a_protocol_down_on_a_live_device_confirms_once_not_at_every_failed_poll():
    """SNMP's agent dies, the device still pings: ICMP is asked once, the device stays up; SNMP's next
    failures (still down) ask nothing more."""
    async def main() -> tuple[bool, Counter[str], list[bool]]:
        sched, store, nets, observer = await _network(set())
        nets["snmp"].cut = {HOST}  # only the SNMP view of the network loses it
        before, polls = Counter(nets["icmp"].polls), len(observer.polls)
        for _ in range(4):  # past the backoff, as a trap's re-polls would
            await sched.run_job(HOST, "snmp", "fast", scheduled=False)
        await _until(lambda: len(observer.polls) == polls + 4 + 1, timeout=5)  # + the one ICMP confirmation
        entry = store.get(HOST)
        await sched.shutdown()
        assert entry is not None
        return entry.state.up, nets["icmp"].polls - before, observer.triggers

    up, icmp_polls, triggers = asyncio.run(main())
    assert up
    assert icmp_polls == Counter({HOST: 1}) and triggers == [True]


def test_a_protocol_that_is_no_liveness_check_neither_confirms_nor_is_asked():
    """SSH (a backup a day) failing triggers nothing; SNMP failing asks ICMP, not SSH."""
    async def main() -> tuple[Counter[str], Counter[str], list[bool]]:
        cut: set[str] = set()
        sched, _, nets, observer = await _network(cut, ssh=True)
        before = {p: Counter(n.polls) for p, n in nets.items()}
        nets["ssh"].cut = {HOST}
        await sched.run_job(HOST, "ssh", "config")
        assert observer.triggers == []
        cut.add(HOST)
        polls = len(observer.polls)
        await sched.run_job(HOST, "snmp", "fast")
        await _until(lambda: len(observer.polls) == polls + 2, timeout=5)  # SNMP, then ICMP confirming
        await sched.shutdown()
        return nets["icmp"].polls - before["icmp"], nets["ssh"].polls - before["ssh"], observer.triggers

    icmp_polls, ssh_polls, triggers = asyncio.run(main())
    assert icmp_polls == Counter({HOST: 1})
    assert ssh_polls == Counter({HOST: 1})  # its own scheduled run only
    assert triggers == [True]
