"""`thdmon alerts build|silence-sync`: thin wiring over `alerts`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from alerts import build as build_mod
from alerts.errors import AlertsError
from alerts.policy import load_policy
from inventory import load_inventory
from thdmon import settings as settings_mod

_POLICY = click.option("--policy", type=click.Path(path_type=Path, dir_okay=False), default=None,
                       help="alerting policy YAML (default: alerts/policy.yaml shipped with thdmon)")


def _settings(ctx: click.Context) -> settings_mod.Settings:
    obj: dict[str, Any] = ctx.obj or {}
    return obj.get("settings") or settings_mod.load()


@click.group("alerts")
def cli() -> None:
    """Alert rules and Alertmanager configuration, generated; maintenance silences."""


@cli.command("build")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="directory to write prometheus/thdmon-rules.yml and alertmanager/alertmanager.yml into")
@_POLICY
@click.option("--check", is_flag=True, help="write nothing; exit 1 if the files under --out differ")
@click.pass_context
def build(ctx: click.Context, out: Path, policy: Path | None, check: bool) -> None:
    """Generate the Prometheus rule file and the Alertmanager configuration."""
    inv = load_inventory(_settings(ctx).inventory, check_secrets=False)
    rules, files = build_mod.render(inv, load_policy(policy))
    if check:
        stale = build_mod.differences(out, files)
        for rel in stale:
            click.echo(f"{out / rel}: differs from `thdmon alerts build` (regenerate and commit it)", err=True)
        ctx.exit(1 if stale else 0)
    for path in build_mod.write(out, files):
        click.echo(f"wrote {path}")
    click.echo(f"{len(rules)} rules")


@cli.command("silence-sync")
@click.option("--alertmanager", "am_url", envvar="THDMON_ALERTMANAGER_URL", default="http://127.0.0.1:9093",
              show_default=True, help="Alertmanager base URL ($THDMON_ALERTMANAGER_URL)")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the day to judge maintenance against (default: today, Europe/Paris)")
@click.option("--dry-run", is_flag=True, help="print the plan, change nothing")
@click.option("--json", "as_json", is_flag=True, help="print the actions as JSON")
@click.pass_context
def silence_sync(ctx: click.Context, am_url: str, today: dt.datetime | None, dry_run: bool, as_json: bool) -> None:
    """Make Alertmanager's silences match the inventory's `maintenance` dates (idempotent)."""
    from alerts.silences import PARIS, AlertmanagerApi, sync

    inv = load_inventory(_settings(ctx).inventory, check_secrets=False)
    day = today.date() if today else dt.datetime.now(PARIS).date()
    try:
        actions = sync(inv, AlertmanagerApi(am_url), day, dry_run=dry_run)
    except OSError as exc:
        raise AlertsError(f"Alertmanager at {am_url}: {exc}") from None
    if as_json:
        click.echo(json.dumps([a.as_dict() for a in actions], indent=2))
        return
    for a in actions:
        click.echo(str(a))
    click.echo(f"{sum(a.kind != 'keep' for a in actions)} changes, {len(actions)} silences considered"
               + (" (dry run)" if dry_run else ""))
