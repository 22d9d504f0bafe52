"""Import the network team's spreadsheets (CSV) into inventory YAML.

A mapping says which column feeds which field: device fields by name (`hostname=Nom`,
`intervals.fast=Poll`), site fields with a `site.` prefix (`site.id=UAI`, `site.kind=Type`), constants
for what the sheet does not say (`role=access_switch`), and optionally a translation of cell values
(`Collège` -> `college`). Rows are validated like the YAML (schema, duplicates; references too when
checked against an inventory); problems name the CSV file, the row's line and the column. The YAML
written reads back into the very same models.

Real spreadsheets: French Excel saves "CSV (séparateur : point-virgule)" in cp1252 with `;` and CRLF,
"CSV UTF-8" with a BOM, "Texte Unicode" in UTF-16 with tabs; the encoding is detected (or given) and
the delimiter is the one the header line uses most. Headers match exactly, else ignoring case, accents
and spaces (`Etablissement` finds `Établissement`). A device's `site` may name the site by its id or
by its name (from the sheet's sites or the `--against` inventory); a `model` column picks the profile
whose name or description names that model.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inventory.csv_refs import folded, profile_texts, resolve_models, resolve_sites
from inventory.errors import InventoryError, Problem
from inventory.limits import MAX_TOTAL_BYTES, FileRefused, read_regular, shown_path
from inventory.loader import read_entries
from inventory.model import Device, Site
from inventory.validate import Entry, Origin, check_all, suggest
from inventory.yamlsrc import parse_file

SITE_PREFIX = "site."
MODEL = "model"  # not a Device field: a column whose value chooses the profile (see resolve_models)
ENCODINGS = ("auto", "utf-8", "cp1252", "latin-1", "utf-16")
DELIMITERS = ";,\t|"
_LIST_FIELDS = {"tags"}
_DECIMAL_FIELDS = {"lat", "lon"}


def _fields(model: type, prefix: str = "") -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and hasattr(sub, "model_fields"):
            out.extend(_fields(sub, f"{prefix}{name}."))
        else:
            out.append(prefix + name)
    return out


DEVICE_FIELDS = _fields(Device)
SITE_FIELDS = [SITE_PREFIX + f for f in _fields(Site)]
KNOWN_FIELDS = DEVICE_FIELDS + SITE_FIELDS + [MODEL]


@dataclass(frozen=True)
class ColumnMapping:
    columns: dict[str, str] = field(default_factory=dict)  # field -> column header
    constants: dict[str, str] = field(default_factory=dict)  # field -> value
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {cell: value}
    delimiter: str | None = None
    encoding: str = "auto"

    def fields(self) -> set[str]:
        return set(self.columns) | set(self.constants)


def _pairs(items: Sequence[str], what: str) -> tuple[dict[str, str], list[str]]:
    out: dict[str, str] = {}
    errors = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            errors.append(f"{what} {item!r}: expected FIELD=VALUE")
            continue
        out[name.strip()] = value.strip()
    return out, errors


def mapping_from_options(maps: Sequence[str], constants: Sequence[str] = (),
                         delimiter: str | None = None, encoding: str = "auto") -> ColumnMapping:
    columns, errors = _pairs(maps, "--map")
    consts, more = _pairs(constants, "--const")
    mapping = ColumnMapping(columns, consts, {}, delimiter, encoding)
    _check_mapping(mapping, "command line", errors + more)
    return mapping


def mapping_from_file(path: Path) -> ColumnMapping:
    data, problems = parse_file(path, shown_path(path))
    if problems:
        raise InventoryError.from_problems(f"invalid column mapping {path}", problems)
    data = data or {}
    errors = []
    if not isinstance(data, Mapping):
        data = {}
        errors.append("the mapping file must be a mapping with keys columns, constants, values, delimiter")
    for key in data:
        if key not in ("columns", "constants", "values", "delimiter", "encoding"):
            errors.append(f"unknown key {key!r}"
                          f"{suggest(key, ('columns', 'constants', 'values', 'delimiter', 'encoding'))}")

    def _strings(value: Any, name: str) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            errors.append(f"{name} must be a mapping")
            return {}
        return {str(k): str(v) for k, v in value.items()}

    values = data.get("values") or {}
    if not isinstance(values, Mapping):
        errors.append("values must be a mapping FIELD: {CELL: VALUE}")
        values = {}
    mapping = ColumnMapping(
        _strings(data.get("columns"), "columns"), _strings(data.get("constants"), "constants"),
        {str(k): _strings(v, f"values.{k}") for k, v in values.items()},
        str(data["delimiter"]) if data.get("delimiter") else None,
        str(data.get("encoding") or "auto"),
    )
    _check_mapping(mapping, shown_path(path), errors)
    return mapping


def _check_mapping(mapping: ColumnMapping, where: str, errors: list[str]) -> None:
    for name in [*mapping.columns, *mapping.constants, *mapping.values]:
        if name not in KNOWN_FIELDS:
            errors.append(f"unknown field {name!r}{suggest(name, KNOWN_FIELDS)}")
    for name in set(mapping.columns) & set(mapping.constants):
        errors.append(f"field {name!r} is mapped both to a column and to a constant")
    if MODEL in mapping.fields() and "profile" in mapping.fields():
        errors.append("map either model (a column of device models, matched to a profile) or profile, not both")
    if not mapping.fields():
        errors.append("nothing mapped: give --map FIELD=COLUMN (and --const FIELD=VALUE)")
    if mapping.delimiter is not None and len(mapping.delimiter) != 1:
        errors.append(f"delimiter must be one character, not {mapping.delimiter!r}")
    if mapping.encoding != "auto":
        try:
            codecs.lookup(mapping.encoding)
        except LookupError:
            errors.append(f"unknown encoding {mapping.encoding!r}{suggest(mapping.encoding, ENCODINGS)}; "
                          f"one of {', '.join(ENCODINGS)}")
    if errors:
        raise InventoryError.from_problems(f"invalid column mapping ({where})",
                                           [Problem(where, None, "", e) for e in errors])


class _RowOrigin(Origin):
    """A CSV row: every field is on the row's line; its label names the column that fed it."""

    __slots__ = ("sources",)

    def __init__(self, file: str, line: int, label: str, raw: Any, sources: dict[str, str]) -> None:
        super().__init__(file, line, label, raw)
        self.sources = sources  # field path (dotted) -> "column 'IP' (address)" or "constant role"

    def where(self, path: Sequence[str | int]) -> tuple[int | None, str]:
        names = [p for p in path if isinstance(p, str)]
        for n in range(len(names), 0, -1):
            source = self.sources.get(".".join(names[:n]))
            if source:
                return self.line, source
        return self.line, f"{self.label} {'.'.join(names)}".strip()


