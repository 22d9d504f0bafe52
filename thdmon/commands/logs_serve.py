"""Commands of `thdmon logs` (see thdmon/commands/logs.py)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
