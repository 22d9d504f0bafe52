"""The site roll-up on /metrics: `thdmon_site_state`, `_info`, `_state_since...`, `_devices`, `_uplink_mismatch`.

A prometheus_client custom collector, registered in the service's self-metrics registry, so that the
site families follow the device families on every scrape with prometheus_client's own writers.
`SiteMetrics` only writes: `snapshot` returns the inventory, the roll-up (collector.sites) and the uplink
mismatches as of now. `SiteView` is serve's snapshot: its store's device states rolled up at each scrape.

`thdmon_site_state` is declared a stateset but written as a gauge with a `state` label (one series per
state, 1 for the current one), like kube-state-metrics' phases: OpenMetrics' stateset would name the
label after the metric, and the text format has no stateset at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import GaugeMetricFamily, InfoMetricFamily, Metric

from collector import uplinks
from collector.sites import STATES, DeviceHealth, LldpNeighbour, SiteStatus, UplinkMismatch, rollup, uplink_mismatches
from collector.store import DeviceEntry, Store
from collector.uplinks import UplinkLoad
from inventory.model import Device, Inventory, Site
from metrics import catalogue


@dataclass(frozen=True, slots=True)
class SiteSnapshot:
    inventory: Inventory
    statuses: Mapping[str, SiteStatus]
    mismatches: Sequence[UplinkMismatch] = ()


def _family(name: str) -> GaugeMetricFamily:
    metric = catalogue.get(name)
    return GaugeMetricFamily(metric.name, metric.help, labels=list(metric.labels))


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.5f}".rstrip("0").rstrip(".")


def _identity(site: Site) -> list[str]:
    return [site.id, site.kind.value, site.commune]


def site_families(snap: SiteSnapshot) -> list[Metric]:
    """The site families for one snapshot: every rolled-up site; info for every site of the inventory."""
    state = _family("thdmon_site_state")
    since = _family("thdmon_site_state_since_timestamp_seconds")
    devices = _family("thdmon_site_devices")
    for site_id, status in snap.statuses.items():
        site = snap.inventory.sites.get(site_id)
        if site is None:
            continue
        ident = _identity(site)
        for name in STATES:
            state.add_metric([*ident, name], 1.0 if status.state == name else 0.0)
        since.add_metric(ident, status.since)
        devices.add_metric([*ident, "up"], float(status.devices - len(status.devices_down)))
        devices.add_metric([*ident, "down"], float(len(status.devices_down)))
    info_metric = catalogue.get("thdmon_site_info")
    info = InfoMetricFamily(info_metric.name.removesuffix("_info"), info_metric.help)
    for site in sorted(snap.inventory.sites.values(), key=lambda s: s.id):
        values = [*_identity(site), site.name, _coordinate(site.lat), _coordinate(site.lon), site.uplink or ""]
        info.add_metric([], dict(zip(info_metric.labels, values, strict=True)))
    mismatch = _family("thdmon_site_uplink_mismatch")
    for m in snap.mismatches:
        site = snap.inventory.sites.get(m.site)
        if site is not None:
            mismatch.add_metric([*_identity(site), m.declared, m.seen], 1.0)
    return [state, since, devices, info, mismatch]


class SiteMetrics:
    """A prometheus_client collector: register it with `registry.register(SiteMetrics(snapshot))`."""

    def __init__(self, snapshot: Callable[[], SiteSnapshot]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        yield from site_families(self._snapshot())


def device_health(entry: DeviceEntry) -> DeviceHealth:
    """The store's view of one device, as the roll-up reads it."""
    down = [(name, p.state) for name, p in entry.protocols.items() if not p.state.up]
    reason = next((state.reason.value for _, state in down if state.reason is not None), "")
    return DeviceHealth(entry.state.up, tuple(name for name, _ in down), entry.state.since, reason)


def lldp_neighbours(entries: Sequence[DeviceEntry]) -> list[LldpNeighbour]:
    result = []
    for entry in entries:
        for s in entry.select(("thdmon_lldp_neighbor_info",)):
            labels = dict(s.labels)
            result.append(LldpNeighbour(entry.device, labels["ifname"], labels["remote_sys_name"],
                                        labels["remote_port"]))
    return result


class SiteView:
    """The glue `thdmon serve` uses: its store rolled up into sites at each scrape.

    The roll-up is cheap (a pass over the devices); uplink load (when given) reads the samples of the
    devices polled since the last scrape only, and the LLDP check, which walks every device's samples, is
    kept `lldp_ttl` seconds (LLDP tables are polled by the slow class anyway).
    """

    def __init__(self, store: Store, *, uplinks: UplinkLoad | None = None, lldp_ttl: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._uplinks = uplinks
        self._inventory: Inventory | None = None
        self._enabled: frozenset[str] = frozenset()
        self._lldp_ttl = lldp_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._mismatches: tuple[float, list[UplinkMismatch]] | None = None
        self._saturation: dict[str, tuple[DeviceEntry, bool]] = {}  # device -> (entry judged, saturated)

    def set_inventory(self, inventory: Inventory, enabled: Mapping[str, Device]) -> None:
        """An `on_inventory` hook of the polling service."""
        with self._lock:
            self._inventory = inventory
            self._enabled = frozenset(enabled)
            self._mismatches = None

    def snapshot(self) -> SiteSnapshot:
        with self._lock:
            inventory, enabled = self._inventory, self._enabled
        if inventory is None:
            return SiteSnapshot(Inventory(root="", sites={}, devices={}, credentials={}, profiles={}), {})
        entries = [e for e in self._store.snapshot() if e.device in enabled]
        statuses = rollup(inventory, {e.device: device_health(e) for e in entries}, self._saturated(inventory, entries))
        return SiteSnapshot(inventory, statuses, self._uplink_mismatches(inventory, entries))

    def _saturated(self, inventory: Inventory, entries: Sequence[DeviceEntry]) -> set[str]:
        if self._uplinks is None:
            return set()
        with self._lock:  # scrapes may run concurrently; the readings are shared
            self._uplinks.forget(e.device for e in entries)
            # A device's answer changes only with its entry (a new poll): an entry seen at the last scrape
            # is not read again. The liveness job scrapes every 15 s, a device is polled every 60 s.
            known, self._saturation = self._saturation, {}
            for e in entries:
                seen = known.get(e.device)
                hot = seen[1] if seen is not None and seen[0] is e else \
                    self._uplinks.saturated(e.device, tuple(e.select(uplinks.METRICS)))
                self._saturation[e.device] = (e, hot)
            return {inventory.devices[device].site for device, (_, hot) in self._saturation.items() if hot}

    def _uplink_mismatches(self, inventory: Inventory, entries: Sequence[DeviceEntry]) -> list[UplinkMismatch]:
        now = self._clock()
        with self._lock:
            cached = self._mismatches
        if cached is not None and now - cached[0] < self._lldp_ttl:
            return cached[1]
        found = uplink_mismatches(inventory, lldp_neighbours(entries))
        with self._lock:
            self._mismatches = (now, found)
        return found
