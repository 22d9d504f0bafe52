"""The polling schedule: one APScheduler job per (device, protocol, interval class), reconciled on reload.

Design decisions:
- Phase, not random jitter: a device's polls fall at `t = offset (mod interval)` in epoch seconds, the
  offset coming from sha1(hostname/class). Load is spread evenly, and a restart keeps the spread (a
  device polled at :17 keeps being polled at :17, so counters' rate windows stay regular).
- The trigger is a fixed cadence, so the next run comes `interval - runtime` after a poll ends.
  `max_instances=1` + `coalesce`: a device is never polled twice at once; a run that finds the previous
  one still going is skipped and counted as a misfire, like a run the loop was too busy to start.
- Every poll runs under an asyncio timeout (the watchdog): a stuck engine marks the device down with
  reason timeout instead of silently freezing its job.
- The job reads the device from `self._devices` at run time, so a reload that changes an address or a
  credential takes effect at the next poll without touching the job or the stored state.
- Every protocol is a registered `collector.poller.Poller`; a device gets the jobs of the protocols that
  want it (SNMP needs an SNMP credential; ICMP takes every device), on each protocol's classes.
- One concurrency bound for every poll of every protocol (`collector.limits.ConcurrencyLimiter`, AIMD): it
  sees each poll's result, so a burst of failures halves it.
- A device whose poll fails over a protocol goes into jittered exponential backoff for that protocol
  (`collector.limits.DeviceBackoff`, keyed (device, protocol), all classes): its scheduled polls are
  skipped (counted as `backed_off`, not as failures) until the backoff expires, while the store keeps
  reporting it down with its reason. The first success ends it.
- A triggered poll (a trap: the device is talking) is never held back by the backoff, but at most one per
  device and protocol every `trigger_interval` seconds runs: forged or flapping traps cannot turn into a
  flood of polls (the others are counted as throttled).
- A device going down has its uplink chain's devices (the sites up its inventory `uplink` chain, this
  collector's share of them) re-polled at once over the quick protocols (ICMP, SNMP), through the same
  throttled trigger. The roll-up decides `down` (page) against `unreachable` (the cause is upstream) from
  the latest states; without this the uplink sites' evidence could be a poll interval older than the
  failure, and a collège behind a failed PoP would page for a poll interval before the PoP does.
- Cross-protocol confirmation: a liveness protocol (SNMP, ICMP) failing on a device that is still up (the
  protocol just went down, the other still answered at its last poll) has the device's other liveness
  protocols polled at once, through the same throttled trigger. The device-level rule waits for every
  liveness protocol to fail; without this it waited for the slower schedule (SNMP's 60 s after ICMP's
  30 s), with it the device is judged within one timeout of the first protocol noticing. A protocol that
  stays down does not re-trigger at each failed poll.
- The log says what changed, not what happened: one line per device state change, and one summary per
  period of misfires, backoff skips and failures (`collector.events`); the per-event lines are DEBUG.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from collector.events import PollEvents, quiet_apscheduler, state_changes
from collector.limits import DEFAULT_CONCURRENCY, ConcurrencyLimiter, DeviceBackoff
from collector.model import DeviceState, DownReason, PollResult
from collector.poller import Poller
from collector.sites import uplink_chain
from collector.store import Store
from inventory.model import Device, Profile, Site

log = logging.getLogger(__name__)

IntervalClass = Literal["fast", "slow", "icmp", "config", "facts"]
# Protocols re-polled on the uplink chain of a device that went down: those whose first class is a
# liveness check answering within seconds (SSH's first class is a configuration backup, minutes long).
UPSTREAM_PROTOCOLS = ("icmp", "snmp")


class PollObserver(Protocol):
    def polled(self, protocol: str, result: PollResult, duration: float, watchdog: bool) -> None: ...

    def misfired(self, protocol: str) -> None: ...

    def backed_off(self, protocol: str) -> None: ...

    def triggered(self, protocol: str, ran: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class Defaults:
    """Intervals when neither the device nor its profile sets one (settings.collector)."""

    fast: float = 60.0
    slow: float = 300.0
    icmp: float = 30.0
    config: float = 86400.0  # SSH configuration backup: daily
    facts: float = 3600.0  # SSH CLI facts: hourly


@dataclass(slots=True)
class SyncReport:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)  # job ids whose interval changed


def interval_of(device: Device, cls: str, profiles: Mapping[str, Profile], defaults: Defaults) -> float:
    """Device override, else its profile's, else the default."""
    own = getattr(device.intervals, cls)
    if own is not None:
        return float(own)
    profile = profiles.get(device.profile) if device.profile else None
    if profile is not None and getattr(profile.intervals, cls) is not None:
        return float(getattr(profile.intervals, cls))
    return getattr(defaults, cls)


