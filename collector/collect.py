"""One collection pass (`thdmon collect --once`): every selected device, by every registered protocol
that applies to it, concurrently, each device-poll in one slot of the concurrency bound.

A dead or slow device costs its own timeout in one slot and never holds up the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from collector.limits import DEFAULT_CONCURRENCY, ConcurrencyLimiter
from collector.model import DeviceState, DownReason, PollResult
from collector.poller import Poller
from collector.store import liveness_states
from inventory.model import Device


@dataclass(slots=True)
class CollectReport:
    results: dict[str, dict[str, PollResult]] = field(default_factory=dict)  # hostname -> protocol -> result
    duration: float = 0.0
    liveness: dict[str, bool] = field(default_factory=dict)  # protocol -> its poller's `liveness`

    def device_up(self, hostname: str) -> bool:
        """The device-level rule of the store (collector/store.py), over this pass's results."""
        by_protocol = self.results[hostname]
        return any(s.up for s in liveness_states((self.liveness.get(p, True), r.state)
                                                 for p, r in by_protocol.items()))

    def protocols(self) -> list[str]:
        return sorted({p for r in self.results.values() for p in r})

    def up(self, protocol: str) -> list[str]:
        return [name for name, r in self.results.items() if protocol in r and r[protocol].state.up]

    def down_by_reason(self, protocol: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.results.values():
            result = r.get(protocol)
            if result is not None and not result.state.up and result.state.reason is not None:
                counts[result.state.reason.value] = counts.get(result.state.reason.value, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def varbinds(self) -> int:
        return sum(res.state.varbinds for r in self.results.values() for res in r.values())


async def collect_once(devices: Iterable[Device], pollers: list[Poller], *, concurrency: int = DEFAULT_CONCURRENCY,
                       deadline: float | None = None, total_deadline: float | None = None,
                       on_done: Callable[[str, str, PollResult], None] | None = None) -> CollectReport:
    """Poll every device once by each poller that wants it (all its classes at once); close the pollers.

    `deadline` (seconds) bounds each device-poll, whatever the device does: a poll cut short reports the
    device down with reason timeout. `total_deadline` bounds the whole pass: the polls still running or
    waiting for a slot then are cut and reported down with reason timeout, and the pass ends.
    """
    limiter = ConcurrencyLimiter(concurrency)
    report = CollectReport()
    t0 = time.monotonic()

    def record(device: Device, poller: Poller, result: PollResult) -> None:
        report.results.setdefault(device.hostname, {})[poller.protocol] = result
        report.liveness[poller.protocol] = poller.liveness
        if on_done is not None:
            on_done(device.hostname, poller.protocol, result)

    async def one(device: Device, poller: Poller) -> None:
        async with limiter.slot():
            try:
                async with asyncio.timeout(deadline):
                    result = await poller.poll(device, None)
            except TimeoutError:
                result = _timed_out(device, f"poll exceeded the {deadline:g} s deadline")
        record(device, poller, result)

    jobs = {asyncio.ensure_future(one(d, p)): (d, p) for d in devices for p in pollers if p.wants(d)}
    try:
        if jobs:
            _, late = await asyncio.wait(jobs, timeout=total_deadline)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            for task in late:
                device, poller = jobs[task]
                record(device, poller, _timed_out(device, f"the pass exceeded its {total_deadline:g} s deadline"))
            for task in jobs:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
    finally:
        for poller in pollers:
            await poller.close()
    report.duration = time.monotonic() - t0
    report.results = {h: dict(sorted(r.items())) for h, r in sorted(report.results.items())}
    return report


def _timed_out(device: Device, detail: str) -> PollResult:
    return PollResult([], DeviceState(device=device.hostname, up=False, reason=DownReason.timeout, detail=detail,
                                      last_poll=time.time()))
