"""Text from files, devices and users, made safe to show in an operator's terminal.

Anything that did not come from thdmon itself (a file name, a sysDescr, a RADIUS User-Name, an
interface alias) may hold rich markup (`[/red]`, `[link=...]`) or terminal escape sequences (`\\e[2J`).
Shown raw, the first crashes or forges the output and the second drives the terminal. `printable` makes
such text inert: control characters become visible escapes, and the result is wrapped in a rich `Text`
(never parsed as markup) by `text`.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 and C1 controls and DEL, except tab; newlines too: one value stays on one line.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def printable(value: object) -> str:
    """`value` as a one-line string with every control character shown as `\\xNN`."""
    return _CONTROL.sub(_escape, str(value))


def text(value: object, style: str = "") -> Text:
    """A rich Text of `printable(value)`: rich never interprets it as markup."""
    return Text(printable(value), style=style)
