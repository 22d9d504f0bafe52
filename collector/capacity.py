"""Can the configured concurrency poll what the inventory asks for, at the intervals it asks for?

By Little's law, polls running at once = polls per second x seconds per poll. The schedule gives the
first factor exactly (one job per device, protocol and class, each on its interval); the second is
assumed at start-up (`ASSUMED_SECONDS`, typical of the lab's SNMP agents and of an ICMP probe) and
measured over a summary period. When the product exceeds `collector.concurrency`, polls queue behind
the bound, start late and are skipped as misfires: this says so once, with the intervals (or the
concurrency) that would fit, instead of letting thousands of misfires say it line by line. Misfires seen
in the measured period are evidence on their own: a mean poll time hides one slow device holding the
bound while the others queue, a skipped poll does not.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass

from collector.events import ClassLoad

log = logging.getLogger("collector.capacity")

# Seconds per poll until measured: an SNMP fast poll (IF-MIB of a switch) ~1 s, a slow one walks more
# tables; an ICMP probe sends its echoes a second apart (icmp_count, 3 by default).
ASSUMED_SECONDS: dict[str, float] = {"fast": 1.0, "slow": 2.0, "icmp": 3.0}
HEADROOM = 0.8  # busy beyond 80 % of the bound, a burst of slow polls already makes misfires


@dataclass(frozen=True, slots=True)
class ClassPlan:
    protocol: str
    cls: str
    jobs: int
    interval: float  # the median interval of the class's jobs
    polls_per_second: float
    seconds_per_poll: float
    measured: bool
    varbinds_per_second: float | None = None  # known once measured
    polls_seen: int = 0  # polls completed in the measured period

    @property
    def busy(self) -> float:
        """Polls of this class running at once, on average."""
        return self.polls_per_second * self.seconds_per_poll


def plan(intervals: Mapping[str, float], measured: Mapping[tuple[str, str], ClassLoad] | None = None,
         period: float = 0.0) -> list[ClassPlan]:
    """Per (protocol, class): jobs, rate and poll time, from job ids `device/protocol/class` -> seconds."""
    by_class: dict[tuple[str, str], list[float]] = {}
    for job, seconds in intervals.items():
        _, protocol, cls = job.split("/")
        by_class.setdefault((protocol, cls), []).append(seconds)
    out = []
    for (protocol, cls), values in sorted(by_class.items()):
        rate = sum(1.0 / s for s in values)
        seen = (measured or {}).get((protocol, cls))
        if seen is not None and seen.polls:
            out.append(ClassPlan(protocol, cls, len(values), statistics.median(values), rate,
                                 seen.seconds / seen.polls, True,
                                 seen.varbinds / period if period > 0 else None, seen.polls))
        else:
            out.append(ClassPlan(protocol, cls, len(values), statistics.median(values), rate,
                                 ASSUMED_SECONDS.get(cls, 1.0), False))
    return out


def demand(plans: list[ClassPlan], concurrency: int, misfires: int = 0) -> float:
    """Polls that would run at once if none were skipped."""
    busy = sum(p.busy for p in plans)
    if not misfires:
        return busy
    # A misfire is a poll the bound could not start in time: the bound was full, and it served only
    # `served` of the `served + misfires` polls asked for.
    served = sum(p.polls_seen for p in plans)
    return max(busy, float(concurrency)) * (served + misfires) / max(served, 1)


def suggestion(plans: list[ClassPlan], concurrency: int, misfires: int = 0) -> str:
    """'' when the load fits; otherwise the intervals (or the concurrency) that would make it fit."""
    busy = demand(plans, concurrency, misfires)
    if busy <= concurrency * HEADROOM:
        return ""
    factor = busy / (concurrency * HEADROOM)
    intervals = ", ".join(f"{p.protocol} {p.cls} >= {_round_up(p.interval * factor)} s" for p in plans)
    return (f"intervals {intervals}, or collector.concurrency >= {math.ceil(busy / HEADROOM)} "
            "(if the devices and this host can take it)")


def _round_up(seconds: float) -> int:
    return int(math.ceil(seconds / 5.0) * 5)


def report(plans: list[ClassPlan], concurrency: int, stage: str, misfires: int = 0) -> bool:
    """Log the load per class and the verdict; True when it fits. `stage`: start (assumed) or measured,
    with the misfires seen in the measured period."""
    for p in plans:
        varbinds = f"{p.varbinds_per_second:.0f}" if p.varbinds_per_second is not None else "unknown"
        log.info("event=polling_load stage=%s protocol=%s class=%s jobs=%d interval_seconds=%g "
                 "polls_per_second=%.2f seconds_per_poll=%.2f measured=%s varbinds_per_second=%s busy=%.1f", stage,
                 p.protocol, p.cls, p.jobs, p.interval, p.polls_per_second, p.seconds_per_poll,
                 "yes" if p.measured else "no", varbinds, p.busy)
    advice = suggestion(plans, concurrency, misfires)
    busy = demand(plans, concurrency, misfires)
    if advice:
        # Polls would queue behind the bound, start late and be skipped as misfires.
        log.warning("event=polling_over_capacity stage=%s busy=%.1f concurrency=%d misfires=%d effect=misfires "
                    "suggested=%r", stage, busy, concurrency, misfires, advice)
        return False
    log.info("event=polling_capacity_ok stage=%s busy=%.1f concurrency=%d misfires=%d", stage, busy, concurrency,
             misfires)
    return True