def phase_offset(hostname: str, cls: str, interval: float) -> float:
    """Stable offset in [0, interval): from sha1, never Python's per-process salted hash()."""
    digest = int.from_bytes(hashlib.sha1(f"{hostname}/{cls}".encode(), usedforsecurity=False).digest()[:8], "big")
    return (digest % 1_000_000) / 1_000_000 * interval


def first_run(hostname: str, cls: str, interval: float, now: float) -> float:
    """The first poll time >= now on the device's phase."""
    offset = phase_offset(hostname, cls, interval)
    base = (now - offset) // interval * interval + offset
    return base if base >= now else base + interval


class Scheduler:
    """Polls devices on their intervals, by every protocol, and records every result in the store."""

    def __init__(self, pollers: Sequence[Poller], store: Store, *, defaults: Defaults = Defaults(),
                 observer: PollObserver | None = None, watchdog_ratio: float = 0.8,
                 concurrency: int = DEFAULT_CONCURRENCY, backoff: DeviceBackoff | None = None,
                 trigger_interval: float = 10.0,
                 today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date(),
                 clock: Callable[[], float] = time.time) -> None:
        self._pollers = {p.protocol: p for p in pollers}
        self._store = store
        self._defaults = defaults
        self._observer = observer
        self._watchdog_ratio = watchdog_ratio
        self.limiter = ConcurrencyLimiter(concurrency)
        self._trigger_interval = trigger_interval
        self._today = today
        self._clock = clock
        self.backoff = backoff if backoff is not None else DeviceBackoff()
        self._devices: dict[str, Device] = {}
        self._sites: dict[str, Site] = {}
        self._by_site: dict[str, list[str]] = {}  # site id -> hostnames scheduled here
        self._profiles: dict[str, Profile] = {}
        self._intervals: dict[str, float] = {}  # job id -> seconds
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._inflight: set[str] = set()  # job ids being polled (scheduled or triggered)
        self._last_trigger: dict[tuple[str, str], float] = {}
        self._aps: AsyncIOScheduler | None = None
        self.events = PollEvents()

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Start on the running event loop (call from a coroutine)."""
        quiet_apscheduler()  # its per-run misfire warnings are counted in events' summaries instead
        self._aps = AsyncIOScheduler(timezone=dt.UTC, event_loop=asyncio.get_running_loop())
        self._aps.add_listener(self._on_misfire, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self._aps.start()
        for job_id, interval in self._intervals.items():
            self._add_job(job_id, interval)

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop scheduling; let running polls finish for `grace` seconds, then cancel them."""
        self._stopping = True
        # Paused, not shut down yet: APScheduler's asyncio executor cancels the running jobs when it shuts
        # down, which would leave no grace at all.
        if self._aps is not None and self._aps.running:
            self._aps.pause()
        running = list(self._running)
        if running:
            _, pending = await asyncio.wait(running, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
                log.warning("event=shutdown_cancelled_polls count=%d", len(pending))
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)

    # -- inventory ---------------------------------------------------------------------------------
    @property
    def devices(self) -> Mapping[str, Device]:
        return self._devices

    @property
    def protocols(self) -> tuple[str, ...]:
        return tuple(self._pollers)

    def job_ids(self) -> list[str]:
        return sorted(self._intervals)

    def interval(self, job_id: str) -> float:
        return self._intervals[job_id]

    def intervals(self) -> dict[str, float]:
        """Job id -> seconds, for every scheduled job."""
        return dict(self._intervals)

    def sync(self, devices: Mapping[str, Device], profiles: Mapping[str, Profile],
             sites: Mapping[str, Site] | None = None) -> SyncReport:
        """Make the jobs match `devices` (already filtered: enabled, this shard). Others keep their state.

        `sites` (the inventory's) gives the uplink chains re-polled when a device goes down; without it
        nothing is re-polled."""
        report = SyncReport()
        wanted = {h: d for h, d in devices.items() if d.enabled}
        old = self._devices
        self._profiles = dict(profiles)
        self._sites = dict(sites or {})
        self._by_site = {}
        for hostname in sorted(wanted):
            self._by_site.setdefault(wanted[hostname].site, []).append(hostname)
        report.removed = sorted(h for h in old if h not in wanted)
        report.added = sorted(h for h in wanted if h not in old)
        report.changed = sorted(h for h in wanted if h in old and old[h] != wanted[h])
        self._devices = dict(wanted)
        intervals = {job_id(h, poller.protocol, cls): interval_of(d, cls, self._profiles, self._defaults)
                     for poller in self._pollers.values() for h, d in wanted.items() if poller.wants(d)
                     for cls in poller.classes}
        for job in [j for j in self._intervals if j not in intervals]:
            self._remove_job(job)
        for job, seconds in intervals.items():
            if job not in self._intervals:
                self._add_job(job, seconds)
            elif self._intervals[job] != seconds:
                self._remove_job(job)
                self._add_job(job, seconds)
                report.rescheduled.append(job)
        self._intervals = intervals
        for hostname in report.removed:
            self._store.remove(hostname)
            self._forget_backoff(hostname)  # a device added back later starts afresh
        today = self._today()
        for hostname in report.changed:
            kept = {p.protocol for p in self._pollers.values() if p.wants(wanted[hostname])}
            self._store.retain_protocols(hostname, kept)  # e.g. its SNMP credential was removed
            self._store.set_maintenance(hostname, wanted[hostname].in_maintenance(today))
            self._forget_backoff(hostname)  # a fixed address or credential is tried at the next poll
        return report

    def _forget_backoff(self, hostname: str) -> None:
        for protocol in self._pollers:
            self.backoff.success((hostname, protocol))

    def trigger(self, hostname: str, protocol: str = "snmp") -> bool:
        """Poll a device's first class of `protocol` now (e.g. after a linkDown trap), from the loop's thread.

        A one-off task rather than moving the job's next run: the job keeps its phase. If the device is
        being polled already, or was triggered less than `trigger_interval` seconds ago, nothing more
        happens. False if nothing was started.
        """
        poller = self._pollers.get(protocol)
        if self._aps is None or poller is None:
            return False
        cls = poller.classes[0]
        if job_id(hostname, protocol, cls) not in self._intervals:
            return False
        now = time.monotonic()
        last = self._last_trigger.get((hostname, protocol))
        ran = last is None or now - last >= self._trigger_interval
        if self._observer is not None:
            self._observer.triggered(protocol, ran)
        if not ran:
            return False
        self._last_trigger[(hostname, protocol)] = now
        task = asyncio.get_running_loop().create_task(self.run_job(hostname, protocol, cls, scheduled=False))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return True

    def confirm(self, device: Device, failed: str) -> list[str]:
        """Poll now `device`'s liveness protocols other than `failed`; returns the protocols started.

        Called when `failed` (a liveness protocol) has just gone down on a device still up: the device is
        down only once every liveness protocol fails, and asking the others now, rather than at their own
        phase up to an interval later, settles it within a timeout. `trigger` throttles, as for traps.
        """
        started = [p.protocol for p in self._pollers.values()
                   if p.liveness and p.protocol != failed and self.trigger(device.hostname, p.protocol)]
        if started:
            log.debug("event=confirm device=%s failed=%s polls=%s", device.hostname, failed, ",".join(started))
        return started

    def refresh_upstream(self, device: Device) -> list[tuple[str, str]]:
        """Re-poll now the devices of the sites up `device`'s uplink chain (this collector's), over
        `UPSTREAM_PROTOCOLS`; returns the (hostname, protocol) polls started.

        Called when `device` goes down: whether its site is `down` or `unreachable` is then judged on
        states of the uplink sites taken after the failure. Nearest site first, so the PoP's answer comes
        before the data centre's. `trigger` throttles: a site of fifty devices going down re-polls each
        upstream device once, and an upstream device polled within `trigger_interval` is not polled again.
        """
        started = [(hostname, protocol) for site in uplink_chain(device.site, self._sites)
                   for hostname in self._by_site.get(site, ()) for protocol in UPSTREAM_PROTOCOLS
                   if self.trigger(hostname, protocol)]
        if started:
            log.debug("event=upstream_refresh device=%s site=%s polls=%d", device.hostname, device.site, len(started))
        return started

    # -- jobs --------------------------------------------------------------------------------------
    def _add_job(self, job: str, interval: float) -> None:
        self._intervals[job] = interval
        if self._aps is None:
            return  # added at start()
        hostname, protocol, cls = split_job_id(job)
        start = first_run(hostname, f"{protocol}/{cls}", interval, self._clock())
        trigger = IntervalTrigger(seconds=interval, start_date=dt.datetime.fromtimestamp(start, dt.UTC),
                                  timezone=dt.UTC)
        # A run more than half an interval late is better skipped (and counted) than run in a burst.
        self._aps.add_job(self.run_job, trigger, args=(hostname, protocol, cls), id=job, name=job,
                          max_instances=1, coalesce=True, misfire_grace_time=max(1, int(interval / 2)),
                          replace_existing=True)

    def _remove_job(self, job: str) -> None:
        self._intervals.pop(job, None)
        if self._aps is not None and self._aps.get_job(job) is not None:
            self._aps.remove_job(job)

    def _on_misfire(self, event: JobEvent) -> None:
        kind = "missed" if event.code == EVENT_JOB_MISSED else "still_running"
        log.debug("event=misfire job=%s kind=%s", event.job_id, kind)
        self.events.misfired(kind)
        if self._observer is not None:
            self._observer.misfired(split_job_id(event.job_id)[1])

    async def run_job(self, hostname: str, protocol: str, cls: str, scheduled: bool = True) -> None:
        """One run of a device's job (what APScheduler calls), or a triggered poll (`scheduled=False`)."""
        job = job_id(hostname, protocol, cls)
        if job in self._inflight:  # a triggered poll and the scheduled one met: one is enough
            if scheduled:
                self.events.misfired("busy")
                if self._observer is not None:
                    self._observer.misfired(protocol)
            return
        if scheduled and not self.backoff.allowed((hostname, protocol)):
            log.debug("event=backoff_skip device=%s protocol=%s class=%s failures=%d", hostname, protocol, cls,
                      self.backoff.failures((hostname, protocol)))
            self.events.backed_off(protocol)
            if self._observer is not None:
                self._observer.backed_off(protocol)
            return
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        self._inflight.add(job)
        try:
            await self.poll(hostname, protocol, cls)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # Cut short by shutdown() after its grace period, which says how many in one warning: not
            # an error of the job (APScheduler would log a traceback per poll). The task ends here.
            log.debug("event=poll_cancelled_at_shutdown device=%s protocol=%s class=%s", hostname, protocol, cls)
        finally:
            self._inflight.discard(job)
            self._running.discard(task)

    async def poll(self, hostname: str, protocol: str, cls: str) -> PollResult | None:
        """One guarded poll: bounded in time, never raising; None if the device left meanwhile."""
        device = self._devices.get(hostname)
        poller = self._pollers[protocol]
        if device is None:
            return None
        interval = self._intervals.get(job_id(hostname, protocol, cls), getattr(self._defaults, cls, 60.0))
        watchdog = max(1.0, interval * self._watchdog_ratio)
        await self.limiter.acquire()
        started = time.monotonic()
        expired = False
        result: PollResult | None = None
        try:
            # asyncio.timeout, not wait_for: the poll runs in this task, not in one more per poll.
            async with asyncio.timeout(watchdog):
                result = await poller.poll(device, cls)
        except TimeoutError:
            expired = True
            result = self._failure(hostname, DownReason.timeout, f"poll exceeded the {watchdog:g} s watchdog")
            # counted in the period's summary (watchdog=N); the device_down line names the watchdog once
            log.debug("event=watchdog device=%s protocol=%s class=%s seconds=%g", hostname, protocol, cls, watchdog)
        except Exception as exc:
            result = self._failure(hostname, DownReason.error, type(exc).__name__)
            log.exception("event=poll_crashed device=%s protocol=%s class=%s", hostname, protocol, cls)
        finally:
            # The bound sees every result: failures (and a cancelled poll) count against it.
            self.limiter.release(result is not None and result.state.up)
        duration = time.monotonic() - started
        if not result.state.poll_duration:
            result.state.poll_duration = duration
        if not result.state.last_poll:
            result.state.last_poll = self._clock()
        current = self._devices.get(hostname)
        if current is None:
            return None  # removed while polling: do not resurrect it in the store
        before = self._store.get(hostname)
        entry = self._store.update(hostname, result, protocol=protocol, part=cls,
                                   maintenance=current.in_maintenance(self._today()),
                                   liveness=self._pollers[protocol].liveness)
        old_protocol = before.protocols.get(protocol) if before is not None else None
        state_changes(hostname, current.site, before.state if before is not None else None, entry.state, protocol,
                      old_protocol.state if old_protocol is not None else None, entry.protocols[protocol].state,
                      self._clock())
        if not entry.state.up and (before is None or before.state.up):
            self.refresh_upstream(current)
        elif (entry.state.up and not entry.protocols[protocol].state.up and entry.protocols[protocol].liveness
              and (old_protocol is None or old_protocol.state.up)):
            self.confirm(current, protocol)
        key = (hostname, protocol)
        if result.state.up:
            self.backoff.success(key)
        else:
            delay = self.backoff.failure(key)
            log.debug("event=backoff device=%s protocol=%s failures=%d retry_in=%.1f", hostname, protocol,
                      self.backoff.failures(key), delay)
        self.events.polled(protocol, cls, result.state.up, duration, result.state.varbinds, expired)
        if self._observer is not None:
            self._observer.polled(protocol, result, duration, expired)
        return result

    def _failure(self, hostname: str, reason: DownReason, detail: str) -> PollResult:
        return PollResult([], DeviceState(device=hostname, up=False, reason=reason, detail=detail,
                                          last_poll=self._clock()))


def job_id(hostname: str, protocol: str, cls: str) -> str:
    return f"{hostname}/{protocol}/{cls}"


def split_job_id(job: str) -> tuple[str, str, str]:
    """(hostname, protocol, class); hostnames never hold a slash (inventory pattern)."""
    hostname, protocol, cls = job.split("/")
    return hostname, protocol, cls
