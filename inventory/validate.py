"""Validation of inventory entries: the schema of each one, then the checks across entries.

Entries come from YAML files (inventory.loader) or CSV rows (inventory.import_csv); each carries an
`Origin` that turns a field path into (line, field label), so every problem names where to fix it.
Validation never stops at the first problem: every check runs and returns all it found.
Credential values are never quoted in a reason (they might be a secret pasted in by mistake).
"""

from __future__ import annotations

import difflib
import inspect
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from inventory.builtin import names as builtin_names
from inventory.errors import Problem
from inventory.limits import EXCERPT_CHARS, excerpt
from inventory.model import (
    Credential,
    Device,
    Profile,
    RadiusCredential,
    Site,
    SnmpV2cCredential,
    SnmpV3Credential,
    SshCredential,
)
from inventory.secrets import Secrets, SecretsFile, resolve_all
from inventory.yamlsrc import line_of

Section = Literal["sites", "devices", "credentials", "profiles"]
SECTIONS: tuple[Section, ...] = ("sites", "devices", "credentials", "profiles")
SINGULAR: dict[str, str] = {"sites": "site", "devices": "device", "credentials": "credential",
                            "profiles": "profile"}
KEY_FIELD: dict[str, str] = {"sites": "id", "devices": "hostname"}

CREDENTIAL_TYPES: dict[str, type[BaseModel]] = {
    "snmp_v2c": SnmpV2cCredential, "snmp_v3": SnmpV3Credential, "ssh": SshCredential, "radius": RadiusCredential,
}
SECRET_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    SnmpV2cCredential: ("community",), SnmpV3Credential: ("auth_key", "priv_key"),
    SshCredential: ("password",), RadiusCredential: ("secret",),
}
# Which credential types each device field accepts.
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "snmp": ("snmp_v2c", "snmp_v3"), "ssh": ("ssh",), "radius": ("radius",),
}
_MODELS: dict[str, type[BaseModel]] = {"sites": Site, "devices": Device, "profiles": Profile}
_CREDENTIAL = TypeAdapter(Credential)

# Hints for pattern mismatches, by field name; anything else shows the pattern.
_PATTERN_HINTS = {
    "id": "lowercase letters, digits, '_', '.', '-', starting with a letter or digit",
    "hostname": "letters, digits, '_', '.', '-', starting with a letter or digit",
    "insee": "five digits, quoted ('93008')",
}


class Origin:
    """Where an entry comes from, and how to name and locate one of its fields.

    This one serves YAML (`raw` is a yamlsrc.MarkedMap); inventory.import_csv has its own for rows.
    """

    __slots__ = ("file", "label", "line", "raw", "sep")

    def __init__(self, file: str, line: int, label: str, raw: Any, sep: str = " ") -> None:
        self.file = file
        self.line = line
        self.label = label  # "device sw-col-001" or "devices[3]"
        self.raw = raw
        self.sep = sep  # between label and field path: " " after a name, "." after an index

    def where(self, path: Sequence[str | int]) -> tuple[int | None, str]:
        tail = dotted(path)
        return line_of(self.raw, path, self.line), (f"{self.label}{self.sep}{tail}" if tail else self.label)

    def problem(self, path: Sequence[str | int], reason: str) -> Problem:
        line, label = self.where(path)
        return Problem(self.file, line, label, reason)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(slots=True)
class Entry:
    section: Section
    name: str | None  # site id, hostname, credential or profile name (None if missing or not a string)
    raw: Any
    origin: Origin
    model: Any = None  # set by check_schema when the entry is valid
    problems: list[Problem] = field(default_factory=list)


def dotted(path: Sequence[str | int]) -> str:
    out = ""
    for element in path:
        if isinstance(element, int):
            out += f"[{element}]"
        else:
            out += f".{element}" if out else str(element)
    return out


def suggest(word: object, candidates: Iterable[str]) -> str:
    if not isinstance(word, str) or len(word) > EXCERPT_CHARS:  # difflib is quadratic in the length
        return ""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- schema of one entry ----------------------------------------------------------------------------

def check_schema(entry: Entry) -> list[Problem]:
    """Validate one entry against the model; on success set `entry.model`. Returns its problems."""
    if not isinstance(entry.raw, Mapping):
        what = SINGULAR[entry.section]
        return [entry.origin.problem((), f"a {what} must be a mapping of keys, found {_kind(entry.raw)}")]
    try:
        if entry.section == "credentials":
            entry.model = _CREDENTIAL.validate_python(entry.raw)
        else:
            entry.model = _MODELS[entry.section].model_validate(entry.raw)
    except ValidationError as exc:
        return _translate(exc, entry)
    return []


