"""The ICMP poller: N echo requests per probe, every device of the inventory, on its own interval.

Sockets: raw ICMP sockets when the process may open them (root, or CAP_NET_RAW: what the systemd unit
grants), else unprivileged datagram ICMP sockets (the kernel allows them to the groups in
`net.ipv4.ping_group_range`); `icmp_mode()` finds out once, at start-up, and says what to do when
neither works. Probes are coroutines on the collector's event loop (icmplib's asyncio API), never a
thread per device; each probe holds one slot of the scheduler's concurrency bound like any poll.
"""

from __future__ import annotations

import statistics
import time
from typing import Literal

import icmplib
from icmplib.exceptions import ICMPLibError, SocketPermissionError

from collector.errors import CollectorError
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


def probe_samples(host: icmplib.Host, now: float) -> list[Sample]:
    out = [Sample("thdmon_device_icmp_up", (), 1.0 if host.is_alive else 0.0, now),
           Sample("thdmon_device_icmp_loss_ratio", (), float(host.packet_loss), now)]
    if host.rtts:
        out.append(Sample("thdmon_device_icmp_rtt_seconds", (), statistics.median(host.rtts) / 1000.0, now))
    return out


class IcmpPoller:
    protocol = "icmp"
    classes: tuple[str, ...] = ("icmp",)

    def __init__(self, inventory: Inventory, options: PollerOptions, mode: Mode | None = None) -> None:
        self.options = options
        self.mode: Mode = mode or icmp_mode()

    def set_inventory(self, inventory: Inventory) -> None:
        """Nothing to resolve: an address is all ICMP needs."""

    def wants(self, device: Device) -> bool:
        return True  # every device has an address

    def forget(self, hostname: str) -> None:
        """Nothing is kept between probes."""

    async def poll(self, device: Device, cls: str | None) -> PollResult:
        started = time.monotonic()
        state = DeviceState(device=device.hostname)
        samples: list[Sample] = []
        try:
            host = await icmplib.async_ping(str(device.address), count=self.options.icmp_count,
                                            interval=self.options.icmp_interval, timeout=self.options.timeout,
                                            privileged=self.mode == "raw")
        except ICMPLibError as exc:  # e.g. a destination the kernel refuses to send to
            state.up, state.reason, state.detail = False, DownReason.error, f"{type(exc).__name__}: {exc}"
        else:
            now = time.time()
            samples = probe_samples(host, now)
            state.up = host.is_alive
            if not state.up:
                state.reason = DownReason.unreachable
                state.detail = f"{host.packets_sent}/{host.packets_sent} echo requests unanswered"
        state.last_poll = time.time()
        state.poll_duration = time.monotonic() - started
        # An unanswered probe is still a fact to expose (icmp_up 0, loss 1): the samples go with the state.
        return PollResult(samples=samples, state=state)

    async def close(self) -> None:
        """icmplib closes each probe's socket itself."""
