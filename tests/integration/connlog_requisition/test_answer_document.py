"""Issue 10, defects 6, 10 and 11: a requisition on today's FortiGate session, answered today through
the CLI: UTC beside Europe/Paris and the tolerance in the answer; an export whose answer sheet (French,
printable HTML), `;` CSV with French headers and proofs verify at once (interim checkpoint)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from connlog import answer_sheet
from thdmon.cli import main

from . import senders
from .conftest import SECRET, Live

PRIVATE, PUBLIC, MAC, PORT = "10.20.1.34", "203.0.113.10", "aa:bb:cc:dd:ee:01", 61234
USER = "<script>alert(1)</script>@portail"


@pytest.fixture
def today(cli: Live, radclient: str) -> tuple[Live, float]:
    t0 = float(int(time.time()) - 900)
    senders.radius_session(radclient, cli.radius, SECRET, session="S1", mac=MAC, private=PRIVATE, start=t0 - 60,
                           stop=None, user=USER)
    senders.udp(cli.syslog, senders.fortigate_close(t0 + 300, 300, private=PRIVATE, sport=51234, public=PUBLIC,
                                                    pport=PORT, mac=MAC))
    cli.stored(2)
    return cli, t0


def _ask(t: float) -> list[str]:
    return ["--public-ip", PUBLIC, "--port", str(PORT), "--at", repr(t), "--operator", "opj-martin",
            "--requisition", "PV-2026-0042"]


def test_search_answer_shows_utc_and_tolerance(today, capsys: pytest.CaptureFixture[str]) -> None:
    _, t0 = today
    assert main(["logs", "search", *_ask(t0 + 100)]) == 0
    out = capsys.readouterr().out
    assert "tolerance ±60 s" in out and MAC in out and "exact" in out
    assert answer_sheet.utc_iso(t0 + 100) in out and answer_sheet.paris_iso(t0 + 100) in out
    assert main(["logs", "search", "--public-ip", PUBLIC, "--port", str(PORT), "--at", repr(t0 + 100)]) == 2
    assert "--operator" in capsys.readouterr().err  # every search names who asks and why


def test_export_today_verifies_at_once_with_answer_sheet(today, tmp_path: Path, capsys) -> None:
    _, t0 = today
    out = tmp_path / "PV-2026-0042"
    assert main(["logs", "export", *_ask(t0 + 100), "-o", str(out), "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["record_count"] == 2 and set(manifest["proven_by"].values()) == {"checkpoint"}
    pub = tmp_path / "seal.pub"
    assert main(["logs", "public-key", "-o", str(pub)]) == 0
    capsys.readouterr()
    assert main(["logs", "verify-export", str(out), "--key", str(pub), "--json"]) == 0, capsys.readouterr()
    assert json.loads(capsys.readouterr().out)["ok"] is True  # the same day, no seal needed

    sheet = (out / answer_sheet.SHEET_NAME).read_text()
    for expected in ("Réponse à la réquisition n° PV-2026-0042", "opj-martin", MAC, f"{PUBLIC}:{PORT}",
                     answer_sheet.utc_iso(t0 + 100), answer_sheet.paris_iso(t0 + 100), "thdmon logs verify-export",
                     manifest["key_fingerprint"], "point de contrôle intermédiaire"):
        assert expected in sheet, expected
    assert "<script>" not in sheet and "&lt;script&gt;" in sheet  # the user name is text, not markup

    with (out / answer_sheet.PEOPLE_CSV_NAME).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0][:5] == ["n° de séquence", "jour de scellement (UTC)", "type", "heure (Europe/Paris)",
                           "heure (UTC)"]
    assert len(rows) == 3 and {r[2] for r in rows[1:]} == {"session Wi-Fi (RADIUS)", "traduction d'adresse (NAT)"}
    assert set(manifest["files"]) >= {answer_sheet.SHEET_NAME, answer_sheet.PEOPLE_CSV_NAME}
