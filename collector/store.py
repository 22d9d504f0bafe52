"""The latest samples and state of every polled device, read by the exporter at each scrape.

A device's entry is replaced whole (one assignment under a lock), so a scrape sees either the previous
poll or the new one, never half of each. A device that stops answering loses its samples at once: a
frozen counter or temperature would lie, while `thdmon_device_up 0` and
`thdmon_device_down_reason{reason}` tell the truth. The store knows nothing of the exporter: listeners
are told which device changed (the exposition pre-renders it there, off the scrape path).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from collector.model import DeviceState, PollResult
from metrics.sample import COUNTERS, Labels, Sample, sample_problem

log = logging.getLogger(__name__)

Listener = Callable[[str], None]
SeriesKey = tuple[str, Labels]


@dataclass(frozen=True, slots=True)
class DeviceEntry:
    """Everything exposed for one device, immutable: replaced whole at each poll."""

    device: str
    state: DeviceState
    maintenance: bool
    samples: tuple[Sample, ...]  # own samples (every interval class) then health samples; unique keys
    # interval class -> its own valid samples (unique keys), for merging and validating the next poll
    parts: dict[str, tuple[Sample, ...]]


def health_samples(state: DeviceState, maintenance: bool, now: float, protocol: str = "snmp") -> list[Sample]:
    """The collector's own view of a device, as catalogue samples."""
    proto = (("protocol", protocol),)
    out = [
        Sample("thdmon_device_up", (), 1.0 if state.up else 0.0, now),
        Sample("thdmon_device_protocol_up", proto, 1.0 if state.up else 0.0, now),
        Sample("thdmon_device_maintenance", (), 1.0 if maintenance else 0.0, now),
    ]
    if not state.up:
        reason = state.reason.value if state.reason is not None else "error"
        out.append(Sample("thdmon_device_down_reason", (*proto, ("reason", reason)), 1.0, now))
    if state.last_poll:
        out.append(Sample("thdmon_device_last_poll_timestamp_seconds", proto, state.last_poll, now))
        out.append(Sample("thdmon_device_poll_duration_seconds", proto, state.poll_duration, now))
    if state.up:
        out.append(Sample("thdmon_device_poll_varbinds", (), float(state.varbinds), now))
    return out


class Store:
    """Latest samples + state per device. Writers: the scheduler (event loop); readers: HTTP threads."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._entries: dict[str, DeviceEntry] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._listeners: list[Listener] = []
        self._warned: set[tuple[str, str]] = set()
        self.rejected_samples = 0

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def update(self, device: str, result: PollResult, *, part: str = "fast",
               maintenance: bool = False) -> DeviceEntry:
        """Record one poll of `device` (for interval class `part`) and return the new entry."""
        now = self._clock()
        previous = self._entries.get(device)
        state = self._carry_over(previous.state if previous else None, result.state, device)
        if state.up:
            parts = dict(previous.parts) if previous else {}
            fresh = self._valid(device, result.samples, parts.get(part) or ())
            parts[part] = tuple(fresh.values())
        else:
            parts, fresh = {}, {}  # a silent device shows no stale value of any interval class
        # Keyed by series: a duplicate series would make Prometheus drop the scrape.
        merged: dict[SeriesKey, Sample] = {}
        for name, samples in parts.items():
            if name == part:
                merged.update(fresh)
                continue
            for s in samples:
                merged[(s.metric, s.labels)] = s
        for s in health_samples(state, maintenance, now):
            merged[(s.metric, s.labels)] = s
        entry = DeviceEntry(device, state, maintenance, tuple(merged.values()), parts)
        with self._lock:
            self._entries[device] = entry
        self._notify(device)
        return entry

    def set_maintenance(self, device: str, maintenance: bool) -> None:
        """Re-flag a device after an inventory reload without waiting for its next poll."""
        previous = self._entries.get(device)
        if previous is None or previous.maintenance == maintenance:
            return
        samples = tuple(
            dataclasses.replace(s, value=1.0 if maintenance else 0.0) if s.metric == "thdmon_device_maintenance"
            else s for s in previous.samples)
        with self._lock:
            self._entries[device] = dataclasses.replace(previous, maintenance=maintenance, samples=samples)
        self._notify(device)

    def remove(self, device: str) -> None:
        with self._lock:
            gone = self._entries.pop(device, None)
        if gone is not None:
            self._notify(device)

    def retain(self, devices: Iterable[str]) -> list[str]:
        """Drop every device not in `devices` (removed from the inventory or out of this shard)."""
        keep = set(devices)
        with self._lock:
            dropped = [d for d in self._entries if d not in keep]
            for d in dropped:
                del self._entries[d]
        for d in dropped:
            self._notify(d)
        return dropped

    def get(self, device: str) -> DeviceEntry | None:
        return self._entries.get(device)

    def snapshot(self) -> list[DeviceEntry]:
        """A consistent list of the current entries (each immutable), safe to read from any thread."""
        with self._lock:
            return list(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def _carry_over(self, previous: DeviceState | None, new: DeviceState, device: str) -> DeviceState:
        # The poller sees one poll; the store sees the history: when the state last flipped, and how many
        # polls in a row failed.
        flipped = previous is None or previous.up != new.up
        since = (new.last_poll or self._clock()) if flipped else previous.since
        failures = 0 if new.up else (1 if previous is None or previous.up else previous.consecutive_failures + 1)
        return dataclasses.replace(new, device=device, since=since, consecutive_failures=failures)

    def _valid(self, device: str, samples: Iterable[Sample],
               previous: tuple[Sample, ...]) -> dict[SeriesKey, Sample]:
        """The exposable samples by series (the last of a duplicate wins); the others counted and logged.

        A collector gives a device's series in the same order at every poll: a sample whose metric and
        labels are those of the previous poll's valid sample at the same position has a valid shape
        already, and only a float value is checked (finite-or-not matters for counters only). Anything
        else takes the full check. ~650 samples a device each poll made the full check a visible share of
        serve's CPU; comparing by position keeps no per-series index between polls.
        """
        out: dict[SeriesKey, Sample] = {}
        known = len(previous)
        for i, s in enumerate(samples):
            v = s.value
            if i < known and type(v) is float and (v >= 0 or s.metric not in COUNTERS):
                p = previous[i]
                if p.metric == s.metric and p.labels == s.labels:
                    out[(s.metric, s.labels)] = s
                    continue
            problem = sample_problem(s)
            if problem is None:
                out[(s.metric, s.labels)] = s
                continue
            self.rejected_samples += 1
            if (device, s.metric) not in self._warned:  # once per device and metric, not once per poll
                self._warned.add((device, s.metric))
                log.warning("event=sample_rejected device=%s metric=%s problem=%r", device, s.metric, problem)
        return out

    def _notify(self, device: str) -> None:
        for listener in self._listeners:
            listener(device)
