"""The ICMP poller: N echo requests per probe, every device of the inventory, on its own interval.

Sockets: a raw ICMP socket when the process may open one (root, or CAP_NET_RAW: what the systemd unit
grants), else an unprivileged datagram ICMP socket (the kernel allows them to the groups in
`net.ipv4.ping_group_range`); `icmp_mode()` finds out once, at start-up, and says what to do when
neither works. Every probe goes through one socket read by one callback (`prober.Prober`), never a
thread or a socket per device; each probe holds one slot of the scheduler's concurrency bound like any
poll.
"""

from __future__ import annotations

import statistics
import time
from typing import Literal

import icmplib
from icmplib.exceptions import SocketPermissionError

from collector.errors import CollectorError
from collector.icmp.prober import Prober
from collector.model import DeviceState, DownReason, PollResult, Sample
from collector.poller import PollerOptions
from inventory.model import Device, Inventory

Mode = Literal["raw", "datagram"]


def icmp_mode() -> Mode:
    """Which ICMP sockets this process may open; CollectorError (what to do) when none."""
    for privileged, mode in ((True, "raw"), (False, "datagram")):
        try:
            icmplib.ICMPv4Socket(privileged=privileged).close()
        except SocketPermissionError:
            continue
        return mode  # type: ignore[return-value]
    raise CollectorError(
        "ICMP: this process may open neither raw ICMP sockets (needs CAP_NET_RAW: "
        "`AmbientCapabilities=CAP_NET_RAW` in the systemd unit, or `setcap cap_net_raw+ep` on the Python "
        "binary) nor unprivileged ICMP sockets (its group must be in net.ipv4.ping_group_range, e.g. "
        "`sysctl net.ipv4.ping_group_range='0 2147483647'`); or leave ICMP out of collector.protocols")


def probe_samples(rtts: list[float], sent: int, now: float) -> list[Sample]:
    out = [Sample("thdmon_device_icmp_up", (), 1.0 if rtts else 0.0, now),
           Sample("thdmon_device_icmp_loss_ratio", (), 1.0 - len(rtts) / sent, now)]
    if rtts:
        out.append(Sample("thdmon_device_icmp_rtt_seconds", (), statistics.median(rtts), now))
    return out


class IcmpPoller:
    protocol = "icmp"
    liveness = True
    classes: tuple[str, ...] = ("icmp",)

    def __init__(self, inventory: Inventory, options: PollerOptions, mode: Mode | None = None) -> None:
        self.options = options
        self.mode: Mode = mode or icmp_mode()
        self._prober: Prober | None = None

    def set_inventory(self, inventory: Inventory) -> None:
        """Nothing to resolve: an address is all ICMP needs."""

    def wants(self, device: Device) -> bool:
        return True  # every device has an address

    def forget(self, hostname: str) -> None:
        """Nothing is kept between probes."""

    async def poll(self, device: Device, cls: str | None) -> PollResult:
        started = time.monotonic()
        if self._prober is None:  # opened on the loop that polls (a one-shot pass has its own)
            self._prober = Prober(privileged=self.mode == "raw")
        rtts, sent = await self._prober.echo(str(device.address), self.options.icmp_count,
                                             self.options.icmp_interval, self.options.timeout)
        now = time.time()
        state = DeviceState(device=device.hostname, up=bool(rtts), last_poll=now,
                            poll_duration=time.monotonic() - started)
        if not rtts:
            state.reason, state.detail = DownReason.unreachable, f"{sent}/{sent} echo requests unanswered"
        # An unanswered probe is still a fact to expose (icmp_up 0, loss 1): the samples go with the state.
        return PollResult(samples=probe_samples(rtts, sent, now), state=state)

    async def close(self) -> None:
        if self._prober is not None:
            self._prober.close()
            self._prober = None
