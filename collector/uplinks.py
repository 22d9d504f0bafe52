"""Uplink load from the interface counters the collector already keeps, for the site roll-up.

A site is `degraded` while one of its uplink ports (told by its interface alias, the département's
`uplink <peer> <port>` convention) carries more than a ratio of its speed in either direction. The alias is
read from `thdmon_interface_info` (the only series carrying it, issue 17) and the port's counters and speed
are matched to it by `ifname`, as the UplinkSaturated rule joins them on (device, ifname). The
collector exposes counters, not rates: this keeps the previous value of each uplink counter (with the
poll's timestamp) and computes the rate between two polls — what Prometheus' `rate()` does for the
UplinkSaturated alert, here so that the site's state says it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from metrics.sample import Sample

_COUNTERS = ("thdmon_interface_receive_bytes_total", "thdmon_interface_transmit_bytes_total")
_SPEED = "thdmon_interface_speed_bits_per_second"
_INFO = "thdmon_interface_info"
METRICS = frozenset({*_COUNTERS, _SPEED, _INFO})  # what `saturated` reads: the store builds samples of these only


@dataclass(frozen=True, slots=True)
class _Reading:
    timestamp: float
    value: float
    bits_per_second: float | None  # the rate since the reading before, once there is one


class UplinkLoad:
    def __init__(self, alias_regex: str, ratio: float) -> None:
        self._alias = re.compile(alias_regex)
        self._ratio = ratio
        self._readings: dict[tuple[str, str, str], _Reading] = {}  # (device, ifname, counter) -> last

    def saturated(self, device: str, samples: Sequence[Sample]) -> bool:
        """Whether an uplink port of `device` is above the ratio, from its latest samples."""
        # Two passes: the store keeps no order between a port's info and its counters.
        uplinks = {labels["ifname"] for s in samples if s.metric == _INFO
                   for labels in (dict(s.labels),) if self._alias.fullmatch(labels.get("ifalias", ""))}
        if not uplinks:
            return False
        speeds: dict[str, float] = {}
        rates: dict[tuple[str, str], float] = {}
        for s in samples:
            if s.metric != _SPEED and s.metric not in _COUNTERS:
                continue
            ifname = dict(s.labels)["ifname"]
            if ifname not in uplinks:
                continue  # readings are kept for uplinks only: a switch has dozens of desk ports
            if s.metric == _SPEED:
                speeds[ifname] = s.value
            else:
                rate = self._rate((device, ifname, s.metric), s)
                if rate is not None:
                    rates[(ifname, s.metric)] = rate
        return any(speeds.get(ifname, 0) > 0 and rate > self._ratio * speeds[ifname]
                   for (ifname, _), rate in rates.items())

    def _rate(self, key: tuple[str, str, str], s: Sample) -> float | None:
        previous = self._readings.get(key)
        if previous is not None and previous.timestamp == s.timestamp:
            return previous.bits_per_second  # the same poll seen again at the next scrape
        rate = None
        if previous is not None and s.timestamp > previous.timestamp and s.value >= previous.value:
            rate = (s.value - previous.value) * 8 / (s.timestamp - previous.timestamp)  # a reset gives none
        self._readings[key] = _Reading(s.timestamp, s.value, rate)
        return rate

    def forget(self, keep: Iterable[str]) -> None:
        """Drop the readings of devices no longer polled."""
        kept = set(keep)
        self._readings = {k: v for k, v in self._readings.items() if k[0] in kept}
