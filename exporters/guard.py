"""Who the /metrics server lets in, and how much of its CPU a client may spend, beyond loopback.

- `ConnectionBound`: connections open at once, in all and per source address. The server is one thread
  per connection; without a bound, idle connections pile up to the 30 s socket timeout each and a flood
  of them takes every thread and descriptor. Beyond the bound a connection is closed at once, counted.
- `FailedAuthLimiter`: failed authentications per source address in a sliding window. A wrong password
  costs a bcrypt verification (tens of milliseconds of CPU, on purpose); past the limit the source gets
  429 without any verification, so a flood cannot slow the scrapes that matter. Scrapes that have
  authenticated before are verified from a cache (http.BasicAuth) and never wait behind a flood.

Every refusal is counted by reason (`rejections`): the service exports them as self-metrics.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable

MAX_CONNECTIONS = 64
MAX_CONNECTIONS_PER_SOURCE = 8  # Prometheus keeps one connection per target; HA pairs make two sources
MAX_FAILURES = 10  # per source and window
FAILURE_WINDOW = 60.0
MAX_SOURCES = 4096  # failing sources remembered at once, oldest forgotten first (memory stays bounded)


class Rejections:
    """Counts of refused connections and requests, by reason; thread-safe, read as a plain dict."""

    def __init__(self) -> None:
        self._counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def add(self, reason: str) -> None:
        with self._lock:
            self._counts[reason] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class ConnectionBound:
    def __init__(self, total: int = MAX_CONNECTIONS, per_source: int = MAX_CONNECTIONS_PER_SOURCE) -> None:
        self.total, self.per_source = total, per_source
        self._open: collections.Counter[str] = collections.Counter()
        self._count = 0
        self._lock = threading.Lock()

    def enter(self, source: str) -> str | None:
        """Take a place for a connection from `source`; the reason it is refused, or None."""
        with self._lock:
            if self._count >= self.total:
                return "connections_total"
            if self._open[source] >= self.per_source:
                return "connections_per_source"
            self._count += 1
            self._open[source] += 1
            return None

    def leave(self, source: str) -> None:
        with self._lock:
            self._count -= 1
            self._open[source] -= 1
            if not self._open[source]:
                del self._open[source]


class FailedAuthLimiter:
    def __init__(self, limit: int = MAX_FAILURES, window: float = FAILURE_WINDOW, *,
                 clock: Callable[[], float] = time.monotonic, max_sources: int = MAX_SOURCES) -> None:
        self.limit, self.window, self._clock, self._max_sources = limit, window, clock, max_sources
        self._failures: collections.OrderedDict[str, collections.deque[float]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, source: str) -> bool:
        """Whether `source` has failed `limit` times within the window (and must not be verified now)."""
        with self._lock:
            times = self._failures.get(source)
            if times is None:
                return False
            self._expire(times)
            if not times:
                del self._failures[source]
                return False
            return len(times) >= self.limit

    def failed(self, source: str) -> None:
        with self._lock:
            times = self._failures.pop(source, None) or collections.deque(maxlen=self.limit)
            self._expire(times)
            times.append(self._clock())
            self._failures[source] = times  # most recent last
            while len(self._failures) > self._max_sources:
                self._failures.popitem(last=False)

    def retry_after(self, source: str) -> int:
        with self._lock:
            times = self._failures.get(source)
            oldest = times[0] if times else self._clock()
        return max(1, int(oldest + self.window - self._clock()) + 1)

    def _expire(self, times: collections.deque[float]) -> None:
        horizon = self._clock() - self.window
        while times and times[0] <= horizon:
            times.popleft()
