"""How hard we poll, for every protocol: a global concurrency bound that backs off on error bursts,
and per-device backoff.

`ConcurrencyLimiter` is AIMD, like TCP: the bound grows by one after each `limit` successful polls and
halves when `burst_errors` failures land within `burst_window` seconds (at most once per window, so one
burst halves it once). An error burst usually means the poller's own side is saturated (a full socket
buffer, a congested uplink, an overloaded collector host), and polling less at once is the cure; a
single dead device never makes a burst on its own because `DeviceBackoff` spaces its attempts out.

`DeviceBackoff` gives each failing device a next-allowed-attempt time, exponential with jitter so that a
site coming back after an outage is not polled by every worker in the same second.

Both take their clock (and the backoff its RNG) as parameters so tests drive them deterministically.
"""

from __future__ import annotations

import asyncio
import collections
import random
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass

Clock = Callable[[], float]

# Defaults, declared here once (thdmon.settings reads them): polls in flight at most, and the backoff of a
# failing device (first delay, doubled up to the cap).
DEFAULT_CONCURRENCY = 64
BACKOFF_BASE = 30.0
BACKOFF_CAP = 900.0


class ConcurrencyLimiter:
    def __init__(self, maximum: int, *, minimum: int = 1, initial: int | None = None, burst_errors: int = 5,
                 burst_window: float = 10.0, clock: Clock = time.monotonic) -> None:
        if not 1 <= minimum <= maximum:
            raise ValueError("need 1 <= minimum <= maximum")
        self.maximum = maximum
        self.minimum = minimum
        self._limit = min(maximum, max(minimum, initial if initial is not None else maximum))
        self._burst_errors = burst_errors
        self._burst_window = burst_window
        self._clock = clock
        self._errors: collections.deque[float] = collections.deque()
        self._last_decrease = float("-inf")
        self._successes = 0
        self._in_flight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def acquire(self) -> None:
        if self._in_flight < self._limit and not self._waiters:
            self._in_flight += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._in_flight -= 1  # the slot was granted just before the cancellation: give it back
                self._wake()
            elif fut in self._waiters:
                self._waiters.remove(fut)
            raise

    def release(self, ok: bool) -> None:
        self._in_flight -= 1
        if ok:
            self._record_success()
        else:
            self._record_error()
        self._wake()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one slot for the body; an exception out of the body counts as an error."""
        await self.acquire()
        ok = False
        try:
            yield
            ok = True
        finally:
            self.release(ok)

    def _record_success(self) -> None:
        self._successes += 1
        if self._successes >= self._limit:
            self._successes = 0
            self._limit = min(self.maximum, self._limit + 1)

    def _record_error(self) -> None:
        now = self._clock()
        self._errors.append(now)
        while self._errors and self._errors[0] <= now - self._burst_window:
            self._errors.popleft()
        if len(self._errors) >= self._burst_errors and now - self._last_decrease >= self._burst_window:
            self._limit = max(self.minimum, self._limit // 2)
            self._last_decrease = now
            self._successes = 0
            self._errors.clear()

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self._limit:
            fut = self._waiters.popleft()
            if not fut.done():
                self._in_flight += 1
                fut.set_result(None)


@dataclass(slots=True)
class _State:
    failures: int = 0
    next_attempt: float = 0.0


class DeviceBackoff:
    """Per-device jittered exponential backoff: delay_n = min(cap, base * 2**(n-1)) * U(1 - jitter, 1)."""

    def __init__(self, *, base: float = BACKOFF_BASE, cap: float = BACKOFF_CAP, jitter: float = 0.5,
                 clock: Clock = time.monotonic, rng: random.Random | None = None) -> None:
        if base <= 0 or cap < base or not 0 <= jitter < 1:
            raise ValueError("need 0 < base <= cap and 0 <= jitter < 1")
        self._base = base
        self._cap = cap
        self._jitter = jitter
        self._clock = clock
        self._rng = rng or random.Random()
        self._states: dict[Hashable, _State] = {}

    def allowed(self, device: Hashable) -> bool:
        state = self._states.get(device)
        return state is None or self._clock() >= state.next_attempt

    def next_attempt(self, device: Hashable) -> float:
        """Clock time from which the device may be polled again (0.0: any time)."""
        state = self._states.get(device)
        return state.next_attempt if state else 0.0

    def failures(self, device: Hashable) -> int:
        state = self._states.get(device)
        return state.failures if state else 0

    def failure(self, device: Hashable) -> float:
        """Record a failed poll; returns the delay before the next attempt."""
        state = self._states.setdefault(device, _State())
        state.failures += 1
        # The exponent is bounded so a device down for months does not overflow the float.
        delay = min(self._cap, self._base * 2.0 ** min(state.failures - 1, 62))
        delay *= 1.0 - self._jitter * self._rng.random()
        state.next_attempt = self._clock() + delay
        return delay

    def success(self, device: Hashable) -> None:
        self._states.pop(device, None)

    def __len__(self) -> int:
        """Keys with at least one failure since their last success."""
        return len(self._states)
