"""The scheduler across protocols: each protocol polls the devices it applies to, failures are each
protocol's own, and the one concurrency bound sees every result."""

from __future__ import annotations

import asyncio

from collector.limits import DEFAULT_CONCURRENCY
from collector.model import DeviceState, DownReason, PollResult, Sample
from collector.schedule import Defaults, Scheduler
from collector.store import Store
from inventory.model import Device

from .test_scheduler import FakePoller, device


class Protocol(FakePoller):
    """A protocol of our own: `needs_snmp` mimics SNMP's credential rule; `failing` devices time out."""

    def __init__(self, protocol: str, classes: tuple[str, ...], *, needs_snmp: bool = False,
                 failing: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.protocol, self.classes, self.needs_snmp, self.failing = protocol, classes, needs_snmp, failing

    def wants(self, dev: Device) -> bool:
        return dev.snmp is not None if self.needs_snmp else True

    async def poll(self, dev: Device, cls: str) -> PollResult:
        self.starts[dev.hostname].append(0.0)
        if dev.hostname in self.failing:
            return PollResult([], DeviceState(device=dev.hostname, up=False, reason=DownReason.timeout))
        metric = "thdmon_device_icmp_up" if self.protocol == "icmp" else "thdmon_device_uptime_seconds"
        return PollResult([Sample(metric, (), 1.0, 0.0)], DeviceState(device=dev.hostname, up=True))


def test_a_device_without_an_snmp_credential_is_pinged_but_never_polled_over_snmp():
    snmp = Protocol("snmp", ("fast", "slow"), needs_snmp=True)
    icmp = Protocol("icmp", ("icmp",))
    sched = Scheduler([snmp, icmp], Store(), defaults=Defaults())
    sched.sync({"sw": device("sw", snmp="v2c"), "nas": device("nas", radius="radius")}, {})
    assert sched.job_ids() == ["nas/icmp/icmp", "sw/icmp/icmp", "sw/snmp/fast", "sw/snmp/slow"]
    assert sched.interval("sw/icmp/icmp") == 30 and sched.interval("sw/snmp/fast") == 60


def test_failures_of_one_protocol_leave_the_other_and_the_device_up():
    async def main() -> Store:
        store = Store()
        snmp = Protocol("snmp", ("fast",), failing=frozenset({"sw"}))
        sched = Scheduler([snmp, Protocol("icmp", ("icmp",))], store)
        sched.sync({"sw": device("sw", snmp="v2c")}, {})
        sched.start()
        await sched.run_job("sw", "icmp", "icmp")
        await sched.run_job("sw", "snmp", "fast")
        await sched.shutdown()
        return store

    entry = asyncio.run(main()).get("sw")
    assert entry is not None and entry.state.up  # ICMP answers: the device is not cut off
    assert {p: e.state.up for p, e in entry.protocols.items()} == {"icmp": True, "snmp": False}
    assert entry.protocols["snmp"].state.reason == DownReason.timeout
    assert {s.metric for s in entry.samples} >= {"thdmon_device_icmp_up", "thdmon_device_protocol_up"}


def test_a_burst_of_failed_polls_halves_the_one_concurrency_bound():
    async def main() -> tuple[int, int]:
        names = [f"d{i}" for i in range(40)]
        poller = Protocol("snmp", ("fast",), failing=frozenset(names))
        sched = Scheduler([poller], Store())
        sched.sync({n: device(n) for n in names}, {})
        sched.start()
        before = sched.limiter.limit
        await asyncio.gather(*(sched.run_job(n, "snmp", "fast") for n in names))
        await sched.shutdown()
        return before, sched.limiter.limit

    before, after = asyncio.run(main())
    assert before == DEFAULT_CONCURRENCY and after == DEFAULT_CONCURRENCY // 2