@dataclass
class ImportResult:
    csv_file: str
    sites: list[Site]
    devices: list[Device]

    def to_yaml(self) -> str:
        doc: dict[str, Any] = {}
        if self.sites:
            doc["sites"] = [s.model_dump(mode="json", exclude_defaults=True) for s in self.sites]
        if self.devices:
            doc["devices"] = [d.model_dump(mode="json", exclude_defaults=True) for d in self.devices]
        header = f"# Imported from {Path(self.csv_file).name} by `thdmon inventory import-csv`.\n"
        return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _cell(value: str, name: str, mapping: ColumnMapping) -> Any:
    value = mapping.values.get(name, {}).get(value, value)
    bare = name.removeprefix(SITE_PREFIX)
    if bare in _LIST_FIELDS:
        return [t for t in re.split(r"[,;]\s*|\s+", value) if t]
    if bare in _DECIMAL_FIELDS:
        return value.replace(",", ".")  # French spreadsheets write 48,91
    return value


def _put(target: dict[str, Any], dotted_name: str, value: Any) -> None:
    parts = dotted_name.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _sniff(text: str, delimiter: str | None) -> str:
    """The given delimiter, else the one the header line holds most (a French sheet's `;`, even when its
    cells hold decimal commas), else the csv module's guess."""
    if delimiter:
        return delimiter
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts.values())
    if best and list(counts.values()).count(best) == 1:
        return max(counts, key=lambda d: counts[d])
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def decode(raw: bytes, encoding: str) -> tuple[str, str]:
    """(text, encoding used). `auto`: a BOM says (UTF-8, UTF-16), else UTF-8 if it decodes, else cp1252
    (what French Excel writes for "CSV (séparateur : point-virgule)"). UnicodeDecodeError otherwise."""
    if encoding == "auto":
        if raw.startswith(codecs.BOM_UTF8):
            return raw.decode("utf-8-sig"), "utf-8"
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return raw.decode("utf-16"), "utf-16"
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return raw.decode("cp1252"), "cp1252"
    if codecs.lookup(encoding).name == "utf-8":
        return raw.decode("utf-8-sig"), encoding
    return raw.decode(encoding), encoding


