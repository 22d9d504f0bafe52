"""The operational log: one line per state change, one summary per period, the load check at start-up."""

from __future__ import annotations

import asyncio
import ipaddress
import logging

import pytest

from collector import capacity
from collector.events import ClassLoad, PollEvents, QuietApscheduler, duration_text
from collector.model import DeviceState, DownReason, PollResult, Sample
from collector.schedule import Scheduler
from collector.store import Store
from inventory.model import Device, Role
from tests.unit.schedule.stub import StubPoller


class Switch(StubPoller):
    """A poller of our own whose device answers or not as the test says (the Poller protocol)."""

    def __init__(self) -> None:
        self.answering = True

    async def poll(self, dev: Device, cls: str) -> PollResult:
        if self.answering:
            return PollResult([Sample("thdmon_device_uptime_seconds", (), 1.0, 0.0)],
                              DeviceState(dev.hostname, up=True, varbinds=12))
        return PollResult([], DeviceState(dev.hostname, up=False, reason=DownReason.timeout, detail="no answer"))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_device_going_down_then_up_is_one_warning_then_one_info_with_the_outage(caplog):
    clock, poller = Clock(), Switch()
    store = Store(clock=clock)
    sched = Scheduler([poller], store, clock=clock)
    dev = Device(hostname="sw-col-1", address=ipaddress.ip_address("127.0.0.1"), site="col-x",
                 role=Role.access_switch)
    sched.sync({"sw-col-1": dev}, {})
    caplog.set_level(logging.INFO, logger="collector")

    async def polls(n: int) -> None:
        for _ in range(n):
            await sched.poll("sw-col-1", "snmp", "fast")
            clock.now += 60

    asyncio.run(polls(2))
    assert not [r for r in caplog.records if "event=device_" in r.getMessage()]  # up at first sight: no news
    poller.answering = False
    asyncio.run(polls(3))
    down = [r for r in caplog.records if "event=device_down" in r.getMessage()]
    assert len(down) == 1 and down[0].levelno == logging.WARNING
    assert "device=sw-col-1 site=col-x protocol=snmp reason=timeout" in down[0].getMessage()
    assert not [r for r in caplog.records if "event=backoff" in r.getMessage() and r.levelno >= logging.INFO]
    assert {s.metric: s.value for s in store.get("sw-col-1").samples}[
        "thdmon_device_down_since_timestamp_seconds"] == 1_000_120.0
    poller.answering = True
    asyncio.run(polls(1))
    up = [r for r in caplog.records if "event=device_up" in r.getMessage()]
    assert len(up) == 1 and up[0].levelno == logging.INFO
    assert "down_for=3m00s down_seconds=180" in up[0].getMessage()
    assert "thdmon_device_down_since_timestamp_seconds" not in {s.metric for s in store.get("sw-col-1").samples}
    assert sched.events.ok["snmp"] == 3 and sched.events.failed["snmp"] == 3


def test_a_summary_is_one_line_per_period_warning_when_polls_were_skipped(caplog):
    t = [0.0]
    events = PollEvents(clock=lambda: t[0])
    caplog.set_level(logging.INFO, logger="collector")
    for _ in range(500):
        events.misfired("missed")
    events.misfired("still_running")
    events.backed_off("snmp")
    events.polled("snmp", "fast", True, 0.5, 100, False)
    events.polled("snmp", "fast", False, 4.0, 0, True)
    t[0] = 60.0
    seconds, load, misfires = events.flush(devices=10, down=1, in_backoff=1)
    assert seconds == 60.0 and load[("snmp", "fast")] == ClassLoad(2, 4.5, 100) and misfires == 501
    (line,) = [r for r in caplog.records if "poll_summary" in r.getMessage()]
    assert line.levelno == logging.WARNING
    assert ("period_seconds=60 devices=10 down=1 in_backoff=1 polls_ok=1 polls_failed=1 watchdog=1 misfires=501 "
            "misfires_by_kind=missed:500,still_running:1 backoff_skips=1") in line.getMessage()
    caplog.clear()
    t[0] = 120.0
    events.flush(devices=10, down=0, in_backoff=0)
    (quiet,) = caplog.records
    assert quiet.levelno == logging.INFO and "misfires=0 misfires_by_kind=-" in quiet.getMessage()


def test_apscheduler_misfire_warnings_are_dropped_and_its_errors_kept():
    quiet = QuietApscheduler()
    missed = logging.LogRecord("apscheduler.executors.default", logging.WARNING, "", 0,
                               'Run time of job "%s" was missed by %s', ("x", "0:00:01"), None)
    busy = logging.LogRecord("apscheduler.scheduler", logging.WARNING, "", 0,
                             'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
                             ("x", 1), None)
    error = logging.LogRecord("apscheduler.executors.default", logging.ERROR, "", 0, "Job %s raised", ("x",), None)
    assert not quiet.filter(missed) and not quiet.filter(busy) and quiet.filter(error)


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0s"), (12, "12s"), (245, "4m05s"), (11232, "3h07m12s")])
def test_outage_lengths_read_at_a_glance(seconds, text):
    assert duration_text(seconds) == text


def test_the_load_check_suggests_intervals_and_concurrency_when_the_bound_cannot_keep_up(caplog):
    # 1,500 devices, fast every 60 s and slow every 300 s: 25 + 5 polls/s
    intervals = {f"d{i}/snmp/fast": 60.0 for i in range(1500)} | {f"d{i}/snmp/slow": 300.0 for i in range(1500)}
    plans = capacity.plan(intervals)
    fast = next(p for p in plans if p.cls == "fast")
    assert (fast.jobs, fast.polls_per_second, fast.measured) == (1500, pytest.approx(25.0), False)
    busy = 25.0 * capacity.ASSUMED_SECONDS["fast"] + 5.0 * capacity.ASSUMED_SECONDS["slow"]
    assert capacity.suggestion(plans, concurrency=64) == ""  # 35 at once fit 64
    caplog.set_level(logging.INFO, logger="collector")
    assert not capacity.report(plans, concurrency=8, stage="start")
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    factor = busy / (8 * capacity.HEADROOM)
    assert f"snmp fast >= {int(-(-60 * factor // 5) * 5)} s" in warning.getMessage()
    assert f"collector.concurrency >= {int(-(-busy // capacity.HEADROOM))}" in warning.getMessage()
    # measured: the real poll time replaces the assumption, and varbinds per second are known
    measured = capacity.plan(intervals, {("snmp", "fast"): ClassLoad(polls=1500, seconds=150.0, varbinds=900_000)},
                             period=60.0)
    fast = next(p for p in measured if p.cls == "fast")
    assert (fast.seconds_per_poll, fast.varbinds_per_second, fast.measured) == (0.1, 15_000.0, True)


def test_misfires_in_the_measured_period_say_over_capacity_even_when_the_mean_poll_time_fits(caplog):
    # one slow device holds the only slot while five fast ones queue: the mean poll time fits the bound,
    # the skipped polls say it does not
    intervals = {f"d{i}/snmp/fast": 5.0 for i in range(6)}
    measured = capacity.plan(intervals, {("snmp", "fast"): ClassLoad(polls=3, seconds=1.2, varbinds=300)}, period=5.0)
    assert capacity.suggestion(measured, concurrency=1) == ""
    caplog.set_level(logging.INFO, logger="collector")
    assert not capacity.report(measured, concurrency=1, stage="measured", misfires=5)
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    # the bound served 3 of 8 polls asked for: 8/3 slots' worth of demand, 4 with the headroom
    assert "misfires=5" in warning.getMessage() and "collector.concurrency >= 4" in warning.getMessage()
