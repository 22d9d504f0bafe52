"""`thdmon inventory`: check, show, export and import the inventory (thin wiring over `inventory`)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.table import Table

from inventory import InventoryError, load_inventory
from inventory.exports import FORMATS, collectors_file_sd, render
from inventory.import_csv import ENCODINGS, ColumnMapping, import_csv, mapping_from_file, mapping_from_options
from inventory.model import Inventory, Role, SiteKind
from inventory.shard import Shard
from inventory.shard import parse as parse_shard
from thdmon import settings as settings_mod
from thdmon.terminal import printable, text


def _settings(ctx: click.Context) -> settings_mod.Settings:
    obj = ctx.find_root().obj or {}
    return obj.get("settings") or settings_mod.load()


def _load(ctx: click.Context, directory: Path | None, check_secrets: bool = True) -> Inventory:
    s = _settings(ctx)
    return load_inventory(directory or s.inventory, s.secrets_file,
                          check_secrets=check_secrets)


def _write(path: Path, text: str) -> None:
    """Atomically, creating the missing directories; a path that cannot be written is a clear error."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        error = click.ClickException(f"cannot write {path}: {exc.strerror or exc}")
        error.exit_code = 2
        raise error from None


def summary(inv: Inventory) -> dict[str, Any]:
    today = dt.datetime.now(dt.UTC).date()
    kinds = Counter(s.kind.value for s in inv.sites.values())
    roles = Counter(d.role.value for d in inv.devices.values())
    return {
        "root": inv.root,
        "sites": {"total": len(inv.sites), "by_kind": {k.value: kinds.get(k.value, 0) for k in SiteKind}},
        "devices": {"total": len(inv.devices), "enabled": sum(d.enabled for d in inv.devices.values()),
                    "in_maintenance": sum(d.in_maintenance(today) for d in inv.devices.values()),
                    "by_role": {r.value: roles.get(r.value, 0) for r in Role}},
        "credentials": {"total": len(inv.credentials),
                        "by_type": dict(sorted(Counter(c.type for c in inv.credentials.values()).items()))},
        "profiles": {"total": len(inv.profiles)},
        "communes": len({s.commune for s in inv.sites.values()}),
    }


@click.group(name="inventory")
def cli() -> None:
    """Check, show, export and import the inventory (sites, devices, credentials, profiles)."""


_DIR = click.argument("directory", required=False, type=click.Path(path_type=Path))


