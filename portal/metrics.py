"""The portal's counters (names from metrics/catalogue.py), served on its own loopback /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from metrics import catalogue

OUTCOMES = ("success", "bad_password", "unknown_account", "disabled", "throttled", "csrf", "directory_error")


class PortalMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        m = catalogue.get("thdmon_portal_logins_total")
        self._logins = Counter(m.name.removesuffix("_total"), m.help, m.all_labels, registry=self.registry)
        for outcome in OUTCOMES:  # every series exists from the start: rate() needs a zero
            self._logins.labels(outcome)

    def login(self, outcome: str) -> None:
        self._logins.labels(outcome).inc()
