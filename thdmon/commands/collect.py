"""`thdmon collect --once`: poll devices of the inventory once over SNMP (thin wiring over `collector`)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from collector import loop
from collector.collect import CollectOptions, CollectReport, collect_once
from collector.errors import CollectorError
from collector.model import PollResult
from inventory import load_inventory
from thdmon import settings as settings_mod


def _report_json(report: CollectReport) -> dict[str, Any]:
    devices = {}
    for name, r in report.results.items():
        devices[name] = {
            "up": r.state.up, "reason": r.state.reason.value if r.state.reason else None,
            "detail": r.state.detail, "varbinds": r.state.varbinds,
            "poll_duration_seconds": round(r.state.poll_duration, 4),
            "samples": [{"metric": s.metric, "labels": dict(s.labels), "value": s.value,
                         "timestamp": s.timestamp} for s in r.samples],
        }
    return {"devices": devices, "summary": {"devices": len(report.results), "up": len(report.up),
                                            "down_by_reason": report.down_by_reason(),
                                            "varbinds": report.varbinds,
                                            "duration_seconds": round(report.duration, 3)}}


def _summary_table(report: CollectReport) -> Table:
    table = Table(title="SNMP collection")
    table.add_column("devices", justify="right")
    table.add_column("ok", justify="right")
    table.add_column("down (by reason)")
    table.add_column("varbinds", justify="right")
    table.add_column("samples", justify="right")
    table.add_column("time", justify="right")
    down = ", ".join(f"{reason} {n}" for reason, n in report.down_by_reason().items()) or "-"
    samples = sum(len(r.samples) for r in report.results.values())
    table.add_row(str(len(report.results)), str(len(report.up)), down, str(report.varbinds), str(samples),
                  f"{report.duration:.2f} s")
    return table


def _down_table(report: CollectReport) -> Table | None:
    rows = [r for r in report.results.values() if not r.state.up]
    if not rows:
        return None
    table = Table(title="Devices down")
    for col in ("device", "reason", "detail"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.state.device, r.state.reason.value if r.state.reason else "?", r.state.detail)
    return table


@click.command(name="collect")
@click.option("--once", is_flag=True, help="poll every selected device once, print, and exit")
@click.option("--device", "device_name", default=None, help="only this device (hostname)")
@click.option("--site", "site_id", default=None, help="only the devices of this site (id)")
@click.option("--json", "as_json", is_flag=True, help="print samples and states as JSON")
@click.option("--engine", type=click.Choice(["gufo", "pysnmp"]), default=None,
              help="SNMP engine (default: collector.engine in the settings)")
@click.pass_context
def cli(ctx: click.Context, once: bool, device_name: str | None, site_id: str | None, as_json: bool,
        engine: str | None) -> None:
    """Poll devices over SNMP with their profiles' modules (collector/profiles/*.yaml)."""
    if not once:
        raise click.UsageError("only --once is available here; continuous polling runs in the scheduler")
    obj = ctx.find_root().obj or {}
    s: settings_mod.Settings = obj.get("settings") or settings_mod.load()
    inv = load_inventory(s.inventory, s.secrets_file)
    devices = [d for d in inv.devices.values() if d.enabled and d.snmp is not None]
    if device_name is not None:
        if device_name not in inv.devices:
            raise CollectorError(f"device {device_name!r} is not in the inventory {inv.root}")
        devices = [inv.devices[device_name]]
    if site_id is not None:
        if site_id not in inv.sites:
            raise CollectorError(f"site {site_id!r} is not in the inventory {inv.root}")
        devices = [d for d in devices if d.site == site_id]
    options = CollectOptions(engine=engine or s.collector.engine, timeout=s.collector.timeout,
                             retries=s.collector.retries, concurrency=s.collector.concurrency)
    err = Console(stderr=True)
    with Progress(TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("poll", total=len(devices))

        def done(_: PollResult) -> None:
            progress.advance(task)

        report = loop.run(collect_once(inv, devices, options, on_done=done))
    if as_json:
        json.dump(_report_json(report), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        out = Console()
        out.print(_summary_table(report))
        down = _down_table(report)
        if down is not None:
            out.print(down)
    if devices and not report.up:
        ctx.exit(1)