@cli.command()
@_DIR
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.pass_context
def check(ctx: click.Context, directory: Path | None, as_json: bool) -> None:
    """Validate the inventory (default: settings' inventory) and print a summary; exit 2 on errors."""
    try:
        inv = _load(ctx, directory)
    except InventoryError as exc:
        if not as_json:
            raise
        click.echo(json.dumps({"ok": False, "count": len(exc.problems),
                               "errors": [p.as_dict() for p in exc.problems]}, indent=2))
        ctx.exit(2)
    info = summary(inv)
    if as_json:
        click.echo(json.dumps({"ok": True, **info}, indent=2))
        return
    console = Console()
    table = Table(title=text(f"inventory {inv.root}: OK"), show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind, n in info["sites"]["by_kind"].items():
        if n:
            table.add_row(f"sites: {kind}", str(n))
    table.add_row("sites", str(info["sites"]["total"]), style="bold")
    table.add_row("communes", str(info["communes"]))
    table.add_row("devices", str(info["devices"]["total"]), style="bold")
    table.add_row("devices enabled", str(info["devices"]["enabled"]))
    table.add_row("devices in maintenance", str(info["devices"]["in_maintenance"]))
    table.add_row("credentials", str(info["credentials"]["total"]))
    table.add_row("profiles", str(info["profiles"]["total"]))
    console.print(table)
    unprofiled = sum(1 for d in inv.devices.values() if d.profile is None and d.snmp is not None)
    if unprofiled:  # not an error: the built-in profiles choose by sysObjectID, which only a poll tells
        console.print(f"[yellow]note[/yellow] {unprofiled} device(s) polled over SNMP have no profile: chosen by "
                      "sysObjectID at the first poll; `thdmon collect --once --verbose` shows the choice and "
                      "names the devices no profile matches")


def _device_selection(inv: Inventory, hostname: str, sys_object_id: str | None) -> dict[str, Any]:
    """The SNMP profile and modules a device gets, and why; without a sysObjectID only an explicit
    profile can be known before the device is polled."""
    from collector.snmp.profile import modules
    from collector.snmp.select import describe, select

    if hostname not in inv.devices:
        raise click.UsageError(f"device {hostname!r} is not in the inventory {inv.root}")
    device = inv.devices[hostname]
    if device.profile is None and sys_object_id is None:
        return {"device": hostname, "profile": None, "profile_source": "", "sys_object_id": None, "modules": [],
                "why": "no profile in the inventory: chosen when polled, by the longest sysObjectID prefix "
                       "(preview with --sys-object-id OID, or see `thdmon collect --once --device "
                       f"{hostname} --verbose`)"}
    return {"device": hostname, **describe(select(device.profile, sys_object_id, inv.profiles, modules()))}


@cli.command()
@_DIR
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--device", "device_name", default=None, help="this device's SNMP profile, modules and why")
@click.option("--sys-object-id", default=None, help="with --device: preview the choice for this sysObjectID")
@click.pass_context
def show(ctx: click.Context, directory: Path | None, as_json: bool, device_name: str | None,
         sys_object_id: str | None) -> None:
    """Sites per commune and kind, devices per role; or one device's SNMP selection (--device)."""
    inv = _load(ctx, directory, check_secrets=device_name is None)  # a selection needs no secret
    if device_name is not None:
        selection = _device_selection(inv, device_name, sys_object_id)
        if as_json:
            click.echo(json.dumps(selection, indent=2, ensure_ascii=False))
        else:
            from thdmon.selection import selection_table
            Console().print(selection_table({device_name: selection}, title="SNMP profile and modules"))
        return
    per_commune: dict[str, Counter[str]] = {}
    for site in inv.sites.values():
        per_commune.setdefault(site.commune, Counter())[site.kind.value] += 1
    devices_per_commune = Counter(inv.site_of(d).commune for d in inv.devices.values())
    info = summary(inv)
    if as_json:
        click.echo(json.dumps({
            **info,
            "communes": {c: {"sites": dict(k), "devices": devices_per_commune.get(c, 0)}
                         for c, k in sorted(per_commune.items())},
        }, indent=2, ensure_ascii=False))
        return
    kinds = [k.value for k in SiteKind if info["sites"]["by_kind"][k.value]]
    console = Console()
    sites = Table(title=text(f"sites per commune and kind ({inv.root})"))
    sites.add_column("commune")
    for kind in kinds:
        sites.add_column(kind, justify="right")
    sites.add_column("devices", justify="right")
    for commune, counts in sorted(per_commune.items()):
        # Commune names come from the files: never markup, never terminal escapes.
        sites.add_row(text(commune), *(str(counts.get(k, 0) or "") for k in kinds),
                      str(devices_per_commune[commune]))
    sites.add_row("total", *(str(info["sites"]["by_kind"][k]) for k in kinds), str(info["devices"]["total"]),
                  style="bold")
    console.print(sites)
    roles = Table(title="devices per role")
    roles.add_column("role")
    roles.add_column("devices", justify="right")
    roles.add_column("enabled", justify="right")
    enabled = Counter(d.role.value for d in inv.devices.values() if d.enabled)
    for role, n in info["devices"]["by_role"].items():
        if n:
            roles.add_row(role, str(n), str(enabled[role]))
    console.print(roles)


@cli.command()
@_DIR
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="what to produce")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="write here (default: standard output)")
@click.option("--group-by", type=click.Choice(["device", "site", "collector"]), default="device",
              show_default=True, help="file_sd: one target group per device or per site (device addresses, "
              "for probes), or per collector (what Prometheus scrapes: docs/exporter.md)")