def _translate(exc: ValidationError, entry: Entry) -> list[Problem]:
    """Pydantic errors as Problems: one per offending field, with its line; unions collapsed."""
    # Where a secret reference or a credential's name is expected, a secret may have been pasted in:
    # those reasons name the field and the kind of problem, never the value.
    sensitive = entry.section == "credentials"
    by_path: dict[tuple[str | int, ...], list[dict[str, Any]]] = {}
    for err in exc.errors(include_url=False):
        path = _data_path(err["loc"], entry.raw, missing=err["type"] == "missing")
        by_path.setdefault(path, []).append(err)
    problems = []
    for path, errs in by_path.items():
        types = {e["type"] for e in errs}
        if types <= {"ip_v4_address", "ip_v6_address"}:
            reason = f"invalid address {excerpt(errs[0]['input'])}: not an IPv4 or IPv6 address"
        else:
            quiet = sensitive or (entry.section == "devices" and bool(path) and path[0] in CREDENTIAL_FIELDS)
            reasons = dict.fromkeys(_reason(e, entry, path, quiet) for e in errs)
            reason = "; or ".join(reasons)
        if types == {"missing"}:
            problems.append(_missing_problem(entry, path, reason))
        else:
            problems.append(entry.origin.problem(path, reason))
    return problems


def _missing_problem(entry: Entry, path: tuple[str | int, ...], reason: str) -> Problem:
    # A missing key has no line of its own: point at the mapping that lacks it.
    line, _ = entry.origin.where(path[:-1])
    _, label = entry.origin.where(path)
    return Problem(entry.origin.file, line, label, reason)


def _data_path(loc: tuple[str | int, ...], raw: Any, missing: bool) -> tuple[str | int, ...]:
    """The part of pydantic's `loc` that exists in the data (dropping union-member names)."""
    keep: list[str | int] = []
    cur = raw
    elements = loc[:-1] if missing else loc
    for element in elements:
        if isinstance(cur, Mapping) and element in cur:
            keep.append(element)
            cur = cur[element]
        elif isinstance(cur, list) and isinstance(element, int) and 0 <= element < len(cur):
            keep.append(element)
            cur = cur[element]
    if missing and loc:
        keep.append(loc[-1])
    return tuple(keep)


def _reason(err: Mapping[str, Any], entry: Entry, path: tuple[str | int, ...], sensitive: bool) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    shown = "" if sensitive else f" {excerpt(value)}"
    last = path[-1] if path else ""
    if kind == "missing":
        return f"missing required key {excerpt(last)}"
    if kind == "extra_forbidden":
        known = _known_keys(entry, path)
        return f"unknown key {excerpt(last)}{suggest(last, known)}"
    if kind in ("enum", "literal_error"):
        allowed = _quoted_words(ctx.get("expected", ""))
        close = suggest(value, allowed) if not sensitive else ""
        return f"{(shown or ' value').strip()} is not one of: {', '.join(allowed)}{close}"
    if kind == "union_tag_invalid":
        # Never the value: a secret pasted under `type:` must not be printed back.
        return f"unknown credential type{suggest(ctx.get('tag'), CREDENTIAL_TYPES)}: expected one of " \
               f"{', '.join(CREDENTIAL_TYPES)}"
    if kind == "union_tag_not_found":
        return f"missing required key 'type' (one of {', '.join(repr(t) for t in CREDENTIAL_TYPES)})"
    if kind == "string_pattern_mismatch":
        if sensitive and isinstance(last, str) and _is_secret_field(last):
            return "must be a secret reference env:NAME or file:NAME, never the secret itself"
        hint = _PATTERN_HINTS.get(str(last), f"must match {ctx.get('pattern')}")
        return f"invalid value{shown}: {hint}"
    if kind == "string_type" and isinstance(value, int | float | bool) and not sensitive:
        return f"expected a string, found {type(value).__name__} {excerpt(value)}: quote it"
    if kind == "model_type" or kind == "dict_type":
        return f"expected a mapping of keys, found {_kind(value)}"
    message = str(err.get("msg", kind))
    if message.startswith("Input should be"):
        message = "should be" + message[len("Input should be"):]
    elif message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return f"{message} (found{shown})" if shown and kind not in ("value_error",) else message


