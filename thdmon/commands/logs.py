"""`thdmon logs`: the legal connection logs of the public Wi-Fi (connlog)."""

from __future__ import annotations

import click

from thdmon.commands import logs_opendata, logs_serve, logs_store


@click.group(name="logs")
def cli() -> None:
    """Connection logs: ingest (serve), seal, verify, search, export, purge."""


for _module in (logs_serve, logs_store, logs_opendata):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
