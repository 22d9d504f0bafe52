"""`thdmon collect --once`: poll devices of the inventory once, by every protocol (thin wiring over
`collector`)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from collector import loop
from collector.collect import CollectReport, collect_once
from collector.errors import CollectorError
from collector.model import PollResult
from collector.poller import build_pollers
from inventory import Inventory, load_inventory
from inventory.model import Device
from thdmon import settings as settings_mod
from thdmon.commands.serve import poller_options
from thdmon.selection import empty_lines, selection_table, unmatched_lines
from thdmon.terminal import text

# A one-shot pass ends whatever the devices do (each poll has its own deadline too): 1,500 devices at
# 64 at once take well under a minute when they answer.
DEFAULT_PASS_DEADLINE = 600.0


def _result_json(r: PollResult) -> dict[str, Any]:
    return {"up": r.state.up, "reason": r.state.reason.value if r.state.reason else None,
            "detail": r.state.detail, "varbinds": r.state.varbinds,
            "poll_duration_seconds": round(r.state.poll_duration, 4),
            **r.info,  # SNMP: "selection" (profile, modules, why)
            "samples": [{"metric": s.metric, "labels": dict(s.labels), "value": s.value,
                         "timestamp": s.timestamp} for s in r.samples]}


def _selections(report: CollectReport) -> dict[str, dict[str, Any]]:
    return {name: r.info["selection"] for name, by_protocol in report.results.items()
            for r in by_protocol.values() if "selection" in r.info}


def _report_json(report: CollectReport) -> dict[str, Any]:
    devices = {name: {"up": report.device_up(name),
                      "protocols": {p: _result_json(r) for p, r in by_protocol.items()}}
               for name, by_protocol in report.results.items()}
    summary = {p: {"up": len(report.up(p)), "down_by_reason": report.down_by_reason(p)}
               for p in report.protocols()}
    return {"devices": devices, "summary": {"devices": len(report.results), "by_protocol": summary,
                                            "varbinds": report.varbinds,
                                            "duration_seconds": round(report.duration, 3)}}


def _summary_table(report: CollectReport) -> Table:
    table = Table(title=f"Collection ({', '.join(p.upper() for p in report.protocols())})")
    for col, justify in (("protocol", "left"), ("devices", "right"), ("ok", "right"), ("down (by reason)", "left"),
                         ("samples", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for protocol in report.protocols():
        polled = [r[protocol] for r in report.results.values() if protocol in r]
        down = ", ".join(f"{reason} {n}" for reason, n in report.down_by_reason(protocol).items()) or "-"
        table.add_row(protocol, str(len(polled)), str(len(report.up(protocol))), down,
                      str(sum(len(r.samples) for r in polled)))
    table.caption = (f"{report.varbinds} SNMP varbinds in " if "snmp" in report.protocols() else "in ") + \
        f"{report.duration:.2f} s"
    return table


def _down_table(report: CollectReport) -> Table | None:
    rows = [(name, protocol, r) for name, by_protocol in report.results.items()
            for protocol, r in by_protocol.items() if not r.state.up]
    if not rows:
        return None
    table = Table(title="Down")
    for col in ("device", "protocol", "reason", "detail"):
        table.add_column(col)
    for name, protocol, r in rows:
        table.add_row(text(name), protocol, r.state.reason.value if r.state.reason else "?", text(r.state.detail))
    return table


def select_devices(inv: Inventory, names: tuple[str, ...], sites: tuple[str, ...]) -> list[Device]:
    """Enabled devices, narrowed to the named devices and/or the devices of the named sites."""
    unknown = [f"device {n!r}" for n in names if n not in inv.devices]
    unknown += [f"site {s!r}" for s in sites if s not in inv.sites]
    if unknown:
        raise CollectorError(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not in the inventory "
                             f"{inv.root}")
    devices = [d for d in inv.devices.values() if d.enabled]
    if names or sites:
        devices = [d for d in devices if d.hostname in names or d.site in sites]
    return devices


@click.command(name="collect")
@click.option("--once", is_flag=True, help="poll every selected device once, print, and exit")
@click.option("--device", "device_names", multiple=True, help="this device (hostname; repeat for more)")
@click.option("--site", "site_ids", multiple=True, help="the devices of this site (id; repeat for more)")
@click.option("--protocol", "protocols", multiple=True, type=click.Choice(["snmp", "icmp", "ssh"]),
              help="poll over this protocol (repeat; default: collector.protocols in the settings)")
@click.option("--json", "as_json", is_flag=True, help="print samples and states as JSON")
@click.option("--fail-on-down", is_flag=True, help="exit 1 when any selected device is down (for scripts and CI)")
@click.option("--engine", type=click.Choice(["gufo", "pysnmp"]), default=None,
              help="SNMP engine (default: collector.engine in the settings)")
@click.option("--deadline", "total_deadline", type=click.FloatRange(min=1.0), default=DEFAULT_PASS_DEADLINE,
              show_default=True, help="seconds for the whole pass: what is still polling then is reported down")
@click.option("--verbose", "-v", is_flag=True, help="also a table of each device's SNMP profile, modules and why")
@click.pass_context
def cli(ctx: click.Context, once: bool, device_names: tuple[str, ...], site_ids: tuple[str, ...],
        protocols: tuple[str, ...], as_json: bool, fail_on_down: bool, engine: str | None, total_deadline: float,
        verbose: bool) -> None:
    """Poll devices once: SNMP with their profiles' modules (collector/profiles/*.yaml), ICMP echo, SSH
    (configuration backup into the history, CLI facts).

    Exit status: 0 when at least one device answered (with --fail-on-down: when every device did), 1
    otherwise, 2 for a bad argument, setting or inventory. A device is down when none of its protocols
    answered (the device-level rule of `thdmon serve`).
    """
    if not once:
        raise click.UsageError("only --once is available here; continuous polling runs in `thdmon serve`")
    obj = ctx.find_root().obj or {}
    s: settings_mod.Settings = obj.get("settings") or settings_mod.load()
    inv = load_inventory(s.inventory, s.secrets_file)
    devices = select_devices(inv, device_names, site_ids)
    pollers = build_pollers(protocols or s.collector.protocols, inv, poller_options(s, engine))
    jobs = sum(1 for d in devices for p in pollers if p.wants(d))
    err = Console(stderr=True)
    # Each device-poll is bounded whatever the agent does (one that sends OIDs forever, say).
    deadline = max(10.0, s.collector.timeout * (s.collector.retries + 1) * 20)
    with Progress(TextColumn("polling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("poll", total=jobs)

        def done(_hostname: str, _protocol: str, _result: PollResult) -> None:
            progress.advance(task)

        report = loop.run(collect_once(devices, pollers, concurrency=s.collector.concurrency, deadline=deadline,
                                       total_deadline=total_deadline, on_done=done))
    if as_json:
        json.dump(_report_json(report), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        out = Console()
        out.print(_summary_table(report))
        down = _down_table(report)
        if down is not None:
            out.print(down)
        selections = _selections(report)
        if verbose and selections:
            out.print(selection_table(selections))
        for line in empty_lines(selections):  # "IF-MIB gave no interfaces" must not pass silently
            out.print(f"[yellow]empty module[/yellow] {text(line)}")
        for line in unmatched_lines(selections):  # a vendor to give a profile (inventory or built in)
            out.print(f"[yellow]no profile[/yellow] {text(line)}")
    up = {name: report.device_up(name) for name in report.results}
    if up and (not any(up.values()) or (fail_on_down and not all(up.values()))):
        ctx.exit(1)
