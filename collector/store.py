"""The latest samples and state of every polled device, per protocol, read by the exporter at each scrape.

A device is polled by several protocols (SNMP, ICMP, later SSH), each on its own interval classes. The
store keeps, per device, per protocol, per interval class, the latest state and samples; the device's
entry is rebuilt and replaced whole (one assignment under a lock), so a scrape sees either the previous
poll or the new one, never half of each.

The rules, in one place:
- A failed poll replaces the samples of its own (protocol, class) only (with none, or with what the
  failure itself measured, such as an ICMP loss of 1): an SSH backup failure never
  blanks the device's SNMP metrics, a failing slow SNMP table never blanks the fast ones. But when the
  device does not answer at all over a protocol (timeout, unreachable, refused), every sample of that
  protocol goes: a frozen counter or temperature would lie.
- A protocol is up when the latest poll of each of its classes succeeded; when one fails, the protocol is
  down with that class's reason (the first class in poll order) until it succeeds again. So classes that
  disagree give a stable state, never a flip at every poll.
- `thdmon_device_up` is 0 only when every liveness protocol the device is polled by is down (it is
  unreachable): SNMP and ICMP; SSH, whose backup runs once a day, counts only for a device polled by
  nothing else (a backup that succeeded at 3 a.m. would keep a dead switch up all day);
  `thdmon_device_protocol_up{protocol}` and `thdmon_device_down_reason{protocol,reason}` say which
  protocol failed and why.

The store knows nothing of the exporter: listeners are told which device changed (the exposition
pre-renders it there, off the scrape path).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from collector.model import DeviceState, DownReason, PollResult
from metrics.sample import COUNTERS, Labels, Sample, sample_problem
from metrics.series import EMPTY, Series, SeriesBuilder

log = logging.getLogger(__name__)

Listener = Callable[[str], None]
SeriesKey = tuple[str, Labels]
# A device that does not answer at all over a protocol: none of that protocol's values can be trusted.
SILENT = frozenset({DownReason.timeout, DownReason.unreachable, DownReason.refused})


@dataclass(frozen=True, slots=True)
class ClassEntry:
    """One interval class of one protocol: its latest state and valid series (unique keys, poll order)."""

    state: DeviceState
    series: Series

    @property
    def samples(self) -> tuple[Sample, ...]:
        return self.series.samples()


@dataclass(frozen=True, slots=True)
class ProtocolEntry:
    protocol: str
    state: DeviceState  # the protocol's state: up when every class's latest poll succeeded
    classes: Mapping[str, ClassEntry]
    liveness: bool = True  # whether its state says the device answers now (not SSH's daily backup)


@dataclass(frozen=True, slots=True)
class DeviceEntry:
    """Everything exposed for one device, immutable: replaced whole at each poll."""

    device: str
    state: DeviceState  # the device-level state (up unless every liveness protocol is down), since when, why
    maintenance: bool
    series: Series  # every protocol's series then the health series; unique keys
    protocols: Mapping[str, ProtocolEntry]

    @property
    def samples(self) -> tuple[Sample, ...]:
        """Every series as a `Sample`, built on demand (tests, tools); readers of a few metrics `select`."""
        return self.series.samples()

    def select(self, metrics: Collection[str]) -> Iterator[Sample]:
        return self.series.select(metrics)


def protocol_state(device: str, classes: Mapping[str, ClassEntry], previous: DeviceState | None,
                   now: float) -> DeviceState:
    """The protocol's state from its classes' latest states, carrying `since` and failures over."""
    down = next((c.state for c in classes.values() if not c.state.up), None)
    last = max(classes.values(), key=lambda c: c.state.last_poll).state
    up = down is None
    base = last if up else down
    assert base is not None
    return _carry(device, dataclasses.replace(base, last_poll=last.last_poll), up, previous, now)


def liveness_states(protocols: Iterable[tuple[bool, DeviceState]]) -> list[DeviceState]:
    """The states the device-level rule reads, from (liveness, state) per protocol: the liveness
    protocols', or every protocol's when the device has none of them."""
    # A backup that succeeded at 3 a.m. says nothing of the device at noon: SSH counts only for a device
    # polled by nothing else.
    pairs = list(protocols)
    return [s for live, s in pairs if live] or [s for _, s in pairs]


def device_state(device: str, protocols: Mapping[str, ProtocolEntry], previous: DeviceState | None,
                 now: float) -> DeviceState:
    """Up unless every liveness protocol is down; when down, the reason of the first one."""
    states = liveness_states((p.liveness, p.state) for p in protocols.values())
    up = any(s.up for s in states)
    base = next(s for s in states if s.up) if up else states[0]
    last = max(s.last_poll for s in states)
    return _carry(device, dataclasses.replace(base, last_poll=last), up, previous, now)


def _carry(device: str, new: DeviceState, up: bool, previous: DeviceState | None, now: float) -> DeviceState:
    # A poller sees one poll; the store sees the history: when the state last flipped, and how many polls
    # in a row failed.
    flipped = previous is None or previous.up != up
    since = (new.last_poll or now) if flipped else previous.since
    failures = 0 if up else (1 if previous is None or previous.up else previous.consecutive_failures + 1)
    return dataclasses.replace(new, device=device, up=up, reason=None if up else new.reason,
                               detail="" if up else new.detail, since=since, consecutive_failures=failures)


def health_samples(state: DeviceState, protocols: Mapping[str, ProtocolEntry], maintenance: bool,
                   now: float) -> list[Sample]:
    """The collector's own view of a device, as catalogue samples."""
    out = [
        Sample("thdmon_device_up", (), 1.0 if state.up else 0.0, now),
        Sample("thdmon_device_maintenance", (), 1.0 if maintenance else 0.0, now),
    ]
    if not state.up and state.since:
        out.append(Sample("thdmon_device_down_since_timestamp_seconds", (), state.since, now))
    for name, entry in protocols.items():
        proto = (("protocol", name),)
        ps = entry.state
        out.append(Sample("thdmon_device_protocol_up", proto, 1.0 if ps.up else 0.0, now))
        if not ps.up:
            reason = ps.reason.value if ps.reason is not None else "error"
            out.append(Sample("thdmon_device_down_reason", (*proto, ("reason", reason)), 1.0, now))
        if ps.last_poll:
            out.append(Sample("thdmon_device_last_poll_timestamp_seconds", proto, ps.last_poll, now))
            out.append(Sample("thdmon_device_poll_duration_seconds", proto, ps.poll_duration, now))
    varbinds = sum(c.state.varbinds for p in protocols.values() for c in p.classes.values() if c.state.up)
    if varbinds:
        out.append(Sample("thdmon_device_poll_varbinds", (), float(varbinds), now))
    return out


