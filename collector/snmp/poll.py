"""Poll one device: walk its modules' roots with an engine, decode, and compare with the previous poll.

The `system` module is walked first: it tells whether the device answers at all (a dead device costs
one timeout, not one per table) and gives the sysObjectID that selects the vendor modules. Between
polls `DeviceMemory` keeps the uptime (uptime going backwards = a reboot, counted in
thdmon_device_reboots_total) and the last raw value of every Counter32 sample, so a wrap through 2^32
is unwrapped into a monotonic value instead of looking like a counter reset.

Selection (collector.snmp.select) splits the modules into expected and probed: an expected module that
decodes to nothing is reported (thdmon_device_module_empty 1, and in `PollResult.info`), a probed one is
remembered as absent and not walked again until PROBE_TTL has passed or the sysObjectID changes, so an
unknown vendor's device costs the probes once, not at every poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from collector.errors import CollectorError
from collector.model import DeviceState, DownReason, Labels, PollResult, Sample
from collector.snmp.decode import DecodeResult, Walked, decode
from collector.snmp.engine import SnmpEngine, SnmpError, Varbind
from collector.snmp.profile import Module
from collector.snmp.select import Selection, select
from collector.snmp.target import Target
from inventory.model import Profile

SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
UPTIME_METRIC = "thdmon_device_uptime_seconds"
REBOOTS_METRIC = "thdmon_device_reboots_total"
MODULE_EMPTY_METRIC = "thdmon_device_module_empty"
PROBE_TTL = 3600.0  # seconds before a probed module that did not answer is walked again
WRAP32 = 2**32

IntervalClass = Literal["fast", "slow"]


@dataclass(slots=True)
class DeviceMemory:
    """What a device's next poll needs from its previous ones."""

    uptime: float | None = None
    reboots: int = 0
    # Last raw value of each Counter32 series, by metric then labels: no (metric, labels) key tuple per
    # series kept for the life of the device (the labels are the store's own, shared by a row).
    counters32: dict[str, dict[Labels, float]] = field(default_factory=dict)
    # Unwrapping offset of the Counter32 series that wrapped (most never do: no entry, no new Sample).
    wraps: dict[tuple[str, Labels], float] = field(default_factory=dict)
    # Probed modules that answered nothing: name -> when (re-probed after PROBE_TTL), for this sysObjectID.
    absent: dict[str, float] = field(default_factory=dict)
    sys_object_id: str | None = None


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
    seen: dict[str, set[Labels]] = {}
    for s in samples:
        key = (s.metric, s.labels)
        if key in counter32:
            metric_raws = raws.get(s.metric)
            if metric_raws is None:
                metric_raws = raws[s.metric] = {}
            seen.setdefault(s.metric, set()).add(s.labels)
            previous = metric_raws.get(s.labels)
            if previous is not None and s.value < previous:
                wraps[key] = wraps.get(key, 0.0) + WRAP32
            metric_raws[s.labels] = s.value
            offset = wraps.get(key)
            if offset:
                s = Sample(s.metric, s.labels, s.value + offset, s.timestamp)
        out.append(s)
    for metric, metric_raws in list(raws.items()):  # interfaces that disappeared
        kept = seen.get(metric, set())
        for labels in [lb for lb in metric_raws if lb not in kept]:
            del metric_raws[labels]
            wraps.pop((metric, labels), None)
        if not metric_raws:
            del raws[metric]
    if uptime is not None:  # only the polls that read the uptime can tell (the fast ones)
        out.append(Sample(REBOOTS_METRIC, (), float(memory.reboots), samples[0].timestamp))
    return out


def _decode_all(modules: list[Module], walked: Walked, timestamp: float,
                counts: dict[str, int] | None = None) -> DecodeResult:
    """Every module's samples; `counts` gets each module's own count (before duplicates across modules)."""
    merged = DecodeResult()
    seen: set[tuple[str, Labels]] = set()
    for module in modules:
        result = decode(module, walked, timestamp)
        if counts is not None:
            counts[module.name] = len(result.samples)
        merged.skipped += result.skipped
        merged.counter32 |= result.counter32
        for s in result.samples:
            if (s.metric, s.labels) not in seen:  # the first module that gives a series wins
                seen.add((s.metric, s.labels))
                merged.samples.append(s)
    return merged


def _to_walk(selection: Selection, memory: DeviceMemory, interval: IntervalClass | None,
             now: float) -> list[Module]:
    """The selection's modules of this interval class, without the probes known to be absent."""
    if memory.sys_object_id != selection.sys_object_id:  # another device (or firmware) behind the address
        memory.absent.clear()
        memory.sys_object_id = selection.sys_object_id
    expected = [m for m in selection.expected if interval is None or m.interval == interval]
    probed = [m for m in selection.probed if (interval is None or m.interval == interval)
              and now - memory.absent.get(m.name, -PROBE_TTL) >= PROBE_TTL]
    return expected + probed


def _module_report(selection: Selection, chosen: list[Module], counts: dict[str, int], memory: DeviceMemory,
                   now: float, timestamp: float) -> tuple[list[Sample], dict[str, Any]]:
    """thdmon_device_module_empty per expected module (system aside: it is the liveness check) and the
    selection as plain data for `collect --json`; remembers the probes that did not answer."""
    samples: list[Sample] = []
    rows = []
    expected = {m.name for m in selection.expected}
    walked = {m.name for m in chosen}
    # memory is per interval class: its absent probes are this class's, skipped until PROBE_TTL
    not_walked = sorted(m.name for m in selection.probed if m.name not in walked and m.name in memory.absent)
    for module in chosen:
        n = counts.get(module.name, 0)
        row: dict[str, Any] = {"name": module.name, "why": selection.reasons.get(module.name, ""), "samples": n}
        if module.name in expected:
            row["empty"] = n == 0
            if module.name != "system":
                samples.append(Sample(MODULE_EMPTY_METRIC, (("module", module.name),), float(n == 0), timestamp))
        else:
            row["kept"] = n > 0
            if n == 0:
                memory.absent[module.name] = now
            else:
                memory.absent.pop(module.name, None)
        rows.append(row)
    info = {"profile": selection.profile, "profile_source": selection.source, "why": selection.why,
            "sys_object_id": selection.sys_object_id, "modules": rows,
            "empty": [r["name"] for r in rows if r.get("empty")],
            "not_walked": not_walked}
    return samples, info


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
        selection = select(profile, sys_oid, profiles, modules)
        chosen = _to_walk(selection, memory, interval, started)
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
    info: dict[str, Any] = {}
    if state.reason is None:
        state.up = True
        counts: dict[str, int] = {}
        decoded = _decode_all(chosen, Walked(varbinds), started, counts)
        samples = apply_memory(decoded.samples, decoded.counter32, memory)
        empty_samples, info = _module_report(selection, chosen, counts, memory, started, started)
        samples += empty_samples
        state.extra["decode_skipped"] = float(decoded.skipped)
        state.extra["modules"] = float(len(chosen))
    return PollResult(samples=samples, state=state, info={"selection": info} if info else {})
