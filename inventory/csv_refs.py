"""What a spreadsheet names the way people do, turned into inventory references (for import_csv).

- A device's site given by its **name** ("Collège Anatole France") rather than its id: matched, ignoring
  case, accents and spaces, against the sites of the sheet and of the `--against` inventory.
- A **model** ("Aruba 6300M", "Catalyst 9200") rather than a profile: the profile whose name and
  description hold the most of the model's words (`aruba-cx`: "HPE Aruba Networking CX switches (6100,
  6300, 8360)"); a tie or no match is an error naming the candidates, fixed with `values: model:`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from inventory.errors import Problem
from inventory.validate import Entry, suggest


def folded(text: str) -> str:
    """For matching what people type: no case, no accents, single spaces."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^0-9a-z]+", folded(text)) if w}


def _problem(entry: Entry, field: str, reason: str) -> Problem:
    line, label = entry.origin.where([field])
    return Problem(entry.origin.file, line, label, reason)


def resolve_sites(devices: Iterable[Entry], sites: Iterable[Entry]) -> list[Problem]:
    """Replace each device's `site` that is a site's name by that site's id."""
    ids: set[str] = set()
    by_name: dict[str, set[str]] = {}
    for site in sites:
        if isinstance(site.name, str):
            ids.add(site.name)
            name = site.raw.get("name") if isinstance(site.raw, Mapping) else None
            if isinstance(name, str):
                by_name.setdefault(folded(name), set()).add(site.name)
    problems = []
    for device in devices:
        value = device.raw.get("site") if isinstance(device.raw, Mapping) else None
        if not isinstance(value, str) or value in ids:
            continue
        matches = by_name.get(folded(value), set())
        if len(matches) == 1:
            device.raw["site"] = next(iter(matches))
        elif matches:
            problems.append(_problem(device, "site", f"{value!r} is the name of several sites "
                                                     f"({', '.join(sorted(matches))}): give the site's id"))
    return problems


def resolve_models(devices: Iterable[Entry], profiles: Mapping[str, str]) -> list[Problem]:
    """Turn each device's `model` into `profile` (profiles: name -> description). Without profiles to
    match against (no `--against`), the model, translated by `values`, is taken as the profile name."""
    problems = []
    for device in devices:
        if not isinstance(device.raw, dict) or "model" not in device.raw:
            continue
        model = str(device.raw.pop("model"))
        if not profiles or model in profiles:
            device.raw["profile"] = model
            continue
        words = _words(model)
        scores = {name: len(words & _words(f"{name} {text}")) for name, text in profiles.items()}
        best = max(scores.values())
        winners = sorted(name for name, score in scores.items() if score == best)
        if best and len(winners) == 1:
            device.raw["profile"] = winners[0]
            continue
        device.raw["profile"] = model  # so that the row's other checks still run
        why = (f"matches profiles {', '.join(winners)} equally" if best else
               f"matches no profile's name or description{suggest(model, profiles)}")
        problems.append(_problem(device, "model", f"model {model!r} {why}; say which in the mapping "
                                                  f"(values: {{model: {{{model!r}: PROFILE}}}})"))
    return problems


def profile_texts(entries: Iterable[Entry]) -> dict[str, str]:
    """Profile name -> description, from inventory entries."""
    out: dict[str, str] = {}
    for e in entries:
        if e.section == "profiles" and isinstance(e.name, str):
            raw: Any = e.raw
            out[e.name] = str(raw.get("description", "")) if isinstance(raw, Mapping) else ""
    return out