def same_shape(samples: Sequence[Sample], previous: Series) -> Series | None:
    """The poll's series if they are, position by position, the previous poll's valid series (same metric,
    equal labels, a float value a counter may hold), else None.

    Then they are valid and unique already, and the previous poll's metric and label columns are kept
    as they are: no check, no index of keys, no new tuple. The steady state of every collector.
    """
    n = len(samples)
    if n > len(previous) or not n:
        return None
    p_metrics, p_labels = previous.metrics, previous.labels
    values, timestamps = array("d"), array("d")
    value, stamp = values.append, timestamps.append
    for i, s in enumerate(samples):
        v, metric, p = s.value, s.metric, p_labels[i]
        if (type(v) is not float or (p_metrics[i] is not metric and p_metrics[i] != metric)
                or (p is not s.labels and p != s.labels) or not (v >= 0 or metric not in COUNTERS)):
            return None
        value(v)
        stamp(s.timestamp)
    if n == len(previous):
        return Series(p_metrics, p_labels, values, timestamps)
    return Series(p_metrics[:n], p_labels[:n], values, timestamps)


def concat(parts: Sequence[Series]) -> Series:
    """Series end to end (their keys must not meet)."""
    if len(parts) == 1:
        return parts[0]
    values, timestamps = array("d"), array("d")
    for part in parts:
        values.extend(part.values)
        timestamps.extend(part.timestamps)
    return Series(tuple(itertools.chain.from_iterable(p.metrics for p in parts)),
                  tuple(itertools.chain.from_iterable(p.labels for p in parts)), values, timestamps)


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

    def update(self, device: str, result: PollResult, *, protocol: str = "snmp", part: str = "fast",
               maintenance: bool = False, liveness: bool = True) -> DeviceEntry:
        """Record one poll of `device` over `protocol` for interval class `part`; return the new entry."""
        now = self._clock()
        previous = self._entries.get(device)
        protocols = dict(previous.protocols) if previous else {}
        old = protocols.get(protocol)
        classes = dict(old.classes) if old else {}
        poll = dataclasses.replace(result.state, device=device)
        if not poll.up and poll.reason in SILENT:  # no answer over this protocol: none of its values stand
            classes = {name: ClassEntry(c.state, EMPTY) for name, c in classes.items()}
        before = classes.get(part)
        # A failed poll usually brings no samples; those it brings are facts of the failure (ICMP loss 1).
        classes[part] = ClassEntry(poll, self._valid(device, result.samples, before.series if before else EMPTY))
        protocols[protocol] = ProtocolEntry(protocol, protocol_state(device, classes, old.state if old else None,
                                                                     now), classes, liveness)
        state = device_state(device, protocols, previous.state if previous else None, now)
        entry = DeviceEntry(device, state, maintenance, self._merge(protocols, state, maintenance, now), protocols)
        with self._lock:
            self._entries[device] = entry
        self._notify(device)
        return entry

    @staticmethod
    def _merge(protocols: Mapping[str, ProtocolEntry], state: DeviceState, maintenance: bool,
               now: float) -> Series:
        parts = [cls.series for entry in protocols.values() for cls in entry.classes.values() if len(cls.series)]
        parts.append(Series.of(health_samples(state, protocols, maintenance, now)))
        names = [set(part.metrics) for part in parts]
        if sum(map(len, names)) == len(set().union(*names)):
            # Each part's keys are unique and no metric is in two parts (the usual case: a protocol's
            # classes poll different modules): the columns are simply put end to end.
            return concat(parts)
        # Keyed by series: a duplicate series would make Prometheus drop the scrape (the last one wins).
        merged = SeriesBuilder()
        put = merged.put
        for entry in protocols.values():
            for cls in entry.classes.values():
                c = cls.series
                for i, metric in enumerate(c.metrics):
                    put(metric, c.labels[i], c.values[i], c.timestamps[i])
        for s in health_samples(state, protocols, maintenance, now):
            put(s.metric, s.labels, s.value, s.timestamp)
        return merged.build()

    def set_maintenance(self, device: str, maintenance: bool) -> None:
        """Re-flag a device after an inventory reload without waiting for its next poll."""
        previous = self._entries.get(device)
        if previous is None or previous.maintenance == maintenance:
            return
        values = array("d", previous.series.values)
        for i, metric in enumerate(previous.series.metrics):
            if metric == "thdmon_device_maintenance":
                values[i] = 1.0 if maintenance else 0.0
        series = dataclasses.replace(previous.series, values=values)
        with self._lock:
            self._entries[device] = dataclasses.replace(previous, maintenance=maintenance, series=series)
        self._notify(device)

    def retain_protocols(self, device: str, protocols: Collection[str]) -> None:
        """Forget a device's protocols not in `protocols` (a reload removed the credential they need)."""
        previous = self._entries.get(device)
        if previous is None or set(previous.protocols) <= set(protocols):
            return
        kept = {name: e for name, e in previous.protocols.items() if name in protocols}
        if not kept:
            self.remove(device)
            return
        now = self._clock()
        state = device_state(device, kept, previous.state, now)
        entry = DeviceEntry(device, state, previous.maintenance, self._merge(kept, state, previous.maintenance, now),
                            kept)
        with self._lock:
            self._entries[device] = entry
        self._notify(device)

    def remove(self, device: str) -> None:
        with self._lock:
            gone = self._entries.pop(device, None)
        if gone is not None:
            self._notify(device)

    def get(self, device: str) -> DeviceEntry | None:
        return self._entries.get(device)

    def snapshot(self) -> list[DeviceEntry]:
        """A consistent list of the current entries (each immutable), safe to read from any thread."""
        with self._lock:
            return list(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def _valid(self, device: str, samples: Iterable[Sample], previous: Series) -> Series:
        """The exposable series (the last of a duplicate wins); the others counted and logged.

        A collector gives a device's series in the same order at every poll: a sample whose metric and
        labels are those of the previous poll's valid series at the same position has a valid shape
        already, and only a float value is checked (finite-or-not matters for counters only). Anything
        else takes the full check. ~650 samples a device each poll made the full check a visible share of
        serve's CPU; comparing by position keeps no per-series index between polls.

        The previous poll's label tuple is kept for such a series (the poll's own copy is let go), and
        equal label tuples of one poll are made one (a table row's labels, shared by its columns): the
        store holds one label tuple per row for the life of the device, not one per series per poll.
        """
        if isinstance(samples, Sequence):
            same = same_shape(samples, previous)
            if same is not None:
                return same
        valid = SeriesBuilder()
        put = valid.put
        shared: dict[Labels, Labels] = {}
        known = len(previous)
        p_metrics, p_labels = previous.metrics, previous.labels
        for i, s in enumerate(samples):
            v = s.value
            label: Labels | None = None
            if i < known and type(v) is float and (v >= 0 or s.metric not in COUNTERS) and p_metrics[i] == s.metric:
                p = p_labels[i]
                if p is s.labels or p == s.labels:
                    label = p
            if label is None:
                problem = sample_problem(s)
                if problem is not None:
                    self.rejected_samples += 1
                    if (device, s.metric) not in self._warned:  # once per device and metric, not once per poll
                        self._warned.add((device, s.metric))
                        log.warning("event=sample_rejected device=%s metric=%s problem=%r", device, s.metric,
                                    problem)
                    continue
                label = shared.setdefault(s.labels, s.labels)
            put(s.metric, label, v, s.timestamp)
        return valid.build()

    def _notify(self, device: str) -> None:
        for listener in self._listeners:
            listener(device)
