"""`thdmon logs`."""

from __future__ import annotations

import click


@click.group(name="logs")
def cli() -> None:
    """(being built)"""
