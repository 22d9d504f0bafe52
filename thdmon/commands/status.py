"""`thdmon status`: the on-call terminal view of the sites (thin wiring over `alerts.status`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from zoneinfo import ZoneInfo

import click
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from alerts.errors import AlertsError
from alerts.readback import Source, read
from alerts.status import NAMES, ORDER, StatusReport, build_report
from thdmon import settings as settings_mod
from thdmon.terminal import text


def source_options(f: click.decorators.FC) -> click.decorators.FC:
    """--metrics-url / --prometheus / --auth-user, shared with `thdmon topology check`."""
    f = click.option("--auth-user", default=None,
                     help="basic auth user for a serve beyond loopback (password from $THDMON_STATUS_PASSWORD)")(f)
    f = click.option("--prometheus", "prometheus_url", default=None, metavar="URL",
                     help="read from Prometheus' API instead (every shard), e.g. http://127.0.0.1:9090")(f)
    return click.option("--metrics-url", default=None, metavar="URL",
                        help="a running `thdmon serve` (default: http://<collector.listen>/metrics)")(f)


def make_source(ctx: click.Context, metrics_url: str | None, prometheus_url: str | None,
                auth_user: str | None) -> Source:
    if metrics_url and prometheus_url:
        raise click.UsageError("--metrics-url and --prometheus are exclusive")
    auth = (auth_user, os.environ.get("THDMON_STATUS_PASSWORD", "")) if auth_user else None
    if prometheus_url:
        return Source(prometheus_url, prometheus=True, auth=auth)
    if not metrics_url:
        settings: settings_mod.Settings = (ctx.obj or {}).get("settings") or settings_mod.load()
        metrics_url = f"http://{settings.collector.listen}/metrics"
    return Source(metrics_url, auth=auth)


PARIS = ZoneInfo("Europe/Paris")
STYLE = {"down": "bold red", "unreachable": "magenta", "degraded": "yellow", "up": "green"}


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


def _report(source: Source) -> StatusReport:
    return build_report(read(source, NAMES), str(source), time.time())


@click.command("status")
@source_options
@click.option("--once", is_flag=True, help="print once and exit (default: refresh until Ctrl-C)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON (implies --once)")
@click.option("--interval", type=click.FloatRange(min=1), default=10.0, show_default=True,
              help="seconds between refreshes")
@click.pass_context
def cli(ctx: click.Context, metrics_url: str | None, prometheus_url: str | None, auth_user: str | None,
        once: bool, as_json: bool, interval: float) -> None:
    """Sites down, then unreachable, then degraded, by kind and commune, with since-when and cause."""
    source = make_source(ctx, metrics_url, prometheus_url, auth_user)
    if as_json:
        click.echo(json.dumps(_report(source).as_dict(), indent=2, ensure_ascii=False))
        return
    console = Console()
    if once:
        console.print(render(_report(source)))
        return
    with Live(render(_report(source)), console=console, auto_refresh=False) as live:
        try:
            while True:
                time.sleep(interval)
                try:
                    live.update(render(_report(source)), refresh=True)
                except AlertsError as exc:  # a restarting serve: keep the last view, say why
                    console.print(text(f"{time.strftime('%H:%M:%S')} {exc}", "dim"))
        except KeyboardInterrupt:
            pass
