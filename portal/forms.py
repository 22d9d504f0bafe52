"""Search forms -> connlog Criteria, with French messages for people and nothing guessed.

The five questions of `thdmon logs search`; every one needs a requisition reference and a reason.
The same fields travel hidden from the result page to the export, so the export is the search.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from connlog.search import Criteria
from portal.timefmt import BadTime, parse_local

KINDS: dict[str, str] = {
    "nat": "Adresse publique, port et instant (réquisition NAT)",
    "private": "Adresse privée et instant",
    "mac": "Adresse MAC d'un terminal",
    "user": "Nom d'utilisateur (portail captif)",
    "site": "Site ou borne (AP) sur une période",
}
# The fields each question shows, in order; `label`, `type`, `help` for the template.
FIELDS: dict[str, tuple[str, ...]] = {
    "nat": ("public_ip", "port", "at"),
    "private": ("private_ip", "at"),
    "mac": ("mac", "since", "until"),
    "user": ("user_name", "since", "until"),
    "site": ("site", "ap", "since", "until"),
}
LABELS: dict[str, tuple[str, str, str]] = {
    "public_ip": ("Adresse IP publique", "text", "ex. 203.0.113.10"),
    "port": ("Port source public", "number", "0 à 65535"),
    "at": ("Instant (heure de Paris)", "datetime-local", "date et heure indiquées par la réquisition"),
    "private_ip": ("Adresse IP privée", "text", "ex. 10.20.0.15"),
    "mac": ("Adresse MAC", "text", "ex. 02:1a:2b:3c:4d:5e"),
    "user_name": ("Nom d'utilisateur", "text", "tel que saisi sur le portail captif"),
    "site": ("Code du site", "text", "ex. parc-sausset"),
    "ap": ("Borne (nom ou BSSID)", "text", "facultatif"),
    "since": ("Du (heure de Paris)", "datetime-local", "début inclus"),
    "until": ("Au (heure de Paris)", "datetime-local", "fin exclue"),
}
REQUIRED: dict[str, tuple[str, ...]] = {"nat": ("public_ip", "port", "at"), "private": ("private_ip", "at"),
                                        "mac": ("mac",), "user": ("user_name",), "site": ("site",)}
_MAC = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$", re.I)
MAX_TEXT = 200


@dataclass
class SearchForm:
    kind: str
    values: dict[str, str]
    requisition: str = ""
    reason: str = ""
    errors: list[str] = field(default_factory=list)
    criteria: Criteria | None = None


def parse(form: Mapping[str, str]) -> SearchForm:
    kind = str(form.get("kind", "nat"))
    if kind not in KINDS:
        kind = "nat"
    values = {name: str(form.get(name, "")).strip()[:MAX_TEXT] for name in FIELDS[kind]}
    out = SearchForm(kind, values, str(form.get("requisition", "")).strip()[:MAX_TEXT],
                     str(form.get("reason", "")).strip()[:1000])
    if not out.requisition:
        out.errors.append("La référence de la réquisition est obligatoire.")
    if not out.reason:
        out.errors.append("Le motif de la consultation est obligatoire.")
    given: dict[str, object] = {}
    for name, text in values.items():
        if not text:
            continue
        try:
            given[name] = _value(name, text)
        except ValueError as exc:
            out.errors.append(f"{LABELS[name][0]} : {exc}")
    for name in REQUIRED[kind]:
        if name not in given and not any(LABELS[name][0] in e for e in out.errors):
            out.errors.append(f"{LABELS[name][0]} : champ obligatoire.")
    since, until = given.get("since"), given.get("until")
    if isinstance(since, float) and isinstance(until, float) and until <= since:
        out.errors.append("La fin de la période doit suivre son début.")
    if not out.errors:
        out.criteria = Criteria(reason=out.reason, **given)  # type: ignore[arg-type]
    return out


def _value(name: str, text: str) -> object:
    if name in ("public_ip", "private_ip"):
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            raise ValueError("adresse IP invalide.") from None
    if name == "port":
        if not text.isdigit() or not 0 <= int(text) <= 65535:
            raise ValueError("un nombre entre 0 et 65535.")
        return int(text)
    if name in ("at", "since", "until"):
        try:
            return parse_local(text)
        except BadTime as exc:
            raise ValueError(str(exc)) from None
    if name == "mac":
        if not _MAC.match(text):
            raise ValueError("six octets hexadécimaux séparés par « : » ou « - ».")
        return text.lower().replace("-", ":")
    return text
