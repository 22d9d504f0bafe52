"""`thdmon topology check`: the inventory's declared uplinks against what LLDP sees (thin wiring)."""

from __future__ import annotations

import json

import click

from alerts.readback import read
from collector.sites import LldpNeighbour, uplink_mismatches
from inventory import load_inventory
from thdmon import settings as settings_mod
from thdmon.commands.status import make_source, source_options
from thdmon.terminal import printable


@click.group("topology")
def cli() -> None:
    """The network's topology: inventory uplinks and LLDP."""


@cli.command("check")
@source_options
@click.option("--json", "as_json", is_flag=True, help="print the mismatches as JSON")
@click.pass_context
def check(ctx: click.Context, metrics_url: str | None, prometheus_url: str | None, auth_user: str | None,
          as_json: bool) -> None:
    """List sites whose LLDP neighbours contradict their declared uplink; exit 1 if there are any."""
    settings: settings_mod.Settings = (ctx.obj or {}).get("settings") or settings_mod.load()
    inv = load_inventory(settings.inventory, check_secrets=False)
    source = make_source(ctx, metrics_url, prometheus_url, auth_user)
    neighbours = [LldpNeighbour(s.labels["device"], s.labels["ifname"], s.labels["remote_sys_name"],
                                s.labels["remote_port"])
                  for s in read(source, ["thdmon_lldp_neighbor_info"]) if s.value == 1]
    found = uplink_mismatches(inv, neighbours)
    if as_json:
        click.echo(json.dumps({"neighbours": len(neighbours), "mismatches": [
            {"site": m.site, "declared": m.declared, "seen": m.seen, "detail": m.detail} for m in found]}, indent=2))
    else:
        for m in found:
            click.echo(printable(str(m)))
        click.echo(f"{len(found)} mismatches over {len(neighbours)} LLDP neighbours from {source}")
    ctx.exit(1 if found else 0)