def _decode_problem(raw: bytes, encoding: str, exc: UnicodeDecodeError) -> str:
    hint = "" if encoding in ("auto", "cp1252") else " (French Excel writes cp1252: --encoding cp1252)"
    return f"byte 0x{raw[exc.start]:02x} is not {'UTF-8 or cp1252' if encoding == 'auto' else encoding}{hint}"


def _find_column(column: str, header: list[str]) -> int | None:
    """Exact header first; else the one header equal ignoring case, accents and spaces."""
    if column in header:
        return header.index(column)
    loose = [i for i, h in enumerate(header) if folded(h) == folded(column)]
    return loose[0] if len(loose) == 1 else None


def _column_hint(column: str, header: list[str]) -> str:
    by_fold = {folded(h): h for h in header}
    close = difflib.get_close_matches(folded(column), list(by_fold), n=1, cutoff=0.6)
    return f" (did you mean {by_fold[close[0]]!r}?)" if close else ""


def read_rows(csv_path: Path, mapping: ColumnMapping) -> tuple[list[Entry], list[Problem]]:
    """One device entry and/or one site entry per row, before validation."""
    shown = shown_path(csv_path)
    try:
        raw = read_regular(csv_path, MAX_TOTAL_BYTES)
    except FileRefused as exc:
        return [], [Problem(shown, None, "", f"refused: {exc}")]
    except OSError as exc:
        return [], [Problem(shown, None, "", f"cannot read CSV: {exc.strerror or exc}")]
    try:
        text, _encoding = decode(raw, mapping.encoding)
    except UnicodeDecodeError as exc:
        return [], [Problem(shown, raw[:exc.start].count(b"\n") + 1, "",
                            f"cannot read CSV: {_decode_problem(raw, mapping.encoding, exc)}")]
    if "\x00" in text:  # cp1252 decodes anything: a NUL says binary (or UTF-16 that lost its BOM)
        return [], [Problem(shown, text[:text.index("\x00")].count("\n") + 1, "",
                            "cannot read CSV: a NUL character: not a text spreadsheet")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(text, mapping.delimiter))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [Problem(shown, 1, "", "empty CSV file (no header row)")]
    problems = []
    index: dict[str, int] = {}
    for name, column in mapping.columns.items():
        found = _find_column(column, header)
        if found is not None:
            index[name] = found
        else:
            hint = _column_hint(column, header)
            problems.append(Problem(shown, 1, f"--map {name}={column}",
                                    f"no column {column!r} in the header{hint}; columns: {', '.join(header)}"
                                    f" (for a constant value use --const {name}={column})"))
    if problems:
        return [], problems
    wants_devices = any(not f.startswith(SITE_PREFIX) for f in mapping.fields())
    wants_sites = any(f.startswith(SITE_PREFIX) for f in mapping.fields())
    sources = {name: f"column {column!r} ({name})" for name, column in mapping.columns.items()}
    sources.update({name: f"constant {name}" for name in mapping.constants})
    entries: list[Entry] = []
    sites_seen: dict[str, tuple[dict[str, Any], int]] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        device: dict[str, Any] = {}
        site: dict[str, Any] = {}
        for name in [*mapping.constants, *index]:
            if name in index:
                value = row[index[name]].strip() if index[name] < len(row) else ""
            else:
                value = mapping.constants[name]
            if value == "":
                continue  # an empty cell leaves the field to its default
            value = _cell(value, name, mapping)
            if name.startswith(SITE_PREFIX):
                _put(site, name.removeprefix(SITE_PREFIX), value)
            else:
                _put(device, name, value)
        if wants_sites:
            entry = _site_entry(site, shown, start, sources, sites_seen, problems)
            if entry is not None:
                entries.append(entry)
            if wants_devices and "site" not in device and isinstance(site.get("id"), str):
                device["site"] = site["id"]
        if wants_devices:
            name = device.get("hostname")
            label = f"device {name}" if isinstance(name, str) else f"row at line {start}"
            device_sources = {k: v for k, v in sources.items() if not k.startswith(SITE_PREFIX)}
            if "site" not in device_sources and "site.id" in sources:
                device_sources["site"] = sources["site.id"]
            entries.append(Entry("devices", name if isinstance(name, str) else None, device,
                                 _RowOrigin(shown, start, label, device, device_sources)))
    return entries, problems


