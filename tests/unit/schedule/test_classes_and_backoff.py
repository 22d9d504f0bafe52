"""Both interval classes merged in the store, and per-device backoff, driven step by step.

The scheduler is started with hour-long intervals so that APScheduler never fires during a test: every
run is an explicit `run_job` call, and the backoff runs on a fake clock with a seeded RNG, so the
sequence of polls and skips is exact. The poller is an in-process async callable of our own.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from collector.limits import DeviceBackoff
from collector.model import DeviceState, DownReason, PollResult, Sample
from collector.schedule import Defaults, Scheduler
from collector.store import Store
from inventory.model import Device, Intervals, Profile

from .test_scheduler import FakePoller, Observer, device

IF = (("ifname", "ge-0/0/1"),)


class ClassPoller(FakePoller):
    """Fast polls give an uptime and a byte counter, slow polls a PoE budget; values count the polls."""

    classes = ("fast", "slow")

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.down: set[str] = set()  # classes that fail

    async def poll(self, dev: Device, cls: str) -> PollResult:
        self.calls.append((dev.hostname, cls))
        n = float(sum(1 for _, c in self.calls if c == cls))
        if cls in self.down:
            return PollResult([], DeviceState(device=dev.hostname, up=False, reason=DownReason.timeout,
                                              detail="no answer"))
        if cls == "fast":
            samples = [Sample("thdmon_device_uptime_seconds", (), 100.0 * n, 0.0),
                       Sample("thdmon_interface_receive_bytes_total", IF, 1000.0 * n, 0.0)]
        else:
            samples = [Sample("thdmon_poe_power_budget_watts", (("group", "1"),), 370.0 + n, 0.0)]
        return PollResult(samples, DeviceState(device=dev.hostname, up=True, varbinds=len(samples)))


def _values(store: Store, name: str) -> dict[str, float]:
    entry = store.get(name)
    assert entry is not None
    return {s.metric: s.value for s in entry.samples}


OWN = {"thdmon_device_uptime_seconds", "thdmon_interface_receive_bytes_total", "thdmon_poe_power_budget_watts"}


def test_both_classes_are_scheduled_and_each_refreshes_only_its_part():
    async def main() -> tuple[Scheduler, list[dict[str, float]]]:
        poller, store = ClassPoller(), Store()
        sched = Scheduler([poller], store, defaults=Defaults(fast=3600, slow=7200))
        sched.sync({"sw": device("sw")}, {})
        sched.start()
        assert sched.job_ids() == ["sw/snmp/fast", "sw/snmp/slow"]
        assert (sched.interval("sw/snmp/fast"), sched.interval("sw/snmp/slow")) == (3600, 7200)
        steps = []
        for cls in ("fast", "slow", "fast", "fast", "slow"):
            await sched.run_job("sw", "snmp", cls)
            steps.append({k: v for k, v in _values(store, "sw").items() if k in OWN})
        poller.down = {"fast"}
        await sched.run_job("sw", "snmp", "fast")
        steps.append({k: v for k, v in _values(store, "sw").items() if k in OWN | {"thdmon_device_up"}})
        await sched.shutdown()
        return sched, steps

    _, steps = asyncio.run(main())
    assert steps[0] == {"thdmon_device_uptime_seconds": 100.0, "thdmon_interface_receive_bytes_total": 1000.0}
    # The slow poll adds its samples to the fast ones (the union), without touching them.
    assert steps[1] == {"thdmon_device_uptime_seconds": 100.0, "thdmon_interface_receive_bytes_total": 1000.0,
                        "thdmon_poe_power_budget_watts": 371.0}
    # Fast polls refresh the fast part only: the slow sample keeps its value.
    assert steps[3] == {"thdmon_device_uptime_seconds": 300.0, "thdmon_interface_receive_bytes_total": 3000.0,
                        "thdmon_poe_power_budget_watts": 371.0}
    assert steps[4]["thdmon_poe_power_budget_watts"] == 372.0 and steps[4]["thdmon_device_uptime_seconds"] == 300.0
    # A device that stops answering (whatever the class) loses every sample of both classes.
    assert steps[5] == {"thdmon_device_up": 0.0}


def test_intervals_of_both_classes_follow_overrides():
    async def main() -> dict[str, float]:
        sched = Scheduler([ClassPoller()], Store(), defaults=Defaults(fast=60, slow=300))
        sched.sync({"a": device("a"), "b": device("b", profile="wifi"),
                    "c": device("c", profile="wifi", intervals=Intervals(slow=900))},
                   {"wifi": Profile(intervals=Intervals(fast=30, slow=600))})
        return {j: sched.interval(j) for j in sched.job_ids()}

    assert asyncio.run(main()) == {"a/snmp/fast": 60, "a/snmp/slow": 300, "b/snmp/fast": 30,
                                   "b/snmp/slow": 600, "c/snmp/fast": 30, "c/snmp/slow": 900}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_failing_device_backs_off_with_jitter_and_returns_at_the_first_success():
    clock = Clock()
    backoff = DeviceBackoff(base=10, cap=40, jitter=0.5, clock=clock, rng=random.Random(7))
    expected_rng = random.Random(7)  # the same draws, to know each delay exactly
    expected = [min(40, 10 * 2 ** i) * (1 - 0.5 * expected_rng.random()) for i in range(4)]

    async def main() -> tuple[ClassPoller, Observer, list[object]]:
        poller, store, observer = ClassPoller(), Store(), Observer()
        sched = Scheduler([poller], store, defaults=Defaults(fast=3600, slow=7200), observer=observer,
                          backoff=backoff)
        sched.sync({"sw": device("sw")}, {})
        sched.start()
        log: list[object] = []
        poller.down = {"fast", "slow"}

        await sched.run_job("sw", "snmp", "fast")  # failure 1
        log.append(backoff.next_attempt(("sw", "snmp")) - clock.now)
        await sched.run_job("sw", "snmp", "fast")  # in backoff: skipped
        await sched.run_job("sw", "snmp", "slow")  # the other class too
        entry = store.get("sw")
        log.append((len(poller.calls), observer.backoffs, entry.state.up, entry.state.reason))

        clock.now = backoff.next_attempt(("sw", "snmp"))  # the backoff has expired
        await sched.run_job("sw", "snmp", "slow")  # failure 2: the delay doubles
        log.append(backoff.next_attempt(("sw", "snmp")) - clock.now)
        clock.now += 0.999 * expected[1]
        await sched.run_job("sw", "snmp", "fast")  # still inside it
        log.append((len(poller.calls), observer.backoffs))

        await sched.run_job("sw", "snmp", "fast", scheduled=False)  # a trap: the device talks, poll it anyway
        log.append((len(poller.calls), backoff.failures(("sw", "snmp"))))

        poller.down = set()
        clock.now = backoff.next_attempt(("sw", "snmp"))
        await sched.run_job("sw", "snmp", "fast")  # success: backoff over
        log.append((backoff.failures(("sw", "snmp")), store.get("sw").state.up))
        await sched.run_job("sw", "snmp", "slow")  # polled at once, no delay any more
        log.append((len(poller.calls), observer.backoffs, store.get("sw").state.up))
        await sched.shutdown()
        return poller, observer, log

    poller, observer, log = asyncio.run(main())
    assert log[0] == pytest.approx(expected[0], abs=1e-9) and 5 <= log[0] <= 10
    assert log[1] == (1, 2, False, DownReason.timeout)  # skipped, counted apart, still down with its reason
    assert log[2] == pytest.approx(expected[1], abs=1e-9) and 10 <= log[2] <= 20
    assert log[3] == (2, 3)
    assert log[4] == (3, 3)  # the triggered poll ran; it failed, so a third failure
    # The fast class answers again but the slow one's last poll failed: SNMP stays down (no flip at every
    # poll when classes disagree) until the slow class answers too.
    assert log[5] == (0, False)
    assert log[6] == (5, 3, True)
    assert [c for _, c in poller.calls] == ["fast", "slow", "fast", "fast", "slow"]
    assert [(up, watchdog) for _, up, watchdog in observer.polls] == [(False, False)] * 3 + [(True, False)] * 2


def test_removing_or_changing_a_device_clears_its_backoff():
    clock = Clock()
    backoff = DeviceBackoff(base=10, cap=40, clock=clock, rng=random.Random(1))
    sched = Scheduler([ClassPoller()], Store(), backoff=backoff)
    sched.sync({"a": device("a"), "b": device("b")}, {})
    backoff.failure(("a", "snmp"))
    backoff.failure(("b", "snmp"))
    sched.sync({"a": device("a", tags=("moved",))}, {})  # a changed, b removed
    assert backoff.allowed(("a", "snmp")) and backoff.allowed(("b", "snmp")) and backoff.failures(("a", "snmp")) == 0
