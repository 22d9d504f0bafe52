"""`thdmon logs opendata`: Wi-Fi sessions and distinct devices per park and hour, small cells suppressed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from connlog import opendata
from connlog.errors import ConnlogError
from connlog.store import Store
from thdmon.settings import Settings

PARIS = ZoneInfo("Europe/Paris")


def _day_start(text: str) -> float:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a day (YYYY-MM-DD, Europe/Paris)") from None
    return dt.datetime.combine(day, dt.time(0), PARIS).timestamp()


def _parks(settings: Settings) -> list[str] | None:
    from inventory import InventoryError, load_inventory

    try:
        inv = load_inventory(settings.inventory, settings.secrets_file, check_secrets=False)
    except InventoryError as exc:
        raise ConnlogError(f"cannot load the inventory for the list of parks: {exc}") from None
    return sorted(s.id for s in inv.sites.values() if s.kind.value == "park")


@click.command(name="opendata")
@click.option("--from", "since", required=True, help="first day (YYYY-MM-DD, Europe/Paris)")
@click.option("--to", "until", required=True, help="last day, included")
@click.option("--threshold", type=click.IntRange(2), default=None,
              help="suppress every count below this (default: portal.opendata_threshold, 10)")
@click.option("--all-sites", is_flag=True, help="every site with Wi-Fi sessions, not only the inventory's parks")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.pass_context
def opendata_cmd(ctx: click.Context, since: str, until: str, threshold: int | None, all_sites: bool,
                 output: Path) -> None:
    """Open data CSV: sessions and distinct devices per park and hour, no identifier, small cells suppressed."""
    settings: Settings = ctx.obj["settings"]
    store = Store.open(settings.connlog_db_url)
    try:
        cells = opendata.compute(store, _day_start(since), _day_start(until) + 86400,
                                 sites=None if all_sites else _parks(settings),
                                 threshold=threshold or settings.portal.opendata_threshold)
    finally:
        store.close()
    opendata.write_csv(cells, output)
    hidden = sum((c.sessions is None) + (c.devices is None) for c in cells)
    click.echo(f"{len(cells)} park-hour row(s) written to {output}; {hidden} cell(s) suppressed", err=True)


COMMANDS: list[click.Command] = [opendata_cmd]
