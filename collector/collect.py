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
from inventory.model import Device


@dataclass(slots=True)
class CollectReport:
    results: dict[str, dict[str, PollResult]] = field(default_factory=dict)  # hostname -> protocol -> result
    duration: float = 0.0

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
                       deadline: float | None = None,
                       on_done: Callable[[str, str, PollResult], None] | None = None) -> CollectReport:
    """Poll every device once by each poller that wants it (all its classes at once); close the pollers.

    `deadline` (seconds) bounds each device-poll, whatever the device does: a poll cut short reports the
    device down with reason timeout.
    """
    limiter = ConcurrencyLimiter(concurrency)
    report = CollectReport()
    t0 = time.monotonic()

    async def one(device: Device, poller: Poller) -> None:
        async with limiter.slot():
            try:
                async with asyncio.timeout(deadline):
                    result = await poller.poll(device, None)
            except TimeoutError:
                now = time.time()
                result = PollResult([], DeviceState(device=device.hostname, up=False, reason=DownReason.timeout,
                                                    detail=f"poll exceeded the {deadline:g} s deadline",
                                                    last_poll=now))
        report.results.setdefault(device.hostname, {})[poller.protocol] = result
        if on_done is not None:
            on_done(device.hostname, poller.protocol, result)

    try:
        await asyncio.gather(*(one(d, p) for d in devices for p in pollers if p.wants(d)))
    finally:
        for poller in pollers:
            await poller.close()
    report.duration = time.monotonic() - t0
    report.results = {h: dict(sorted(r.items())) for h, r in sorted(report.results.items())}
    return report
