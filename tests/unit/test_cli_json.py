"""Every command that prints a table has --json (scripts read the JSON, people the table)."""

from __future__ import annotations

import inspect
import sys

import click

from thdmon.cli import cli

# The commands that print a rich table; a module drawing a table must host one of them.
TABLES = {"collect", "inventory check", "inventory show", "logs seal", "logs search", "logs journal",
          "settings show", "lab status", "status"}


def _leaves(group: click.Group, ctx: click.Context, prefix: str = "") -> dict[str, click.Command]:
    out: dict[str, click.Command] = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            out.update(_leaves(command, ctx, f"{path} "))
        else:
            out[path] = command
    return out


def test_every_command_printing_a_table_has_json():
    commands = _leaves(cli, click.Context(cli))
    assert TABLES <= set(commands), TABLES - set(commands)
    for name in sorted(TABLES):
        assert any("--json" in p.opts for p in commands[name].params), f"{name} prints a table without --json"
    drawing = {inspect.getmodule(c.callback).__name__ for c in commands.values()
               if "Table(" in inspect.getsource(sys.modules[c.callback.__module__])}
    hosting = {commands[name].callback.__module__ for name in TABLES}
    assert drawing <= hosting, f"modules drawing tables for commands not in TABLES: {drawing - hosting}"
