"""Poll one device: walk its modules' roots with an engine, decode, and compare with the previous poll.

The `system` module is walked first: it tells whether the device answers at all (a dead device costs
one timeout, not one per table) and gives the sysObjectID that selects the vendor modules. Between
polls `DeviceMemory` keeps the uptime (uptime going backwards = a reboot, counted in
thdmon_device_reboots_total) and the last raw value of every Counter32 sample, so a wrap through 2^32
is unwrapped into a monotonic value instead of looking like a counter reset.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from collector.errors import CollectorError
from collector.model import DeviceState, DownReason, Labels, PollResult, Sample
from collector.snmp.decode import DecodeResult, Walked, decode
from collector.snmp.engine import SnmpEngine, SnmpError, Varbind
from collector.snmp.profile import Module
from collector.snmp.select import select_modules
from collector.snmp.target import Target
from inventory.model import Profile

SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
UPTIME_METRIC = "thdmon_device_uptime_seconds"
REBOOTS_METRIC = "thdmon_device_reboots_total"
WRAP32 = 2**32

IntervalClass = Literal["fast", "slow"]


@dataclass(slots=True)
class DeviceMemory:
    """What a device's next poll needs from its previous ones."""

    uptime: float | None = None
    reboots: int = 0
    counters32: dict[tuple[str, Labels], float] = field(default_factory=dict)  # last raw value of each
    # Unwrapping offset of the Counter32 series that wrapped (most never do: no entry, no new Sample).
    wraps: dict[tuple[str, Labels], float] = field(default_factory=dict)


def walk_roots(modules: list[Module], done: set[str] | None = None) -> list[str]:
    """The modules' walk roots, without duplicates or roots inside another root, in order."""
    roots: list[str] = []
    for module in modules:
        for root in module.walk:
            if root not in roots:
                roots.append(root)
    covered = set(done or ())
    out = []
    for root in sorted(roots, key=len):
        if not any(root == c or root.startswith(c + ".") for c in covered):
            out.append(root)
            covered.add(root)
    return [r for r in roots if r in out]


async def _walk(engine: SnmpEngine, target: Target, roots: list[str], max_repetitions: int) -> list[Varbind]:
    varbinds: list[Varbind] = []
    for root in roots:
        try:
            varbinds.extend(await engine.bulk_walk(target, root, max_repetitions))
        except SnmpError as exc:
            if exc.reason != DownReason.no_such_object:
                raise
    return varbinds


def apply_memory(samples: list[Sample], counter32: set[tuple[str, Labels]], memory: DeviceMemory) -> list[Sample]:
    """Reboot detection and Counter32 unwrapping; returns the samples to publish."""
    uptime = next((s.value for s in samples if s.metric == UPTIME_METRIC and not s.labels), None)
    rebooted = uptime is not None and memory.uptime is not None and uptime < memory.uptime
    if rebooted:
        memory.reboots += 1
        memory.counters32.clear()  # counters restart from zero with the device: not a wrap
        memory.wraps.clear()
    if uptime is not None:
        memory.uptime = uptime
    out: list[Sample] = []
    raws, wraps = memory.counters32, memory.wraps
    seen: set[tuple[str, Labels]] = set()
    for s in samples:
        key = (s.metric, s.labels)
        if key in counter32:
            seen.add(key)
            previous = raws.get(key)
            if previous is not None and s.value < previous:
                wraps[key] = wraps.get(key, 0.0) + WRAP32
            raws[key] = s.value
            offset = wraps.get(key)
            if offset:
                s = Sample(s.metric, s.labels, s.value + offset, s.timestamp)
        out.append(s)
    for key in set(raws) - seen:  # an interface that disappeared
        del raws[key]
        wraps.pop(key, None)
    if uptime is not None:  # only the polls that read the uptime can tell (the fast ones)
        out.append(Sample(REBOOTS_METRIC, (), float(memory.reboots), samples[0].timestamp))
    return out


def _decode_all(modules: list[Module], walked: Walked, timestamp: float) -> DecodeResult:
    merged = DecodeResult()
    seen: set[tuple[str, Labels]] = set()
    for module in modules:
        result = decode(module, walked, timestamp)
        merged.skipped += result.skipped
        merged.counter32 |= result.counter32
        for s in result.samples:
            if (s.metric, s.labels) not in seen:  # the first module that gives a series wins
                seen.add((s.metric, s.labels))
                merged.samples.append(s)
    return merged


async def poll_device(engine: SnmpEngine, target: Target, *, profile: str | None, profiles: Mapping[str, Profile],
                      modules: Mapping[str, Module], memory: DeviceMemory | None = None,
                      interval: IntervalClass | None = None, max_repetitions: int = 25,
                      clock: Callable[[], float] = time.time) -> PollResult:
    """One poll of one device; never raises for a device problem (the state says why it is down).

    `interval` limits the poll to the modules of that class (None: all). The system group is walked
    every time (liveness, sysObjectID) but decoded only with the fast modules, so a slow poll never
    repeats the fast series. Keep one `memory` per device and interval class.
    """
    memory = memory if memory is not None else DeviceMemory()
    started, t0 = clock(), time.monotonic()
    state = DeviceState(device=target.name)
    varbinds: list[Varbind] = []
    try:
        system = [modules["system"]] if "system" in modules else []
        varbinds = await _walk(engine, target, walk_roots(system), max_repetitions)
        if not varbinds:
            raise SnmpError(DownReason.no_such_object, f"{target.endpoint}: empty system group")
        sys_oid = next((str(vb.value) for vb in varbinds if vb.oid == SYS_OBJECT_ID and vb.value), None)
        chosen = [m for m in select_modules(profile, sys_oid, profiles, modules)
                  if interval is None or m.interval == interval]
        varbinds += await _walk(engine, target, walk_roots(chosen, set(walk_roots(system))), max_repetitions)
    except SnmpError as exc:
        state.up, state.reason, state.detail = False, exc.reason, exc.detail
        chosen = []
    except CollectorError as exc:  # a profile naming an unknown module: this device cannot be decoded
        state.up, state.reason, state.detail = False, DownReason.error, str(exc)
        chosen = []
    state.last_poll = clock()
    state.poll_duration = time.monotonic() - t0
    state.varbinds = len(varbinds)
    samples: list[Sample] = []
    if state.reason is None:
        state.up = True
        decoded = _decode_all(chosen, Walked(varbinds), started)
        samples = apply_memory(decoded.samples, decoded.counter32, memory)
        state.extra["decode_skipped"] = float(decoded.skipped)
        state.extra["modules"] = float(len(chosen))
    return PollResult(samples=samples, state=state)
