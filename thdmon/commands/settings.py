"""`thdmon settings show|example`: the effective settings and where each came from; the annotated example."""

from __future__ import annotations

import json
import sys
from importlib import resources

import click
from rich.console import Console
from rich.table import Table

from thdmon import settings as settings_mod
from thdmon.terminal import text


def example_text() -> str:
    """The annotated thdmon.toml shipped with the package (every key at its default)."""
    return resources.files("thdmon").joinpath("thdmon.example.toml").read_text(encoding="utf-8")


@click.group(name="settings")
def cli() -> None:
    """The settings in effect (thdmon.toml, THDMON_* variables, flags) and an example file."""


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """Every setting, its effective value (secrets masked) and its source: default, file, environment, flag."""
    loaded: settings_mod.Loaded = ctx.find_root().obj["loaded"]
    rows = settings_mod.effective(loaded)
    if as_json:
        json.dump({"config_file": str(loaded.config) if loaded.config else None, "warnings": loaded.warnings,
                   "settings": [{"key": k, "value": v, "source": src} for k, v, src in rows]},
                  sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    table = Table(title="Effective settings")
    for column in ("key", "value", "source"):
        table.add_column(column)
    for key, value, source in rows:
        table.add_row(key, text(json.dumps(value, ensure_ascii=False)), text(source))
    table.caption = (f"settings file: {loaded.config}" if loaded.config else
                     f"no settings file ({settings_mod.SYSTEM_CONFIG} absent; --config or THDMON_CONFIG)")
    Console(width=max(Console().width, 110)).print(table)  # the warnings were logged at start-up


@cli.command()
def example() -> None:
    """Print an annotated thdmon.toml with every setting at its default."""
    click.echo(example_text(), nl=False)
