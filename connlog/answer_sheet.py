"""The requisition answer as documents people read: a French answer sheet (printable HTML) and a
`;`-separated CSV with French headers, beside the machine-readable files of the export.

Both are written into the export and listed in its signed manifest. Every value comes from the
database or the requester and is escaped (HTML) or neutralised (CSV formula cells); times are given
in Europe/Paris and in UTC, ISO 8601.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connlog import files
from connlog.search import Attribution, Criteria
from connlog.store import StoredRecord

PARIS = ZoneInfo("Europe/Paris")
SHEET_NAME = "reponse-requisition.html"
PEOPLE_CSV_NAME = "enregistrements.csv"

_KIND = {"radius": "session Wi-Fi (RADIUS)", "nat": "traduction d'adresse (NAT)", "dhcp": "bail DHCP"}
_CRITERIA = {"public_ip": "adresse IP publique", "port": "port public", "private_ip": "adresse IP privée",
             "at": "instant", "mac": "adresse MAC", "user_name": "identifiant", "site": "site", "ap": "borne",
             "since": "depuis", "until": "jusqu'à", "tolerance": "tolérance (secondes)"}
_PEOPLE_COLUMNS = [
    ("n° de séquence", lambda s: s.seq), ("jour de scellement (UTC)", lambda s: s.day.isoformat()),
    ("type", lambda s: _KIND.get(s.record.kind.value, s.record.kind.value)),
    ("heure (Europe/Paris)", lambda s: paris_iso(s.record.event_time)),
    ("heure (UTC)", lambda s: utc_iso(s.record.event_time)), ("état", lambda s: s.record.status),
    ("équipement source", lambda s: s.record.source), ("site", lambda s: s.record.site),
    ("adresse MAC", lambda s: s.record.client_mac), ("identifiant", lambda s: s.record.user_name),
    ("IP privée", lambda s: s.record.private_ip), ("port privé", lambda s: s.record.private_port),
    ("IP publique", lambda s: s.record.public_ip), ("ports publics (début)", lambda s: s.record.public_port_start),
    ("ports publics (fin)", lambda s: s.record.public_port_end), ("borne", lambda s: s.record.ap),
    ("SSID", lambda s: s.record.ssid), ("début (Europe/Paris)", lambda s: paris_iso(s.record.start)),
    ("fin (Europe/Paris)", lambda s: paris_iso(s.record.stop)), ("durée (s)", lambda s: s.record.duration),
]


def paris_iso(epoch: float | None) -> str:
    return "" if epoch is None else dt.datetime.fromtimestamp(epoch, PARIS).replace(microsecond=0).isoformat()


def utc_iso(epoch: float | None) -> str:
    return "" if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def both(epoch: float | None) -> str:
    return "" if epoch is None else f"{paris_iso(epoch)} (Europe/Paris) — {utc_iso(epoch)} (UTC)"


def write_people_csv(path: Path, records: Sequence[StoredRecord], disputed: dict[int, str], cell: Any) -> None:
    """`;`-separated, French headers, UTF-8 with BOM (what a French spreadsheet opens correctly)."""
    with files.open_private(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow([name for name, _ in _PEOPLE_COLUMNS] + ["intégrité"])
        for s in records:
            writer.writerow([cell(get(s)) for _, get in _PEOPLE_COLUMNS]
                            + [cell("CONTESTÉ : " + disputed[s.seq]) if s.seq in disputed else "vérifiée"])


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def write_sheet(path: Path, *, requisition: str, operator: str, created_at: float, criteria: Criteria,
                attributions: Sequence[Attribution], records: Sequence[StoredRecord], disputed: dict[int, str],
                key_fingerprint: str, proven_by: dict[str, str]) -> None:
    times = ("at", "since", "until")
    question = "".join(f"<tr><th>{_e(_CRITERIA.get(k, k))}</th><td>{_e(both(v) if k in times else v)}</td></tr>"
                       for k, v in criteria.to_dict().items())
    if attributions:
        answer = "".join(
            "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in (
                a.client_mac, a.user_name or "—", f"{a.private_ip}" + (f":{a.private_port}" if a.private_port else ""),
                f"{a.public_ip}:{a.public_port}" if a.public_ip else "—", a.ap or "—", a.ssid or "—", a.site or "—",
                f"du {both(a.valid_from)} au {both(a.valid_until) or 'fin non connue'}",
                f"du {both(a.nat_from)} au {both(a.nat_until) or 'fin non connue'}" if a.nat_from is not None else "—",
                "exacte" if a.exact else f"à ±{criteria.tolerance:g} s près",
                ", ".join(str(s) for s in a.seqs))) + "</tr>" for a in attributions)
        answer = ("<table><tr><th>adresse MAC du terminal</th><th>identifiant</th><th>IP privée</th>"
                  "<th>IP publique : port</th><th>borne</th><th>SSID</th><th>site</th><th>session Wi-Fi ou bail</th>"
                  "<th>session NAT</th>"
                  f"<th>correspondance</th><th>enregistrements (n°)</th></tr>{answer}</table>")
    elif records:
        answer = f"<p>{len(records)} enregistrement(s) correspondent aux critères (liste ci-dessous).</p>"
    else:
        answer = "<p><strong>Aucun enregistrement ne correspond à la demande.</strong></p>"
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(get(s))}</td>" for _, get in _PEOPLE_COLUMNS[:5])
        + f"<td>{_e('CONTESTÉ : ' + disputed[s.seq]) if s.seq in disputed else 'vérifiée'}</td></tr>"
        for s in records)
    proofs = ", ".join(f"{_e(day)} : {'sceau quotidien' if how == 'seal' else 'point de contrôle intermédiaire'}"
                       for day, how in sorted(proven_by.items())) or "—"
    warning = (f"<p class=warn>Attention : {len(disputed)} enregistrement(s) ne correspondent plus à leur empreinte "
               "chaînée (modifiés après leur enregistrement) ; ils sont marqués « contesté ».</p>") if disputed else ""
    document = f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Réponse à la réquisition {_e(requisition)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;margin:1em 0}}
th,td{{border:1px solid #444;padding:.3em .5em;text-align:left;vertical-align:top}} .warn{{color:#a00}}
@media print{{body{{margin:1cm}}}}</style></head><body>
<h1>Réponse à la réquisition n° {_e(requisition)}</h1>
<p>Conseil départemental de la Seine-Saint-Denis — réseau THD-SSD, Wi-Fi public des parcs départementaux.
Données conservées au titre de l'article L34-1 et R10-13 du code des postes et des communications électroniques.</p>
<table><tr><th>réquisition</th><td>{_e(requisition)}</td></tr>
<tr><th>agent ayant établi la réponse</th><td>{_e(operator)}</td></tr>
<tr><th>date de la réponse</th><td>{_e(both(created_at))}</td></tr></table>
<h2>Question</h2><table>{question}</table>
<h2>Réponse</h2>{warning}{answer}
<h2>Enregistrements sur lesquels repose la réponse</h2>
<table><tr><th>n°</th><th>jour (UTC)</th><th>type</th><th>heure (Europe/Paris)</th><th>heure (UTC)</th>
<th>intégrité</th></tr>{rows}</table>
<p>Le détail de chaque enregistrement figure dans <code>{PEOPLE_CSV_NAME}</code> (tableur, séparateur « ; »)
et, sous forme exacte et signée, dans <code>records.csv</code> et <code>manifest.json</code>.</p>
<h2>Comment vérifier</h2>
<p>Chaque enregistrement est chaîné (SHA-256) et inclus dans un arbre de Merkle dont la racine est signée
(Ed25519) : {proofs}. La clé publique est jointe (<code>seal-public-key.pem</code>, empreinte
<code>{_e(key_fingerprint)}</code>) et peut être demandée séparément au service. Vérification, sans accès à la
base : <code>thdmon logs verify-export &lt;ce dossier&gt; --key seal-public-key.pem</code>.</p>
</body></html>
"""
    files.write_private(path, document)
