"""The single `thdmon` command. It wires the packages together and owns no domain logic.

Each subcommand group lives in `thdmon/commands/<name>.py` and is registered in `COMMANDS`. Domain
errors (one exception type per package, with a human message) are printed without a traceback and
exit with status 2; `--debug` shows the traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback
from importlib import metadata
from pathlib import Path

import click

from thdmon import logfmt
from thdmon import settings as settings_mod
from thdmon.terminal import printable

# name -> module holding a click command or group named `cli`. Packages outside production (the lab)
# add theirs as entry points of the group `thdmon.commands`, so that nothing here imports them.
COMMANDS: dict[str, str] = {
    "inventory": "thdmon.commands.inventory",
    "collect": "thdmon.commands.collect",
    "logs": "thdmon.commands.logs",
    "serve": "thdmon.commands.serve",
    "portal": "thdmon.commands.portal",
    "settings": "thdmon.commands.settings",
    "alerts": "thdmon.commands.alerts",
    "status": "thdmon.commands.status",
    "topology": "thdmon.commands.topology",
}

# Exceptions whose message is meant for people (module:Class), imported lazily.
USER_ERRORS: tuple[str, ...] = (
    "thdmon.settings:SettingsError",
    "inventory.errors:InventoryError",
    "alerts.errors:AlertsError",
    "collector.errors:CollectorError",
    "connlog.errors:ConnlogError",
    "portal.errors:PortalError",
)


PLUGIN_GROUP = "thdmon.commands"

# Exit statuses of every command (README "Exit codes"): 0 done; 1 done, and what was checked is not
# fine (a device down, a seal that does not verify); 2 nothing done: a bad argument, setting, inventory
# or file (click's usage errors are 2 too); 3 an internal error (a traceback to report); 130 interrupted.
EXIT_OK, EXIT_PROBLEM, EXIT_INVALID, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _plugins() -> dict[str, metadata.EntryPoint]:
    return {ep.name: ep for ep in metadata.entry_points(group=PLUGIN_GROUP) if ep.name not in COMMANDS}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *_plugins()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is not None:
            return importlib.import_module(module).cli
        plugin = _plugins().get(cmd_name)
        return plugin.load() if plugin is not None else None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="thdmon.toml (default: $THDMON_CONFIG, else /etc/thdmon/thdmon.toml if present)")
@click.option("--inventory", "inventory", type=click.Path(path_type=Path), default=None,
              help="inventory directory (default: $THDMON_INVENTORY, else /etc/thdmon/inventory)")
@click.option("--secrets", "secrets_file", type=click.Path(path_type=Path), default=None,
              help="secrets file for file:NAME references (must be 0600)")
@click.option("--log-format", type=click.Choice(logfmt.FORMATS), default=None,
              help="log lines as key=value text or JSON objects, UTC timestamps (default: log_format, text)")
@click.option("--debug", is_flag=True, help="show tracebacks and debug logs")
@click.version_option(metadata.version("thdmon"), "-V", "--version", prog_name="thdmon",
                      message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, inventory: Path | None, secrets_file: Path | None,
        log_format: str | None, debug: bool) -> None:
    """thdmon: network and Wi-Fi operations monitor of THD-SSD (Seine-Saint-Denis)."""
    level = logging.DEBUG if debug else logging.WARNING
    logfmt.configure(log_format or "text", level)  # settings errors below are logged in the asked format
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    loaded = settings_mod.resolve(config, overrides={
        ("inventory",): inventory, ("secrets_file",): secrets_file, ("log_format",): log_format})
    logfmt.configure(loaded.settings.log_format, level)
    for warning in loaded.warnings:  # a typo in a variable name would otherwise be silently ignored
        logging.getLogger("thdmon.settings").warning("event=settings_warning message=%r", warning)
    ctx.obj["settings"] = loaded.settings
    ctx.obj["loaded"] = loaded


def _user_error_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = []
    for ref in USER_ERRORS:
        module, _, name = ref.partition(":")
        try:
            types.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(types)


def main(argv: list[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        rc = cli.main(args=argv, prog_name="thdmon", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except Exception as exc:
        if isinstance(exc, _user_error_types()):
            if debug:
                traceback.print_exc()
            # Messages quote file names and device values: each line made inert for the terminal.
            click.echo("\n".join(printable(line) for line in f"error: {exc}".splitlines()), err=True)
            return EXIT_INVALID
        # A bug, not a bad input: the traceback is what a report needs; 3 tells scripts it is neither.
        traceback.print_exc()
        click.echo("thdmon: internal error (a bug: please report the traceback above)", err=True)
        return EXIT_INTERNAL
    # Commands signal failure with ctx.exit(code); click returns that code here.
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