def _is_secret_field(name: str) -> bool:
    return any(name in fields for fields in SECRET_FIELDS.values())


def _quoted_words(expected: str) -> list[str]:
    return [w.strip("'") for w in expected.replace(" or ", ", ").split(", ")]


def _known_keys(entry: Entry, path: tuple[str | int, ...]) -> list[str]:
    if entry.section == "credentials":
        model = CREDENTIAL_TYPES.get(entry.raw.get("type")) if isinstance(entry.raw, Mapping) else None
        if model is None:
            return sorted({f for m in CREDENTIAL_TYPES.values() for f in m.model_fields})
    else:
        model = _MODELS[entry.section]
    for element in path[:-1]:
        info = model.model_fields.get(element) if isinstance(element, str) else None
        annotation = info.annotation if info else None
        if not (inspect.isclass(annotation) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _kind(value: object) -> str:
    names = {type(None): "nothing", bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return names.get(type(value), f"a {type(value).__name__}")


# --- checks across entries ----------------------------------------------------------------------------

@dataclass(slots=True)
class Checked:
    """The result of cross-validation: valid entries by key, their secrets, and every problem."""

    sites: dict[str, Entry] = field(default_factory=dict)
    devices: dict[str, Entry] = field(default_factory=dict)
    credentials: dict[str, Entry] = field(default_factory=dict)
    profiles: dict[str, Entry] = field(default_factory=dict)
    secrets: Secrets = field(default_factory=lambda: Secrets({}))
    problems: list[Problem] = field(default_factory=list)


def check_all(entries: Iterable[Entry], secrets_file: SecretsFile | None, env: Mapping[str, str] | None = None,
              check_references: bool = True) -> Checked:
    """Schema of each entry, duplicates, references, topology and secrets: all problems at once.

    An entry with a schema problem still takes part in the checks across entries (with the values
    that can be read from it), so that fixing one problem does not reveal the next one only then.
    `secrets_file=None` skips secret resolution (e.g. exporting on a host without the secrets).
    `check_references=False` skips checks that need the whole inventory (a CSV import checked alone).
    """
    out = Checked()
    named: dict[str, dict[str, Entry]] = {section: {} for section in SECTIONS}
    seen_address: dict[tuple[str, int], Entry] = {}
    for entry in entries:
        out.problems.extend(entry.problems)
        if entry.name is not None:
            first = named[entry.section].get(entry.name)
            if first is not None:
                key = KEY_FIELD.get(entry.section)
                out.problems.append(entry.origin.problem(
                    (key,) if key else (),
                    f"duplicate {SINGULAR[entry.section]} {_key_word(entry.section)}{excerpt(entry.name)}: "
                    f"already declared at {first.origin}"))
                continue
            named[entry.section][entry.name] = entry
        out.problems.extend(check_schema(entry))
        if entry.section == "devices":
            address = _address_of(entry)
            other = seen_address.get(address) if address else None
            if other is not None and address is not None:
                out.problems.append(entry.origin.problem(
                    ("address",), f"address {address[0]} port {address[1]} is already used by device "
                                  f"{excerpt(other.name)} at {other.origin}"))
            elif address is not None:
                seen_address[address] = entry
        if entry.model is not None and entry.name is not None:
            getattr(out, entry.section)[entry.name] = entry
    for entry in out.credentials.values():
        out.problems.extend(_check_credential(entry))
    if check_references:
        out.problems.extend(_check_uplinks(named["sites"]))
        for entry in named["devices"].values():
            out.problems.extend(_check_device_refs(entry, named))
    if secrets_file is not None:
        secrets, problems = _resolve_secrets(out.credentials.values(), secrets_file, env)
        out.secrets = secrets
        out.problems.extend(problems)
    return out


def value_of(entry: Entry, key: str) -> Any:
    """A field's value: from the model when the entry is valid, else from the raw data if usable."""
    if entry.model is not None:
        return getattr(entry.model, key)
    value = entry.raw.get(key) if isinstance(entry.raw, Mapping) else None
    return value.strip() if isinstance(value, str) else None


def _address_of(entry: Entry) -> tuple[str, int] | None:
    if entry.model is not None:
        return str(entry.model.address), entry.model.snmp_port
    raw = entry.raw if isinstance(entry.raw, Mapping) else {}
    port = raw.get("snmp_port", 161)
    try:
        return str(ipaddress.ip_address(str(raw.get("address")))), int(port)
    except (ValueError, TypeError):
        return None


def _key_word(section: str) -> str:
    key = KEY_FIELD.get(section)
    return f"{key} " if key else ""


def _check_credential(entry: Entry) -> list[Problem]:
    cred = entry.model
    problems = []
    if isinstance(cred, SnmpV3Credential):
        needs = {"noAuthNoPriv": (), "authNoPriv": ("auth_protocol", "auth_key"),
                 "authPriv": ("auth_protocol", "auth_key", "priv_protocol", "priv_key")}[cred.security_level]
        lacking = [name for name in needs if getattr(cred, name) is None]
        if lacking:
            problems.append(entry.origin.problem(
                ("security_level",), f"security_level {cred.security_level} requires {', '.join(lacking)}"))
        for name in ("auth_protocol", "auth_key", "priv_protocol", "priv_key"):
            if name not in needs and getattr(cred, name) is not None:
                problems.append(entry.origin.problem(
                    (name,), f"{name} is ignored with security_level {cred.security_level}: "
                             "remove it or raise the level"))
    elif isinstance(cred, SshCredential) and cred.password is None and cred.key_file is None:
        problems.append(entry.origin.problem((), "an ssh credential needs a password or a key_file"))
    return problems


def _check_uplinks(sites: Mapping[str, Entry]) -> list[Problem]:
    problems = []
    uplinks = {name: value_of(entry, "uplink") for name, entry in sites.items()}
    for name, uplink in uplinks.items():
        if uplink is not None and uplink not in sites:
            problems.append(sites[name].origin.problem(
                ("uplink",), f"unknown uplink site {excerpt(uplink)}{suggest(uplink, sites)}"))
    # Each site has at most one uplink, so a cycle is found by walking up from every site once.
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    for start in sites:
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in sites and node not in state:
            state[node] = 1
            walk.append(node)
            node = uplinks[node]
        if node is not None and state.get(node) == 1:
            cycle = walk[walk.index(node):]
            first = min(cycle)
            ordered = cycle[cycle.index(first):] + cycle[:cycle.index(first)]
            text = " -> ".join([*ordered, first])
            problems.append(sites[first].origin.problem(("uplink",), f"uplink cycle: {text}"))
        for name in walk:
            state[name] = 2
    return problems


def _check_device_refs(entry: Entry, named: Mapping[str, Mapping[str, Entry]]) -> list[Problem]:
    problems = []
    site = value_of(entry, "site")
    if site is not None and site not in named["sites"]:
        problems.append(entry.origin.problem(("site",),
                                             f"unknown site {excerpt(site)}{suggest(site, named['sites'])}"))
    profile = value_of(entry, "profile")
    if profile is not None and profile not in named["profiles"] and profile not in builtin_names():
        known = [*named["profiles"], *builtin_names()]
        problems.append(entry.origin.problem(
            ("profile",), f"unknown profile {excerpt(profile)}{suggest(profile, known)}"))
    for key, allowed in CREDENTIAL_FIELDS.items():
        name = value_of(entry, key)
        if name is None:
            continue
        cred = named["credentials"].get(name)
        kind = value_of(cred, "type") if cred is not None else None
        if cred is None:
            # Not the name itself: a secret pasted here instead of a credential's name must not be echoed.
            problems.append(entry.origin.problem(
                (key,), f"no credential of that name{suggest(name, named['credentials'])}"))
        elif kind in CREDENTIAL_TYPES and kind not in allowed:  # an unknown type is the credential's own error
            problems.append(entry.origin.problem(
                (key,), f"credential {name!r} is of type {kind}, but {key}: needs "
                        f"{' or '.join(allowed)} (declared at {cred.origin})"))
    return problems


def _resolve_secrets(credentials: Iterable[Entry], secrets_file: SecretsFile,
                     env: Mapping[str, str] | None) -> tuple[Secrets, list[Problem]]:
    wanted: list[tuple[Entry, str, str]] = []
    for entry in credentials:
        for name in SECRET_FIELDS[type(entry.model)]:
            ref = getattr(entry.model, name)
            if ref is not None:
                wanted.append((entry, name, ref))
    secrets, failed = resolve_all(dict.fromkeys(ref for _, _, ref in wanted), secrets_file, env)
    problems = [entry.origin.problem((name,), f"missing secret: {failed[ref]}")
                for entry, name, ref in wanted if ref in failed]
    return secrets, problems

