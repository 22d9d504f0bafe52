"""The on-call report behind `thdmon status`: every site that is not up, worst first, with since-when and cause.

Built from the series the collectors export (`alerts.readback`), never from the devices: the site
state and its start come from the roll-up (`thdmon_site_state`, `..._since_timestamp_seconds`), the
cause from the device series of the site and, for an unreachable site, from the uplinks in
`thdmon_site_info`. Sorted down, unreachable, degraded; then by kind, commune and site.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

from alerts.readback import Series
from collector.sites import short_list

NAMES = ("thdmon_site_state", "thdmon_site_state_since_timestamp_seconds", "thdmon_site_info",
         "thdmon_site_devices", "thdmon_device_up", "thdmon_device_protocol_up", "thdmon_device_down_reason")
ORDER = ("down", "unreachable", "degraded")


@dataclass
class SiteLine:
    site: str
    name: str
    site_kind: str
    commune: str
    state: str
    since: float
    cause: str
    uplink: str = ""
    devices_down: list[str] = field(default_factory=list)


@dataclass
class StatusReport:
    generated_at: float
    source: str
    counts: dict[str, int]
    sites: list[SiteLine]

    def as_dict(self) -> dict[str, object]:
        return {"generated_at": self.generated_at, "source": self.source, "counts": self.counts,
                "sites": [asdict(s) for s in self.sites]}


def _by_site(series: list[Series], name: str) -> dict[str, list[Series]]:
    result: dict[str, list[Series]] = defaultdict(list)
    for s in series:
        if s.name == name and "site" in s.labels:
            result[s.labels["site"]].append(s)
    return result


def _cause(state: str, site: str, device_series: dict[str, dict[str, list[Series]]], states: dict[str, str],
           uplinks: dict[str, str]) -> str:
    if state == "unreachable":  # the nearest down site up the chain, as collector.sites names it
        seen, current = {site}, uplinks.get(site, "")
        while current and current not in seen:
            if states.get(current) == "down":
                return f"upstream site {current} is down"
            seen.add(current)
            current = uplinks.get(current, "")
        return "an upstream site is down"
    down = sorted(s.labels["device"] for s in device_series["up"].get(site, []) if s.value == 0)
    reasons = sorted({s.labels["reason"] for s in device_series["reason"].get(site, [])
                      if s.labels.get("device") in down})
    total = len(device_series["up"].get(site, []))
    if state == "down":
        return f"all {total} devices down" + (f" ({', '.join(reasons)})" if reasons else "")
    parts = []
    if down:
        parts.append(f"{len(down)}/{total} devices down: {short_list(down)}")
    partial = sorted({(s.labels["device"], s.labels["protocol"]) for s in device_series["proto"].get(site, [])
                      if s.value == 0 and s.labels.get("device") not in down})
    parts += [f"{device}: {protocol} down" for device, protocol in partial]
    return "; ".join(parts) or "uplink saturated"


def build_report(series: list[Series], source: str, now: float) -> StatusReport:
    states = {site: s.labels["state"] for site, items in _by_site(series, "thdmon_site_state").items()
              for s in items if s.value == 1}
    since = {site: items[0].value
             for site, items in _by_site(series, "thdmon_site_state_since_timestamp_seconds").items()}
    info = {site: items[0].labels for site, items in _by_site(series, "thdmon_site_info").items()}
    uplinks = {site: labels.get("uplink", "") for site, labels in info.items()}
    devices = {"up": _by_site(series, "thdmon_device_up"), "proto": _by_site(series, "thdmon_device_protocol_up"),
               "reason": _by_site(series, "thdmon_device_down_reason")}
    counts = {state: 0 for state in (*ORDER, "up")}
    lines = []
    for site, state in states.items():
        counts[state] = counts.get(state, 0) + 1
        if state == "up":
            continue
        labels = info.get(site, {})
        down = sorted(s.labels["device"] for s in devices["up"].get(site, []) if s.value == 0)
        lines.append(SiteLine(site, labels.get("name", site), labels.get("site_kind", ""), labels.get("commune", ""),
                              state, since.get(site, 0.0), _cause(state, site, devices, states, uplinks),
                              uplinks.get(site, ""), down))
    rank = {state: i for i, state in enumerate(ORDER)}
    lines.sort(key=lambda s: (rank.get(s.state, 9), s.site_kind, s.commune, s.site))
    return StatusReport(now, source, counts, lines)
