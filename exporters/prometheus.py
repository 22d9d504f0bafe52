"""The collector's own metrics, through a prometheus_client registry, with catalogue names and help.

`SelfMetrics` observes the scheduler (collector.schedule.PollObserver) and the service's inventory
reloads (collector.service.ReloadObserver): the collector reports polls, misfires, watchdog expiries
and reloads, and never imports this module itself.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from collector.limits import ConcurrencyLimiter
from collector.model import PollResult
from collector.store import Store
from metrics import catalogue

# SNMP polls take from ~10 ms (a few scalars from snmpd) to tens of seconds (a big switch over snmpsim).
POLL_DURATION_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
DEVICE_STATES = ("up", "down", "pending")


def _spec(name: str) -> tuple[str, str, tuple[str, ...]]:
    metric = catalogue.get(name)
    return metric.name, metric.help, metric.labels


class DevicesByState:
    """thdmon_collector_devices{state}: up, down, or pending (scheduled, not polled yet)."""

    def __init__(self, store: Store, scheduled: Callable[[], Collection[str]]) -> None:
        self._store = store
        self._scheduled = scheduled

    def collect(self) -> Iterator[Metric]:
        name, help_, labels = _spec("thdmon_collector_devices")
        counts = dict.fromkeys(DEVICE_STATES, 0)
        scheduled = self._scheduled()
        polled = 0
        for entry in self._store.snapshot():
            if entry.device in scheduled:
                polled += 1
                counts["up" if entry.state.up else "down"] += 1
        counts["pending"] = len(scheduled) - polled
        family = GaugeMetricFamily(name, help_, labels=list(labels))
        for state, count in counts.items():
            family.add_metric([state], float(count))
        yield family


class Load:
    """How hard the collector polls right now: the AIMD bound, the polls in flight, samples refused."""

    def __init__(self, limiter: ConcurrencyLimiter, store: Store) -> None:
        self._limiter = limiter
        self._store = store

    def collect(self) -> Iterator[Metric]:
        for name, value in (("thdmon_collector_concurrency_limit", self._limiter.limit),
                            ("thdmon_collector_polls_in_flight", self._limiter.in_flight)):
            yield GaugeMetricFamily(name, catalogue.get(name).help, value=float(value))
        name = "thdmon_collector_samples_rejected_total"
        yield CounterMetricFamily(name, catalogue.get(name).help, value=float(self._store.rejected_samples))


class CountsByLabel:
    """A counter with one label, read at scrape time from counts kept elsewhere (the trap receiver's
    per trap, the HTTP server's refusals per reason): the counting side needs no prometheus_client."""

    def __init__(self, metric: str, counts: Callable[[], Mapping[str, int]]) -> None:
        self._metric, self._counts = metric, counts

    def collect(self) -> Iterator[Metric]:
        name, help_, labels = _spec(self._metric)
        family = CounterMetricFamily(name, help_, labels=list(labels))
        for value, count in sorted(self._counts().items()):
            family.add_metric([value], float(count))
        yield family


class SelfMetrics:
    """Counters and histogram of the polling service, in their own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.polls = Counter(*_spec("thdmon_collector_polls_total"), registry=r)
        self.errors = Counter(*_spec("thdmon_collector_poll_errors_total"), registry=r)
        name, help_, labels = _spec("thdmon_collector_poll_duration_seconds")
        self.duration = Histogram(name, help_, labels, registry=r, buckets=POLL_DURATION_BUCKETS)
        self.misfires = Counter(*_spec("thdmon_collector_misfires_total"), registry=r)
        self.reloads = Counter(*_spec("thdmon_collector_inventory_reloads_total"), registry=r)
        self.triggers = Counter(*_spec("thdmon_collector_triggered_polls_total"), registry=r)

    def watch_devices(self, store: Store, scheduled: Callable[[], Collection[str]]) -> None:
        self.registry.register(DevicesByState(store, scheduled))

    def watch_load(self, limiter: ConcurrencyLimiter, store: Store) -> None:
        self.registry.register(Load(limiter, store))

    def watch_traps(self, counts: Callable[[], Mapping[str, int]]) -> None:
        self.registry.register(CountsByLabel("thdmon_collector_traps_total", counts))

    def watch_http(self, rejections: Callable[[], Mapping[str, int]]) -> None:
        self.registry.register(CountsByLabel("thdmon_exporter_http_rejections_total", rejections))

    # PollObserver
    def polled(self, protocol: str, result: PollResult, duration: float, watchdog: bool) -> None:
        up = result.state.up
        self.polls.labels(protocol, "ok" if up else "failed").inc()
        if not up:
            reason = "watchdog" if watchdog else (result.state.reason.value if result.state.reason else "error")
            self.errors.labels(protocol, reason).inc()
        self.duration.labels(protocol).observe(duration)

    def misfired(self, protocol: str) -> None:
        self.misfires.labels(protocol).inc()

    def backed_off(self, protocol: str) -> None:
        """A scheduled poll skipped because the device is in backoff: neither ok nor failed."""
        self.polls.labels(protocol, "backoff").inc()

    def triggered(self, protocol: str, ran: bool) -> None:
        self.triggers.labels(protocol, "run" if ran else "throttled").inc()

    # ReloadObserver
    def reloaded(self, ok: bool) -> None:
        self.reloads.labels("ok" if ok else "failed").inc()