def _site_entry(site: dict[str, Any], shown: str, line: int, sources: dict[str, str],
                seen: dict[str, tuple[dict[str, Any], int]], problems: list[Problem]) -> Entry | None:
    """A site appears on every row of its devices: keep the first, check the others agree with it."""
    site_id = site.get("id")
    site_sources = {k.removeprefix(SITE_PREFIX): v for k, v in sources.items() if k.startswith(SITE_PREFIX)}
    if isinstance(site_id, str) and site_id in seen:
        first, first_line = seen[site_id]
        for key in sorted(set(first) | set(site)):
            if first.get(key) != site.get(key):
                problems.append(Problem(shown, line, site_sources.get(key, f"site.{key}"),
                                        f"site {site_id!r}: {site.get(key)!r} differs from "
                                        f"{first.get(key)!r} on line {first_line}"))
        return None
    if isinstance(site_id, str):
        seen[site_id] = (site, line)
    label = f"site {site_id}" if isinstance(site_id, str) else f"row at line {line}"
    return Entry("sites", site_id if isinstance(site_id, str) else None, site,
                 _RowOrigin(shown, line, label, site, site_sources))


def import_csv(csv_path: Path, mapping: ColumnMapping, against: Path | None = None,
               replacing: Path | None = None) -> ImportResult:
    """Read, map and validate a CSV; raise InventoryError with every problem.

    With `against` (an inventory directory), rows are validated together with it: site, profile and
    credential references must resolve and names must not clash with it. `replacing` is the file
    the import will overwrite, left out of that check.
    """
    entries, problems = read_rows(csv_path, mapping)
    existing: list[Entry] = []
    if against is not None and not problems:
        existing, more = read_entries(against)
        skip = replacing.resolve() if replacing is not None and replacing.exists() else None
        existing = [e for e in existing if skip is None or Path(e.origin.file).resolve() != skip]
        problems.extend(p for p in more if skip is None or Path(p.file).resolve() != skip)
    devices = [e for e in entries if e.section == "devices"]
    problems.extend(resolve_sites(devices, [e for e in [*existing, *entries] if e.section == "sites"]))
    problems.extend(resolve_models(devices, profile_texts(existing)))
    checked = check_all([*existing, *entries], None, check_references=against is not None)
    problems.extend(checked.problems)
    if problems:
        raise InventoryError.from_problems(f"cannot import {csv_path}", problems)
    return ImportResult(str(csv_path), [e.model for e in entries if e.section == "sites"],
                        [e.model for e in entries if e.section == "devices"])
