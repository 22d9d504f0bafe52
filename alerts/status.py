"""The on-call view behind `thdmon status`: every site that is not up, worst first, with since-when and cause.

Built from the series the collectors export (`alerts.readback`), never from the devices: the site
state and its start come from the roll-up (`thdmon_site_state`, `..._since_timestamp_seconds`), the
cause from the device series of the site and, for an unreachable site, from the uplinks in
`thdmon_site_info`. Sorted down, unreachable, degraded; then by kind, commune and site.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from alerts.readback import Series
from collector.sites import short_list
from thdmon.terminal import text

PARIS = ZoneInfo("Europe/Paris")
NAMES = ("thdmon_site_state", "thdmon_site_state_since_timestamp_seconds", "thdmon_site_info",
         "thdmon_site_devices", "thdmon_device_up", "thdmon_device_protocol_up", "thdmon_device_down_reason")
ORDER = ("down", "unreachable", "degraded")
STYLE = {"down": "bold red", "unreachable": "magenta", "degraded": "yellow", "up": "green"}


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


def _when(since: float, now: float) -> str:
    if since <= 0:
        return "?"
    at = dt.datetime.fromtimestamp(since, PARIS)
    minutes = max(0, int(now - since) // 60)
    age = f"{minutes // 60}h{minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"
    today = dt.datetime.fromtimestamp(now, PARIS).date()
    return (at.strftime("%H:%M") if at.date() == today else at.strftime("%d/%m %H:%M")) + f" ({age})"


def render(report: StatusReport) -> RenderableType:
    """Tables for people, one per state, readable in 80 columns (names and causes wrap, never widen)."""
    now = dt.datetime.fromtimestamp(report.generated_at, PARIS).strftime("%Y-%m-%d %H:%M:%S")
    head = Text(f"THD-SSD sites at {now} (Paris) from ")
    head.append_text(text(report.source))
    summary = Text("  ".join(f"{report.counts.get(s, 0)} {s}" for s in (*ORDER, "up")))
    parts: list[RenderableType] = [head, summary]
    for state in ORDER:
        lines = [s for s in report.sites if s.state == state]
        if not lines:
            continue
        table = Table(title=f"{state} ({len(lines)})", title_style=STYLE[state], title_justify="left",
                      expand=False, show_edge=False, pad_edge=False)
        table.add_column("since", no_wrap=True)
        table.add_column("site", ratio=2, overflow="fold")
        table.add_column("cause", ratio=3, overflow="fold")
        group = None
        for line in lines:
            if (line.site_kind, line.commune) != group:
                group = (line.site_kind, line.commune)
                table.add_row("", text(f"{line.site_kind} · {line.commune}", "bold"), "")
            table.add_row(_when(line.since, report.generated_at), text(line.site), text(line.cause))
        parts.append(table)
    if not report.sites:
        parts.append(Text("every site is up", style=STYLE["up"]))
    return Group(*parts)
