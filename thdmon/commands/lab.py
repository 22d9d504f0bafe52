"""`thdmon lab`."""

from __future__ import annotations

import click


@click.group(name="lab")
def cli() -> None:
    """(being built)"""
