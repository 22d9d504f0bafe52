"""Site roll-up: from the latest health of each device to one state per site, with the likely cause.

On-call staff are paged per site, not per device. A site is

- `up`: every device it has answers every protocol it is polled by;
- `degraded`: some devices or protocols are down, or its uplink is saturated;
- `down`: no device of the site answers (over any protocol);
- `unreachable`: no device answers *and* a site up its `uplink` chain is down: the cause is upstream, so
  the page belongs to that site, not to this one.

Pure functions of the inventory and a health map: the service decides where health comes from (its
store) and when to recompute; the tests give it plain values. A site none of whose devices has been
polled yet (start-up, another shard) is left out: neither up nor down, rather than a false page.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from inventory.model import Inventory, Site


class SiteState(enum.StrEnum):
    up = "up"
    degraded = "degraded"
    down = "down"
    unreachable = "unreachable"


# Order of the states in the exposition and in `thdmon status` (worst first for people).
STATES: tuple[str, ...] = tuple(s.value for s in SiteState)


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """A device's latest health as the collector knows it.

    `up` is the device-level rule (0 only when every liveness protocol fails); `protocols_down` names the
    protocols that failed their last poll (some may fail while the device is up); `since` is when `up`
    last changed (epoch seconds).
    """

    up: bool
    protocols_down: tuple[str, ...] = ()
    since: float = 0.0
    reason: str = ""  # the down reason of the first failed protocol (timeout, auth_failure, ...)


@dataclass(frozen=True, slots=True)
class SiteStatus:
    site: str
    state: SiteState
    since: float
    cause: str  # one line for a person: what is down and why, or which upstream site
    devices: int  # devices of the site with a known health
    devices_down: tuple[str, ...] = ()
    upstream: str | None = None  # for `unreachable`: the nearest site up the chain that is down


def rollup(inventory: Inventory, health: Mapping[str, DeviceHealth],
           saturated_uplinks: Collection[str] = ()) -> dict[str, SiteStatus]:
    """Every site with at least one device of known health -> its status (sites sorted by id)."""
    by_site: dict[str, list[str]] = {}
    for hostname in sorted(health):
        device = inventory.devices.get(hostname)
        if device is not None and device.enabled:
            by_site.setdefault(device.site, []).append(hostname)
    local = {site_id: _local(site_id, hosts, health, site_id in saturated_uplinks)
             for site_id, hosts in sorted(by_site.items())}
    return {site_id: _with_upstream(status, inventory.sites, local) for site_id, status in local.items()}


def _local(site_id: str, hosts: list[str], health: Mapping[str, DeviceHealth], saturated: bool) -> SiteStatus:
    """The site's state from its own devices only (the chain is applied afterwards)."""
    down = tuple(h for h in hosts if not health[h].up)
    partial = tuple(h for h in hosts if health[h].up and health[h].protocols_down)
    if len(down) == len(hosts):
        reasons = sorted({health[h].reason for h in down if health[h].reason})
        cause = f"all {len(hosts)} devices down" + (f" ({', '.join(reasons)})" if reasons else "")
        # The site went down when its last device did.
        return SiteStatus(site_id, SiteState.down, max(health[h].since for h in down), cause, len(hosts), down)
    problems: list[str] = []
    if down:
        problems.append(f"{len(down)}/{len(hosts)} devices down: {short_list(down)}")
    for h in partial:
        problems.append(f"{h}: {'+'.join(health[h].protocols_down)} down")
    if saturated:
        problems.append("uplink saturated")
    if problems:
        since = min((health[h].since for h in down + partial), default=0.0)
        return SiteStatus(site_id, SiteState.degraded, since, "; ".join(problems), len(hosts), down)
    return SiteStatus(site_id, SiteState.up, max(health[h].since for h in hosts), "", len(hosts))


def short_list(hosts: tuple[str, ...] | list[str], limit: int = 3) -> str:
    """`a, b, c (+4)`: a cause stays one short line however many devices are down."""
    shown = ", ".join(hosts[:limit])
    return shown + (f" (+{len(hosts) - limit})" if len(hosts) > limit else "")


def _with_upstream(status: SiteStatus, sites: Mapping[str, Site], local: Mapping[str, SiteStatus]) -> SiteStatus:
    """A down site whose chain holds a down site is unreachable, naming the nearest such site."""
    if status.state != SiteState.down:
        return status
    upstream = nearest_down_upstream(status.site, sites, local)
    if upstream is None:
        return status
    return SiteStatus(status.site, SiteState.unreachable, status.since, f"upstream site {upstream} is down",
                      status.devices, status.devices_down, upstream)


