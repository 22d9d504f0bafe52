"""How `collect` and `inventory show` print the SNMP module selection (collector.snmp.select): which
profile, which modules, and why; the expected modules that answered nothing stand out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.table import Table

from thdmon.terminal import text


def _module_cell(row: Mapping[str, Any]) -> str:
    if row.get("empty"):
        return f"[red]{row['name']} (empty)[/red]"
    if row.get("kept") is False:
        return f"[dim]{row['name']} (absent)[/dim]"
    if "samples" in row:
        return f"{row['name']} ({row['samples']})"
    return str(row["name"]) if row.get("expected", True) else f"{row['name']} (probe)"


def selection_table(selections: Mapping[str, Mapping[str, Any]], title: str = "SNMP profiles and modules") -> Table:
    """One row per device: profile (source), why, the modules with their sample counts."""
    table = Table(title=title)
    for col in ("device", "profile", "why", "modules (samples)"):
        table.add_column(col)
    for device, sel in sorted(selections.items()):
        profile = sel.get("profile") or "-"
        if sel.get("profile_source"):
            profile += f" ({sel['profile_source']})"
        modules = ", ".join(_module_cell(r) for r in sel.get("modules", ()))
        table.add_row(text(device), profile, text(sel.get("why", "")), modules)
    return table


def empty_lines(selections: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """'DEVICE: profile P expects MODULE, which answered nothing' for every expected empty module."""
    return [f"{device}: profile {sel.get('profile')} expects {name}, which answered nothing"
            for device, sel in sorted(selections.items()) for name in sel.get("empty", ())]


def unmatched_lines(selections: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """'DEVICE: no profile matches sysObjectID S; standard MIBs kept: ...' for every device of a vendor no
    profile knows (its standard MIBs were probed)."""
    out = []
    for device, sel in sorted(selections.items()):
        if sel.get("profile") is None:
            kept = [r["name"] for r in sel.get("modules", ()) if r.get("kept")]
            out.append(f"{device}: no profile matches sysObjectID {sel.get('sys_object_id')}; "
                       f"standard MIBs kept: {', '.join(kept) or 'none'}")
    return out
