"""The scheduler with an in-process poller of our own (a plain async callable, not a mocked peer)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
from collections import Counter, defaultdict

import pytest

from collector.model import DeviceState, PollResult, Sample
from collector.schedule import Defaults, Scheduler, first_run, interval_of, phase_offset
from collector.store import Store
from inventory.model import Device, Intervals, Profile, Role
from tests.unit.schedule.stub import StubPoller

FAST = 0.3


def device(name: str, **kw) -> Device:
    return Device(hostname=name, address=ipaddress.ip_address("127.0.0.1"), site="col-test", role=Role.access_switch,
                  **kw)


class FakePoller(StubPoller):
    """Answers with the poll count as uptime; records starts and the peak concurrency per device.

    An in-process poller of our own (the scheduler's Poller protocol), standing for a protocol."""

    def __init__(self, delay: float = 0.0, hang: frozenset[str] = frozenset(), crash: frozenset[str] = frozenset()):
        self.delay = delay
        self.hang = hang
        self.crash = crash
        self.starts: dict[str, list[float]] = defaultdict(list)
        self.active: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.cancelled = 0

    async def poll(self, dev: Device, cls: str) -> PollResult:
        loop = asyncio.get_running_loop()
        self.starts[dev.hostname].append(loop.time())
        self.active[dev.hostname] += 1
        self.peak[dev.hostname] = max(self.peak[dev.hostname], self.active[dev.hostname])
        try:
            if dev.hostname in self.crash:
                raise RuntimeError("bug in a profile")
            await asyncio.sleep(3600 if dev.hostname in self.hang else self.delay)
            n = len(self.starts[dev.hostname])
            return PollResult([Sample("thdmon_device_uptime_seconds", (), float(n), 0.0)],
                              DeviceState(device=dev.hostname, up=True, varbinds=1))
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.active[dev.hostname] -= 1


class Observer:
    def __init__(self) -> None:
        self.polls: list[tuple[str, bool, bool]] = []
        self.misfires = 0
        self.backoffs = 0
        self.triggers: list[bool] = []

    def polled(self, protocol: str, result: PollResult, duration: float, watchdog: bool) -> None:
        self.polls.append((result.state.device, result.state.up, watchdog))

    def misfired(self, protocol: str) -> None:
        self.misfires += 1

    def backed_off(self, protocol: str) -> None:
        self.backoffs += 1

    def triggered(self, protocol: str, ran: bool) -> None:
        self.triggers.append(ran)


async def _until(cond, timeout: float = 15.0) -> None:
    """Wait for a condition (never a fixed sleep as the assertion itself)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def _scheduler(poller, store, observer=None, **kw) -> Scheduler:
    return Scheduler([poller], store, defaults=Defaults(fast=FAST, slow=10 * FAST),
                     observer=observer, **kw)


def test_intervals_come_from_device_then_profile_then_default():
    profiles = {"cisco": Profile(intervals=Intervals(fast=30, slow=600))}
    defaults = Defaults(fast=60, slow=300)
    assert interval_of(device("a"), "fast", profiles, defaults) == 60
    assert interval_of(device("a", profile="cisco"), "fast", profiles, defaults) == 30
    assert interval_of(device("a", profile="cisco"), "slow", profiles, defaults) == 600
    own = device("a", profile="cisco", intervals=Intervals(fast=15))
    assert interval_of(own, "fast", profiles, defaults) == 15
    assert interval_of(own, "slow", profiles, defaults) == 600


def test_phase_is_stable_and_spreads_devices():
    offsets = [phase_offset(f"sw-col-{i:03d}", "fast", 60) for i in range(600)]
    assert offsets[7] == phase_offset("sw-col-007", "fast", 60)  # same across processes: sha1, not hash()
    assert all(0 <= o < 60 for o in offsets)
    per_10s = Counter(int(o // 10) for o in offsets)
    assert len(per_10s) == 6 and min(per_10s.values()) > 60  # ~100 per 10 s slot
    t = first_run("sw-col-007", "fast", 60, 1_700_000_000.0)
    assert 1_700_000_000.0 <= t < 1_700_000_060.0
    assert abs((t - phase_offset("sw-col-007", "fast", 60)) % 60) < 1e-6


def test_devices_are_polled_on_their_interval_and_results_stored():
    async def main() -> tuple[FakePoller, Store, Observer, float]:
        poller, store, observer = FakePoller(), Store(), Observer()
        sched = _scheduler(poller, store, observer)
        sched.sync({n: device(n) for n in ("a", "b", "c")}, {})
        loop = asyncio.get_running_loop()
        started = loop.time()
        sched.start()
        await _until(lambda: all(len(poller.starts[n]) >= 3 for n in "abc"))
        elapsed = loop.time() - started
        await sched.shutdown()
        return poller, store, observer, elapsed

    poller, store, observer, elapsed = asyncio.run(main())
    for name in "abc":
        # Load can only delay or skip polls, never add any: at most one per interval (+ the first one).
        assert 3 <= len(poller.starts[name]) <= elapsed / FAST + 2
        entry = store.get(name)
        assert entry is not None and entry.state.up
        assert {s.metric for s in entry.samples} >= {"thdmon_device_uptime_seconds", "thdmon_device_up"}
    assert ("a", True, False) in observer.polls


def test_a_slow_device_is_never_polled_twice_at_once_and_skips_count_as_misfires():
    async def main() -> tuple[FakePoller, Observer]:
        poller, observer = FakePoller(delay=3 * FAST), Observer()
        sched = _scheduler(poller, Store(), observer)
        sched.sync({"slow": device("slow")}, {})
        sched.start()
        await _until(lambda: len(poller.starts["slow"]) >= 3 and observer.misfires >= 2)
        await sched.shutdown()
        return poller, observer

    poller, observer = asyncio.run(main())
    assert poller.peak["slow"] == 1
    assert observer.misfires >= 2


def test_a_stuck_poll_hits_the_watchdog_and_a_crash_is_contained():
    async def main() -> tuple[Store, Observer]:
        poller, store, observer = FakePoller(hang=frozenset({"stuck"}), crash=frozenset({"buggy"})), Store(), Observer()
        sched = _scheduler(poller, store, observer)
        sched.sync({n: device(n) for n in ("stuck", "buggy", "fine")}, {})
        sched.start()
        await _until(lambda: store.get("stuck") is not None and store.get("buggy") is not None
                     and store.get("fine") is not None)
        await sched.shutdown(grace=0.1)
        return store, observer

    store, observer = asyncio.run(main())
    stuck = store.get("stuck").state
    assert not stuck.up and stuck.reason == "timeout" and "watchdog" in stuck.detail
    assert ("stuck", False, True) in observer.polls
    buggy = store.get("buggy").state
    assert not buggy.up and buggy.reason == "error" and buggy.detail == "RuntimeError"
    assert store.get("fine").state.up


def test_reload_adds_removes_and_changes_devices_keeping_the_others_state():
    async def main() -> None:
        poller, store = FakePoller(), Store()
        sched = _scheduler(poller, store)
        sched.sync({n: device(n) for n in ("keep", "drop", "move")}, {})
        sched.start()
        await _until(lambda: all(store.get(n) is not None for n in ("keep", "drop", "move")))
        kept_since = store.get("keep").state.since

        report = sched.sync({"keep": device("keep"), "move": device("move", intervals=Intervals(fast=3600)),
                             "new": device("new"), "off": device("off", enabled=False)}, {})
        assert report.added == ["new"] and report.removed == ["drop"] and report.changed == ["move"]
        assert report.rescheduled == ["move/snmp/fast"] and sched.interval("move/snmp/fast") == 3600
        assert sched.job_ids() == ["keep/snmp/fast", "move/snmp/fast", "new/snmp/fast"]
        assert store.get("drop") is None  # gone entirely, not just down
        await _until(lambda: store.get("new") is not None)
        polls_of_keep = len(poller.starts["keep"])
        await _until(lambda: len(poller.starts["keep"]) > polls_of_keep)
        assert store.get("keep").state.since == kept_since  # its state went on, untouched by the reload
        assert "off" not in poller.starts
        await sched.shutdown()

    asyncio.run(main())


def test_maintenance_devices_are_polled_and_flagged():
    async def main() -> Store:
        store = Store()
        sched = _scheduler(FakePoller(), store, today=lambda: dt.date(2026, 11, 25))
        sched.sync({"m": device("m", maintenance=dt.date(2026, 11, 30)), "n": device("n")}, {})
        sched.start()
        await _until(lambda: store.get("m") is not None and store.get("n") is not None)
        await sched.shutdown()
        return store

    store = asyncio.run(main())
    flags = {name: {s.metric: s.value for s in store.get(name).samples}["thdmon_device_maintenance"]
             for name in "mn"}
    assert flags == {"m": 1.0, "n": 0.0}
    assert store.get("m").state.up


def test_shutdown_cancels_polls_that_outlive_the_grace_period(caplog: pytest.LogCaptureFixture):
    async def main() -> FakePoller:
        poller = FakePoller(hang=frozenset({"h"}))
        sched = Scheduler([poller], Store(), defaults=Defaults(fast=FAST), watchdog_ratio=1000)
        sched.sync({"h": device("h")}, {})
        sched.start()
        await _until(lambda: poller.active["h"] == 1)
        await sched.shutdown(grace=0.2)
        return poller

    with caplog.at_level(logging.INFO):
        poller = asyncio.run(main())
    assert poller.cancelled == 1 and poller.active["h"] == 0
    # One warning says how many polls the shutdown cut short; no job "raised an exception" traceback.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "event=shutdown_cancelled_polls count=1"]


def test_shutdown_lets_a_running_poll_finish_within_the_grace_period(caplog: pytest.LogCaptureFixture):
    async def main() -> tuple[FakePoller, Store]:
        poller, store = FakePoller(delay=0.5), Store()
        sched = Scheduler([poller], store, defaults=Defaults(fast=FAST), watchdog_ratio=1000)
        sched.sync({"s": device("s")}, {})
        sched.start()
        await _until(lambda: poller.active["s"] == 1)
        await sched.shutdown(grace=5.0)
        return poller, store

    with caplog.at_level(logging.INFO):
        poller, store = asyncio.run(main())
    assert poller.cancelled == 0 and poller.active["s"] == 0
    entry = store.get("s")
    assert entry is not None and entry.state.up  # the poll that was running when asked to stop was kept
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_trigger_polls_a_device_now_once_and_keeps_its_phase():
    async def main() -> tuple[FakePoller, float, float]:
        poller = FakePoller(delay=0.2)
        observer = Observer()
        sched = Scheduler([poller], Store(), defaults=Defaults(fast=3600), observer=observer)
        sched.sync({"t": device("t")}, {})
        sched.start()
        job = sched._aps.get_job("t/snmp/fast")
        planned = job.next_run_time.timestamp()
        assert sched.trigger("t") and not sched.trigger("unknown") and not sched.trigger("t", "icmp")
        assert not sched.trigger("t")  # a second trap within trigger_interval: throttled, counted
        assert observer.triggers == [True, False]
        await _until(lambda: len(poller.starts["t"]) == 1 and poller.active["t"] == 0)
        await asyncio.sleep(0.1)
        after = job.next_run_time.timestamp()
        await sched.shutdown()
        return poller, planned, after

    poller, planned, after = asyncio.run(main())
    assert len(poller.starts["t"]) == 1  # the second trigger was throttled
    assert planned == after  # the hourly job's phase is untouched