@click.option("--collector", "collectors", multiple=True, metavar="HOST:PORT",
              help="--group-by collector: the /metrics of the collector of shard K, in order K=1..N "
                   "(default: collector.listen, one collector)")
@click.option("--no-secrets", is_flag=True,
              help="do not resolve secret references (export on a host that lacks the secrets)")
@click.option("--shard", "shard_text", default=None, metavar="K/N",
              help="file_sd: only the devices of shard K among N, as `thdmon serve --shard K/N` polls them")
@click.pass_context
def export(ctx: click.Context, directory: Path | None, fmt: str, output: Path | None, group_by: str,
           collectors: tuple[str, ...], no_secrets: bool, shard_text: str | None) -> None:
    """Export to Prometheus file_sd JSON, an Ansible YAML inventory or CSV (never with secrets)."""
    if collectors and group_by != "collector":
        raise click.UsageError("--collector goes with --format file_sd --group-by collector")
    if group_by == "collector":
        if fmt != "file_sd" or shard_text is not None:
            raise click.UsageError("--group-by collector is a file_sd export of every collector: no --shard, "
                                   "give the collectors in shard order with --collector")
        for address in collectors:
            try:
                TypeAdapter(settings_mod.Listen).validate_python(address)
            except ValidationError as exc:
                raise click.BadParameter(exc.errors()[0]["msg"].removeprefix("Value error, "),
                                         param_hint="--collector") from None
        text = json.dumps(collectors_file_sd(collectors or (_settings(ctx).collector.listen,)), indent=2) + "\n"
        if output is None:
            click.echo(text, nl=False)
        else:
            _write(output, text)
            click.echo(f"wrote {output} (file_sd, {len(collectors) or 1} collectors)", err=True)
        return
    shard: Shard | None = None
    if shard_text is not None:
        if fmt != "file_sd":
            raise click.UsageError("--shard applies to --format file_sd only")
        try:
            shard = parse_shard(shard_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--shard") from None
    inv = _load(ctx, directory, check_secrets=not no_secrets)
    text = render(inv, fmt, group_by, shard)  # type: ignore[arg-type]
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
        click.echo(f"wrote {printable(output)} ({fmt}, {len(inv.devices)} devices)", err=True)


@cli.command(name="import-csv")
@click.argument("csv_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
              help="feed FIELD from COLUMN (site fields: site.id, site.kind, ...); repeatable")
@click.option("--const", "consts", multiple=True, metavar="FIELD=VALUE", help="constant value; repeatable")
@click.option("--mapping", "mapping_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="YAML mapping file (columns, constants, values, delimiter)")
@click.option("--delimiter", default=None, help="CSV delimiter (default: the one the header line uses, ; , tab |)")
@click.option("--encoding", default=None, metavar="|".join(ENCODINGS),
              help="of the CSV (default auto: a BOM's, else UTF-8, else cp1252 as French Excel writes)")
@click.option("--against", type=click.Path(path_type=Path), default=None,
              help="check references and clashes against this inventory directory")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="YAML file to write")
def import_csv_cmd(csv_file: Path, maps: tuple[str, ...], consts: tuple[str, ...], mapping_file: Path | None,
                   delimiter: str | None, encoding: str | None, against: Path | None, output: Path) -> None:
    """Import devices and/or sites from a CSV spreadsheet into inventory YAML."""
    if mapping_file is not None and (maps or consts):
        raise click.UsageError("give either --mapping FILE or --map/--const options, not both")
    mapping: ColumnMapping
    if mapping_file is not None:
        mapping = mapping_from_file(mapping_file)
        mapping = dataclasses.replace(mapping, delimiter=delimiter or mapping.delimiter,
                                      encoding=encoding or mapping.encoding)
    else:
        mapping = mapping_from_options(maps, consts, delimiter, encoding or "auto")
    result = import_csv(csv_file, mapping, against=against, replacing=output)
    _write(output, result.to_yaml())
    click.echo(f"wrote {printable(output)}: {len(result.sites)} sites, {len(result.devices)} devices", err=True)
