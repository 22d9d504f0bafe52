"""CLI facts: a command's output parsed with TextFSM into samples of the metric vocabulary.

Templates come from ntc-templates where it has one (`ntc:<platform>`), else from collector/ssh/templates/
(each tested on a real-looking output). A parse that finds nothing is a fact too: no sample, and the
reason goes in the poll's detail, never an exception.
"""

from __future__ import annotations

from pathlib import Path

import textfsm
from ntc_templates.parse import ParsingException, parse_output

from collector.model import Sample
from collector.ssh.platforms import Fact

TEMPLATES = Path(__file__).parent / "templates"


def parse(fact: Fact, output: str) -> list[dict[str, str]]:
    """Rows of the template (lower-case keys)."""
    if fact.template.startswith("ntc:"):
        rows = parse_output(platform=fact.template[4:], command=fact.command, data=output)
        return [{k.lower(): v for k, v in row.items()} for row in rows]
    with (TEMPLATES / fact.template).open(encoding="utf-8") as fh:
        fsm = textfsm.TextFSM(fh)
    rows = fsm.ParseText(output)
    return [dict(zip((h.lower() for h in fsm.header), row, strict=True)) for row in rows]


def _first(value: str | list[str] | None) -> str:
    if isinstance(value, list):
        return value[0] if value else ""
    return value or ""


def version_samples(fact: Fact, output: str, now: float) -> list[Sample]:
    """thdmon_device_software_info{os, version, model, serial} from a version command's output."""
    try:
        rows = parse(fact, output)
    except (ParsingException, textfsm.TextFSMError):  # a template's Error state: an output it does not know
        return []
    if not rows:
        return []
    row = rows[0]
    model = _first(row.get("hardware") or row.get("product") or row.get("model"))
    version = _first(row.get("version"))
    return [Sample("thdmon_device_software_info",
                   (("os", fact.os), ("version", version.strip()), ("model", model.strip()),
                    ("serial", _first(row.get("serial")).strip())), 1.0, now)]
