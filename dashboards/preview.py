"""A static PNG of a dashboard, drawn with matplotlib from its Grafana JSON and Prometheus results.

For reviewers who have no Grafana: the same grid, titles, units and series the team will see, not a
pixel copy of Grafana. `data` maps (panel index, target index) to the Prometheus API result of that
target (a matrix for range queries, a vector for instant ones). matplotlib is imported here only (it is
in the `dashboards` extra, not a run-time dependency).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

Result = list[dict[str, Any]]
ROW_PX = 30  # Grafana's grid row height
BACKGROUND, PANEL, TEXT, MUTED = "#111217", "#181b1f", "#ccccdc", "#8e8e8e"
GRAFANA_COLOURS = {"green": "#73bf69", "red": "#f2495c", "orange": "#ff9830", "purple": "#b877d9",
                   "dark-green": "#37872d", "blue": "#5794f2", "yellow": "#fade2a"}
HIDDEN = {"__name__", "job", "instance", "Time"}


def _si(value: float, unit: str) -> str:
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".rstrip()


def _duration(value: float) -> str:
    for size, name in ((86400, "d"), (3600, "h"), (60, "min")):
        if abs(value) >= size:
            return f"{value / size:.3g} {name}"
    return f"{value:.3g} s"


FORMATS: dict[str, Callable[[float], str]] = {
    "bps": lambda v: _si(v, "b/s"), "pps": lambda v: _si(v, "p/s"), "ops": lambda v: _si(v, "/s"),
    "bytes": lambda v: _si(v, "B"), "watt": lambda v: _si(v, "W"), "dBm": lambda v: f"{v:.1f} dBm",
    "dB": lambda v: f"{v:.1f} dB", "celsius": lambda v: f"{v:.1f} °C", "percentunit": lambda v: f"{100 * v:.0f}%",
    "s": _duration, "short": lambda v: _si(v, ""),
    # Grafana's "from now": the value is a time in milliseconds since the epoch.
    "dateTimeFromNow": lambda v: _duration(time.time() - v / 1000) + " ago",
}


def fmt(unit: str, value: float) -> str:
    return FORMATS.get(unit, FORMATS["short"])(value)


def _colour(name: str) -> str:
    return GRAFANA_COLOURS.get(name, name)


def _legend(template: str, labels: dict[str, str]) -> str:
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template).strip()
    return text or ", ".join(f"{k}={v}" for k, v in labels.items() if k not in HIDDEN) or "value"


def _threshold_colour(panel: dict[str, Any], value: float) -> str:
    steps = panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {}).get("steps", [])
    colour = "green"
    for i, step in enumerate(steps):
        if i == 0 or value >= step["value"]:
            colour = step["color"]
    return _colour(colour)


def _mapped(panel: dict[str, Any], value: str) -> tuple[str, str] | None:
    for mapping in panel.get("fieldConfig", {}).get("defaults", {}).get("mappings", []):
        option = mapping.get("options", {}).get(value)
        if option:
            return option.get("text", value), _colour(option.get("color", "green"))
    return None


def _unit(panel: dict[str, Any]) -> str:
    return panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")


def _series(panel: dict[str, Any], data: dict[int, Result]) -> list[tuple[str, list[float], list[float]]]:
    out = []
    for j, target in enumerate(panel.get("targets", [])):
        for r in data.get(j, []):
            points = r.get("values") or ([r["value"]] if "value" in r else [])
            out.append((_legend(target.get("legendFormat", ""), r["metric"]),
                        [float(t) for t, _ in points], [float(v) for _, v in points]))
    return out


def _timeseries(ax: Axes, panel: dict[str, Any], data: dict[int, Result]) -> None:
    unit = _unit(panel)
    series = _series(panel, data)
    for name, times, values in series[:12]:
        ax.plot(times, values, linewidth=1, label=name[:40])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(unit, v)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda t, _pos: time.strftime("%H:%M:%S", time.gmtime(t))))
    ax.tick_params(colors=MUTED, labelsize=6)
    if series:
        ax.legend(fontsize=5, loc="upper left", frameon=False, labelcolor=TEXT, ncol=2)


def _stat(ax: Axes, panel: dict[str, Any], data: dict[int, Result]) -> None:
    unit = _unit(panel)
    items = [(name, values[-1]) for name, _, values in _series(panel, data) if values][:8]
    ax.axis("off")
    for k, (name, value) in enumerate(items):
        x = (k + 0.5) / max(len(items), 1)
        mapped = _mapped(panel, f"{value:g}")
        text, colour = mapped if mapped else (fmt(unit, value), _threshold_colour(panel, value))
        ax.text(x, 0.55, text, ha="center", va="center", fontsize=12, color=colour, weight="bold",
                transform=ax.transAxes)
        ax.text(x, 0.15, name[:24], ha="center", va="center", fontsize=6, color=MUTED, transform=ax.transAxes)


def _table(ax: Axes, panel: dict[str, Any], data: dict[int, Result]) -> None:
    """Instant results merged by labels, as Grafana's "merge" transformation does: one column per query."""
    unit = _unit(panel)
    excluded = set(HIDDEN)
    renames: dict[str, str] = {}
    for transformation in panel.get("transformations", []):
        if transformation["id"] == "organize":
            excluded |= {k for k, v in transformation["options"].get("excludeByName", {}).items() if v}
            renames = transformation["options"].get("renameByName", {})
    refs = {j: panel["targets"][j]["refId"] for j in data}
    value_columns = ["Value"] if len(panel.get("targets", [])) == 1 else [f"Value #{refs[j]}" for j in sorted(data)]
    rows: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for j in sorted(data):
        column = value_columns[0] if len(value_columns) == 1 else f"Value #{refs[j]}"
        for r in data[j]:
            key = tuple(sorted((k, v) for k, v in r["metric"].items() if k not in excluded))
            rows.setdefault(key, dict(key))[column] = fmt(unit, float(r["value"][1]))
    labels = sorted({k for key in rows for k, _ in key})
    columns = labels + [c for c in value_columns if c not in excluded]
    cells = [[row.get(c, "")[:40] for c in columns] for row in list(rows.values())[:10]]
    ax.axis("off")
    if not cells:
        return
    table = ax.table(cellText=cells, colLabels=[renames.get(c, c) for c in columns], loc="upper center",
                     cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(5)
    for cell in table.get_celld().values():
        cell.set_facecolor(PANEL)
        cell.set_edgecolor("#2c3235")
        cell.get_text().set_color(TEXT)


def _state_timeline(ax: Axes, panel: dict[str, Any], data: dict[int, Result]) -> None:
    series = _series(panel, data)[:12]
    for k, (_name, times, values) in enumerate(series):
        for t0, t1, v in zip(times, times[1:] + times[-1:], values, strict=True):
            mapped = _mapped(panel, f"{v:g}")
            ax.barh(k, max(t1 - t0, 1), left=t0, color=mapped[1] if mapped else _threshold_colour(panel, v),
                    height=0.8)
    ax.set_yticks(range(len(series)), [s[0][:24] for s in series], fontsize=5, color=MUTED)
    ax.set_xticks([])


def _geomap(ax: Axes, panel: dict[str, Any], data: dict[int, Result]) -> None:
    field = panel["options"]["layers"][0]["config"]["style"]["color"].get("field", "")
    rows = [r["metric"] for j in sorted(data) for r in data[j] if "lat" in r["metric"]]
    for metric in rows:
        mapped = _mapped(panel, metric.get(field, ""))
        ax.scatter(float(metric["lon"]), float(metric["lat"]), s=18, color=mapped[1] if mapped else "#73bf69")
    ax.set_xlim(2.27, 2.62)
    ax.set_ylim(48.83, 49.02)
    ax.tick_params(colors=MUTED, labelsize=5)
    ax.set_aspect(1.5)


DRAW: dict[str, Callable[[Axes, dict[str, Any], dict[int, Result]], None]] = {
    "timeseries": _timeseries, "stat": _stat, "table": _table, "state-timeline": _state_timeline,
    "geomap": _geomap,
}


def render(dashboard: dict[str, Any], data: dict[tuple[int, int], Result], out: Path) -> Path:
    """Draw `dashboard` (Grafana JSON) with `data` into the PNG `out`; return its path."""
    panels = dashboard["panels"]
    height = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    fig = plt.figure(figsize=(16, 16 * height * ROW_PX / 1600 + 0.6), facecolor=BACKGROUND)
    fig.suptitle(dashboard["title"], color=TEXT, x=0.01, ha="left", fontsize=12)
    top = 1 - 0.6 / fig.get_figheight()
    for i, panel in enumerate(panels):
        pos = panel["gridPos"]
        pad = 0.004
        left, width = pos["x"] / 24 + pad, pos["w"] / 24 - 2 * pad
        bottom = top - (pos["y"] + pos["h"]) / height * top + pad
        box_height = pos["h"] / height * top - 2 * pad
        if panel["type"] == "row":
            fig.text(left, bottom + box_height / 2, panel.get("title", ""), color=TEXT, fontsize=9, weight="bold")
            continue
        # Leave room for the title and axis labels inside the panel's cell.
        ax = fig.add_axes((left + 0.035 * (panel["type"] in ("timeseries", "geomap")), bottom + 0.02 * box_height,
                           width - 0.04 * (panel["type"] in ("timeseries", "geomap")), box_height * 0.8),
                          facecolor=PANEL)
        for spine in ax.spines.values():
            spine.set_color("#2c3235")
        fig.text(left, bottom + box_height - 0.004, panel.get("title", ""), color=TEXT, fontsize=7, va="top")
        panel_data = {j: r for (p_i, j), r in data.items() if p_i == i}
        DRAW.get(panel["type"], lambda a, _p, _d: a.axis("off"))(ax, panel, panel_data)
        if not any(panel_data.values()):
            ax.text(0.5, 0.5, "No data", ha="center", va="center", color=MUTED, transform=ax.transAxes)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100, facecolor=BACKGROUND)
    plt.close(fig)
    return out
