"""`thdmon collect`."""

from __future__ import annotations

import click


@click.group(name="collect")
def cli() -> None:
    """(being built)"""
