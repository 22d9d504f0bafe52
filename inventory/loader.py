"""Load an inventory directory: every `*.yaml`/`*.yml` file under it, merged, validated at once.

Each file may hold any of the top-level keys `sites:` and `devices:` (lists of mappings, keyed by
`id` and `hostname`), `credentials:` and `profiles:` (mappings name -> definition). Files are read in
sorted path order; hidden files and directories (".git", ".cache") are skipped.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inventory.errors import InventoryError, Problem
from inventory.limits import MAX_TOTAL_BYTES, excerpt, label, shown_path
from inventory.model import Inventory, Location
from inventory.secrets import SecretsFile, load_secrets_file
from inventory.validate import KEY_FIELD, SECTIONS, SINGULAR, Checked, Entry, Origin, check_all, suggest
from inventory.yamlsrc import parse_file

log = logging.getLogger(__name__)


def find_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return [root]  # a file, or something else that reading it will refuse with the reason
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath) / f for f in filenames
                     if not f.startswith(".") and f.endswith((".yaml", ".yml")))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def entries_of_document(data: Any, shown: str) -> tuple[list[Entry], list[Problem]]:
    """Split one parsed file into entries (not yet validated) and the problems of its layout."""
    if data is None:
        return [], []
    if not isinstance(data, Mapping):
        return [], [Problem(shown, getattr(data, "line", 1), "",
                            f"the top level must be a mapping with keys {', '.join(SECTIONS)}")]
    entries: list[Entry] = []
    problems: list[Problem] = []
    for key, value in data.items():
        line = data.key_lines.get(key, 1) if hasattr(data, "key_lines") else 1
        if key not in SECTIONS:
            problems.append(Problem(shown, line, "",
                                    f"unknown top-level key {excerpt(key)}{suggest(key, SECTIONS)}: "
                                    f"expected {', '.join(SECTIONS)}"))
        elif value is None:
            continue
        elif key in KEY_FIELD:
            if not isinstance(value, list):
                problems.append(Problem(shown, line, key, f"{key} must be a list of mappings "
                                                          f"(- {KEY_FIELD[key]}: ...)"))
                continue
            entries.extend(_listed(key, value, shown))
        else:
            if not isinstance(value, Mapping):
                problems.append(Problem(shown, line, key, f"{key} must be a mapping NAME: {{...}}"))
                continue
            entries.extend(_named(key, value, shown))
    return entries, problems


def _listed(section: Any, items: list[Any], shown: str) -> list[Entry]:
    out = []
    lines = getattr(items, "item_lines", None)
    for index, raw in enumerate(items):
        line = lines[index] if lines else 1
        name = raw.get(KEY_FIELD[section]) if isinstance(raw, Mapping) else None
        if isinstance(name, str) and name.strip():
            name = name.strip()
            origin = Origin(shown, line, f"{SINGULAR[section]} {label(name)}", raw)
        else:
            name = None
            origin = Origin(shown, line, f"{section}[{index}]", raw, sep=".")
        out.append(Entry(section, name, raw, origin))
    return out


def _named(section: Any, items: Mapping[Any, Any], shown: str) -> list[Entry]:
    out = []
    lines = getattr(items, "key_lines", {})
    for name, raw in items.items():
        origin = Origin(shown, lines.get(name, 1), f"{SINGULAR[section]} {label(name)}", raw)
        entry = Entry(section, str(name), raw, origin)
        if not isinstance(name, str):
            entry.problems.append(origin.problem((), f"{SINGULAR[section]} names must be strings"))
        out.append(entry)
    return out


def read_entries(root: Path) -> tuple[list[Entry], list[Problem]]:
    """Every entry of every file under `root` and the problems met reading them."""
    files = find_files(root)
    if not files:
        return [], [Problem(shown_path(root), None, "", "no *.yaml or *.yml file found")]
    total = sum(_size(path) for path in files)
    if total > MAX_TOTAL_BYTES:
        # Refused before parsing anything: the point is to spend neither the time nor the memory.
        return [], [Problem(shown_path(root), None, "", f"refused: {len(files)} files, {total:,} bytes in all, larger "
                                                 f"than the limit of {MAX_TOTAL_BYTES:,}")]
    entries: list[Entry] = []
    problems: list[Problem] = []
    for path in files:
        data, syntax = parse_file(path, shown_path(path))
        problems.extend(syntax)
        found, layout = entries_of_document(data, shown_path(path))
        entries.extend(found)
        problems.extend(layout)
    return entries, problems


def _size(path: Path) -> int:
    """The size of a regular file (0 for anything else: reading it refuses it with the reason)."""
    try:
        st = path.stat()
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def load_inventory(path: str | os.PathLike[str], secrets_file: str | os.PathLike[str] | None = None, *,
                   check_secrets: bool = True, env: Mapping[str, str] | None = None,
                   require_devices: bool = True) -> Inventory:
    """Load, validate and return the inventory at `path` (a directory, or one file).

    Raises InventoryError listing every problem (file:line: field: reason), sorted, with a count.
    With `check_secrets`, every credential's references are resolved (environment, secrets file)
    and kept in `Inventory.secrets`; without, references are only checked for syntax. An inventory
    without devices is an error unless `require_devices` is False.
    """
    root = Path(path)
    if not root.exists():
        raise InventoryError(f"inventory {shown_path(root)}: no such file or directory",
                             [Problem(shown_path(root), None, "", "no such file or directory")])
    secrets_path = Path(secrets_file).expanduser() if secrets_file else None
    started = time.perf_counter()
    entries, problems = read_entries(root)
    sfile: SecretsFile | None = None
    if check_secrets:
        sfile, secret_problems = load_secrets_file(secrets_path, root)
        problems.extend(secret_problems)
    checked = check_all(entries, sfile, env)
    problems.extend(checked.problems)
    if require_devices and not problems and not checked.devices:
        # Emptied or truncated files (or the wrong directory) would otherwise make a running service
        # silently stop polling everything.
        problems.append(Problem(shown_path(root), None, "", "no device declared: an inventory without devices is "
                                                     "refused (wrong directory, or emptied files?)"))
    if problems:
        log.warning("event=inventory_invalid root=%s errors=%d", shown_path(root), len(set(problems)))
        raise InventoryError.from_problems(f"invalid inventory {shown_path(root)}", problems)
    inv = build(root, checked)
    log.info("event=inventory_loaded root=%s sites=%d devices=%d credentials=%d profiles=%d secrets=%d "
             "duration_seconds=%.3f", shown_path(root), len(inv.sites), len(inv.devices), len(inv.credentials),
             len(inv.profiles), len(checked.secrets), time.perf_counter() - started)
    return inv


def build(root: Path, checked: Checked) -> Inventory:
    locations = {(e.section, name): Location(file=e.origin.file, line=e.origin.line)
                 for section in SECTIONS for name, e in getattr(checked, section).items()}
    return Inventory(
        root=str(root),
        sites=_models(checked.sites), devices=_models(checked.devices),
        credentials=_models(checked.credentials), profiles=_models(checked.profiles),
        locations=locations, secrets=checked.secrets,
    )


def _models(entries: Mapping[str, Entry]) -> dict[str, Any]:
    return {name: e.model for name, e in entries.items()}

