"""`thdmon inventory`."""

from __future__ import annotations

import click


@click.group(name="inventory")
def cli() -> None:
    """(being built)"""
