"""The operational log of the polling service: what a network engineer reads on day one.

- One line per change of a device's state, not per poll: `event=device_down` at WARNING (site,
  protocol, reason) when the device-level rule flips it down (collector/store.py), `event=device_up`
  at INFO with how long it was down; a protocol flipping while the device stays up is one INFO line
  (`protocol_down` / `protocol_up`).
- Misfires, backoff skips, failed polls and watchdog expiries are counted and logged as **one summary
  line per period** (`event=poll_summary`), never one line per event: on a loaded collector those
  events come by thousands a minute and would bury the state changes. APScheduler's own warnings for
  the same misfires are dropped (`quiet_apscheduler`): they are counted here.
- The second summary (the first period to start with the service already polling) also carries the load
  measured over its period (polls and varbinds per second,
  mean poll duration per class, misfires), checked against the concurrency by `collector.capacity`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from collector.model import DeviceState

log = logging.getLogger("collector.events")


def duration_text(seconds: float) -> str:
    """`3h07m12s`, `4m05s`, `12s`: an outage length people read at a glance."""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h}h{m:02d}m{sec:02d}s"
    return f"{m}m{sec:02d}s" if m else f"{sec}s"


def state_changes(hostname: str, site: str, before: DeviceState | None, after: DeviceState,
                  protocol: str, protocol_before: DeviceState | None, protocol_after: DeviceState,
                  now: float) -> None:
    """Log what changed between two states of a device after a poll over `protocol`."""
    was_up = before.up if before is not None else None
    if after.up != was_up:
        if not after.up:
            reason = after.reason.value if after.reason is not None else "error"
            log.warning("event=device_down device=%s site=%s protocol=%s reason=%s detail=%r", hostname, site,
                        protocol, reason, after.detail)
            return
        if before is not None:  # a device found up at its first poll is not news
            log.info("event=device_up device=%s site=%s down_for=%s down_seconds=%.0f", hostname, site,
                     duration_text(now - before.since), now - before.since)
        return
    if protocol_before is not None and protocol_before.up != protocol_after.up:
        if protocol_after.up:
            log.info("event=protocol_up device=%s site=%s protocol=%s down_for=%s", hostname, site, protocol,
                     duration_text(now - protocol_before.since))
        else:
            reason = protocol_after.reason.value if protocol_after.reason is not None else "error"
            log.info("event=protocol_down device=%s site=%s protocol=%s reason=%s", hostname, site, protocol,
                     reason)


@dataclass(slots=True)
class ClassLoad:
    """Polls of one (protocol, class) seen over a period."""

    polls: int = 0
    seconds: float = 0.0  # summed poll durations
    varbinds: int = 0


@dataclass(slots=True)
class PollEvents:
    """Counts of one summary period; `flush` logs them as one line and starts the next period."""

    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    ok: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    watchdog: Counter[str] = field(default_factory=Counter)
    misfires: Counter[str] = field(default_factory=Counter)  # by kind: missed, still_running, busy
    backoff_skips: Counter[str] = field(default_factory=Counter)
    load: dict[tuple[str, str], ClassLoad] = field(default_factory=dict)
    periods: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()

    def polled(self, protocol: str, cls: str, up: bool, duration: float, varbinds: int, watchdog: bool) -> None:
        (self.ok if up else self.failed)[protocol] += 1
        if watchdog:
            self.watchdog[protocol] += 1
        entry = self.load.setdefault((protocol, cls), ClassLoad())
        entry.polls += 1
        entry.seconds += duration
        entry.varbinds += varbinds

    def misfired(self, kind: str) -> None:
        self.misfires[kind] += 1

    def backed_off(self, protocol: str) -> None:
        self.backoff_skips[protocol] += 1

    def flush(self, devices: int, down: int, in_backoff: int) -> tuple[float, dict[tuple[str, str], ClassLoad], int]:
        """Log the period's summary (WARNING when polls were skipped for lack of capacity); return the
        period's length, the load seen in it and its misfires."""
        now = self.clock()
        seconds = max(now - self.started, 1e-9)
        misfires = sum(self.misfires.values())
        level = logging.WARNING if misfires else logging.INFO
        log.log(level, "event=poll_summary period_seconds=%.0f devices=%d down=%d in_backoff=%d polls_ok=%d "
                "polls_failed=%d watchdog=%d misfires=%d misfires_by_kind=%s backoff_skips=%d", seconds, devices,
                down, in_backoff, sum(self.ok.values()), sum(self.failed.values()), sum(self.watchdog.values()),
                misfires, _pairs(self.misfires), sum(self.backoff_skips.values()))
        load = dict(self.load)
        self.periods += 1
        self.started = now
        for c in (self.ok, self.failed, self.watchdog, self.misfires, self.backoff_skips):
            c.clear()
        self.load = {}
        return seconds, load, misfires


def _pairs(counts: Counter[str]) -> str:
    return ",".join(f"{k}:{v}" for k, v in sorted(counts.items())) or "-"


class QuietApscheduler(logging.Filter):
    """Drops APScheduler's per-run misfire warnings: the scheduler counts them into the summary."""

    NOISE = ("was missed by", "maximum number of running instances")

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno <= logging.WARNING and any(n in str(record.msg) for n in self.NOISE))


def quiet_apscheduler() -> None:
    noise = QuietApscheduler()
    for name in ("apscheduler.executors.default", "apscheduler.scheduler"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietApscheduler) for f in logger.filters):
            logger.addFilter(noise)
