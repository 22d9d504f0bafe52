"""Failed logins slow down the next ones, per account and per client address.

Each key (`account:NAME`, `address:IP`) may fail `free` times within `window` seconds; after that,
every further attempt must wait 2^(failures - free) seconds (capped) after the last failure, and an
attempt made sooner is refused without even checking the password. One process, so the state is in
memory: a restart forgives, which the window would soon do anyway.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable


class LoginThrottle:
    def __init__(self, *, free: int, window: float, max_delay: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free = free
        self.window = window
        self.max_delay = max_delay
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds before an attempt for these keys is allowed (0: now)."""
        now = self.clock()
        with self._lock:
            return max((self._wait(key, now) for key in keys), default=0.0)

    def _wait(self, key: str, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] < now - self.window:
            times.popleft()
        if len(times) < self.free:
            return 0.0
        delay = min(2.0 ** (len(times) - self.free), self.max_delay)
        return max(0.0, times[-1] + delay - now)

    def failed(self, keys: Iterable[str]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                times = self._failures.setdefault(key, deque(maxlen=64))
                times.append(now)
            if len(self._failures) > 100_000:  # a spray of names must not exhaust memory
                self._failures = {k: v for k, v in self._failures.items() if v and v[-1] >= now - self.window}

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
