"""The concurrency limiter and per-device backoff, driven by a fake clock and a seeded RNG."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from pathlib import Path

import pytest

from collector.limits import ConcurrencyLimiter, DeviceBackoff

ROOT = Path(__file__).resolve().parents[3]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FixedRng(random.Random):
    """random() returns the queued values in turn: the jitter is chosen by the test."""

    def __init__(self, *values: float) -> None:
        super().__init__(0)
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


def test_backoff_doubles_with_jitter_and_caps() -> None:
    clock = FakeClock()
    backoff = DeviceBackoff(base=10, cap=60, jitter=0.5, clock=clock, rng=FixedRng(0.0, 0.0, 1.0, 0.0, 0.5))
    assert backoff.allowed("sw1") and backoff.next_attempt("sw1") == 0.0
    assert backoff.failure("sw1") == 10.0  # 10 * (1 - 0.5 * 0)
    assert backoff.failure("sw1") == 20.0
    assert backoff.failure("sw1") == 20.0  # 40 * (1 - 0.5 * 1.0)
    assert backoff.failure("sw1") == 60.0  # 80 capped at 60
    assert backoff.failure("sw1") == 45.0  # 60 * (1 - 0.5 * 0.5)
    assert backoff.failures("sw1") == 5
    assert backoff.next_attempt("sw1") == 1045.0


def test_backoff_gates_attempts_on_the_clock_and_success_resets() -> None:
    clock = FakeClock()
    backoff = DeviceBackoff(base=30, cap=900, jitter=0.0, clock=clock)
    backoff.failure("sw1")
    assert not backoff.allowed("sw1")
    assert backoff.allowed("sw2")  # other devices are not affected
    clock.now += 29.9
    assert not backoff.allowed("sw1")
    clock.now += 0.1
    assert backoff.allowed("sw1")
    backoff.success("sw1")
    assert backoff.failures("sw1") == 0 and backoff.next_attempt("sw1") == 0.0
    assert backoff.failure("sw1") == 30.0  # starts again from the base


def test_backoff_survives_a_very_long_outage() -> None:
    backoff = DeviceBackoff(base=1, cap=900, jitter=0.0, clock=FakeClock())
    for _ in range(5000):
        delay = backoff.failure("sw1")
    assert delay == 900.0


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        DeviceBackoff(base=10, cap=5)
    with pytest.raises(ValueError):
        DeviceBackoff(jitter=1.0)


def test_limiter_halves_on_a_burst_once_per_window_and_grows_back() -> None:
    clock = FakeClock()
    lim = ConcurrencyLimiter(16, minimum=2, burst_errors=3, burst_window=10, clock=clock)

    async def run() -> None:
        async def poll(ok: bool) -> None:
            await lim.acquire()
            lim.release(ok)

        for _ in range(3):
            await poll(False)
        assert lim.limit == 8
        for _ in range(3):  # same window: no second halving
            await poll(False)
        assert lim.limit == 8
        clock.now += 10
        for _ in range(3):
            await poll(False)
        assert lim.limit == 4
        clock.now += 10
        for _ in range(3):
            await poll(False)
        clock.now += 10
        for _ in range(3):
            await poll(False)
        assert lim.limit == 2  # floor
        # Additive increase: one more slot after `limit` successes.
        for _ in range(2):
            await poll(True)
        assert lim.limit == 3
        for _ in range(3):
            await poll(True)
        assert lim.limit == 4

    asyncio.run(run())


def test_limiter_spread_errors_do_not_shrink_it() -> None:
    clock = FakeClock()
    lim = ConcurrencyLimiter(8, burst_errors=3, burst_window=10, clock=clock)

    async def run() -> None:
        for _ in range(10):
            await lim.acquire()
            lim.release(False)
            clock.now += 6  # two errors per window at most
        assert lim.limit == 8

    asyncio.run(run())


def test_limiter_bounds_concurrency_and_serves_waiters_in_order() -> None:
    lim = ConcurrencyLimiter(2)
    order: list[int] = []
    peak = 0

    async def job(i: int, gate: asyncio.Event) -> None:
        nonlocal peak
        async with lim.slot():
            peak = max(peak, lim.in_flight)
            order.append(i)
            await gate.wait()

    async def run() -> None:
        gate = asyncio.Event()
        tasks = [asyncio.create_task(job(i, gate)) for i in range(6)]
        await asyncio.sleep(0)
        assert lim.in_flight == 2 and order == [0, 1]
        gate.set()
        await asyncio.gather(*tasks)
        assert lim.in_flight == 0

    asyncio.run(run())
    assert peak == 2
    assert order == [0, 1, 2, 3, 4, 5]


def test_limiter_slot_counts_an_exception_as_an_error_and_cancelled_waiters_leave() -> None:
    clock = FakeClock()
    lim = ConcurrencyLimiter(2, burst_errors=1, burst_window=10, clock=clock)

    async def run() -> None:
        with pytest.raises(RuntimeError):
            async with lim.slot():
                raise RuntimeError("device lied")
        assert lim.limit == 1 and lim.in_flight == 0
        await lim.acquire()
        waiter = asyncio.create_task(lim.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        lim.release(True)
        assert lim.in_flight == 0
        await asyncio.wait_for(lim.acquire(), 1)  # the cancelled waiter did not keep the slot
        assert lim.in_flight == 1

    asyncio.run(run())


def test_socket_budget_raises_the_soft_open_files_limit_to_the_hard_one() -> None:
    # In a child process: what systemd gives a service (soft 1024 or less) must not cap the poller.
    code = """
import resource
from collector.snmp.limits import FD_CEILING, FD_RESERVE, socket_budget
from collector.snmp.gufo_engine import GufoEngine
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(512, hard), hard))
budget = socket_budget()
raised = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
expected = FD_CEILING if hard == resource.RLIM_INFINITY else min(hard, FD_CEILING)
assert raised == expected, (raised, expected)
assert budget == max(64, raised - FD_RESERVE), budget
assert GufoEngine()._max_sessions == budget // 2  # two descriptors per session (one to peek)
assert GufoEngine(max_sessions=10)._max_sessions == 10
print(raised, budget)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    raised, budget = map(int, out.stdout.split())
    assert budget == max(64, raised - 256)