def uplink_chain(site_id: str, sites: Mapping[str, Site]) -> tuple[str, ...]:
    """The sites up the `uplink` chain of `site_id`, nearest first (itself excluded).

    The inventory rejects uplink cycles; the `seen` set only guards against an inventory built without
    validation. A chain may name a site the mapping lacks (another shard's copy): it ends there.
    """
    chain: list[str] = []
    seen = {site_id}
    current = sites[site_id].uplink if site_id in sites else None
    while current is not None and current not in seen:
        seen.add(current)
        chain.append(current)
        current = sites[current].uplink if current in sites else None
    return tuple(chain)


def nearest_down_upstream(site_id: str, sites: Mapping[str, Site], local: Mapping[str, SiteStatus]) -> str | None:
    """The nearest site up the uplink chain whose own devices are all down, if any.

    A site of unknown health (another shard, nothing polled yet) does not stop the walk: a PoP down
    behind a data centre of another shard still makes its collèges unreachable.
    """
    for current in uplink_chain(site_id, sites):
        status = local.get(current)
        if status is not None and status.state == SiteState.down:
            return current
    return None


def downstream(sites: Mapping[str, Site]) -> dict[str, tuple[str, ...]]:
    """Site id -> every site behind it (transitively), for the sites that have any."""
    children: dict[str, list[str]] = {}
    for site in sites.values():
        if site.uplink is not None:
            children.setdefault(site.uplink, []).append(site.id)
    result: dict[str, tuple[str, ...]] = {}
    for root in sorted(children):
        found: list[str] = []
        stack = list(children[root])
        while stack:
            kid = stack.pop()
            if kid in found or kid == root:
                continue
            found.append(kid)
            stack.extend(children.get(kid, ()))
        result[root] = tuple(sorted(found))
    return result


# --- the inventory's declared uplinks against what LLDP sees --------------------------------------------


@dataclass(frozen=True, slots=True)
class LldpNeighbour:
    device: str  # the local device (inventory hostname)
    ifname: str
    remote_sys_name: str
    remote_port: str


@dataclass(frozen=True, slots=True)
class UplinkMismatch:
    site: str
    declared: str  # the inventory's uplink ("" when none is declared)
    seen: str  # the site LLDP shows instead ("" when LLDP shows no link to the declared uplink)
    detail: str

    def __str__(self) -> str:
        return f"{self.site}: {self.detail}"


def _hostname_index(inventory: Inventory) -> dict[str, str]:
    """LLDP sysName -> inventory hostname: case-insensitive, with or without a domain."""
    index: dict[str, str] = {}
    for hostname in inventory.devices:
        index[hostname.lower()] = hostname
    return index


def _resolve(name: str, index: Mapping[str, str]) -> str | None:
    key = name.strip().lower()
    return index.get(key) or index.get(key.split(".", 1)[0])


def uplink_mismatches(inventory: Inventory, neighbours: Iterable[LldpNeighbour]) -> list[UplinkMismatch]:
    """Sites whose LLDP neighbours contradict the declared uplink.

    Only sites whose devices see at least one inventory device over LLDP are judged (a site without
    LLDP proves nothing). A link
    from site S to site X is expected when X is S's uplink or S is X's uplink (a child seen from its
    parent). Two findings: S has LLDP data but no link to its declared uplink, and S links to a site
    that is neither its uplink nor one of its children. Neighbours absent from the inventory (phones,
    APs of another operator) are ignored.
    """
    index = _hostname_index(inventory)
    seen_sites: dict[str, set[str]] = {}
    for n in neighbours:
        local = inventory.devices.get(n.device)
        remote = _resolve(n.remote_sys_name, index)
        if local is None or remote is None:
            continue
        links = seen_sites.setdefault(local.site, set())
        if inventory.devices[remote].site != local.site:
            links.add(inventory.devices[remote].site)
    found: list[UplinkMismatch] = []
    for site_id in sorted(seen_sites):
        site = inventory.sites.get(site_id)
        if site is None:
            continue
        declared = site.uplink or ""
        others = seen_sites[site_id]
        unexpected = sorted(x for x in others if x != declared and (x not in inventory.sites
                                                                    or inventory.sites[x].uplink != site_id))
        if declared and declared not in others:
            seen = unexpected[0] if unexpected else ""
            detail = (f"declared uplink {declared}, LLDP shows {', '.join(unexpected)}" if unexpected
                      else f"declared uplink {declared}, LLDP shows no link to it")
            found.append(UplinkMismatch(site_id, declared, seen, detail))
            continue
        for other in unexpected:
            found.append(UplinkMismatch(site_id, declared, other,
                                        f"LLDP shows a link to {other}, neither its uplink nor behind it"))
    return found
