"""Issue 10, defect 7: values a Wi-Fi user controls (User-Name, Called-Station-Id) and a requisition
reference are shown as text: no rich markup interpreted, no link, no terminal escape sequence; the
commands that show them do not crash. RADIUS packets go through the real listener into the store."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.integration.connlog_ingest.test_radius_radclient import _request
from thdmon.cli import main

from .conftest import SECRET, Live

HOSTILE_USER = "[/red]visiteur\x1b[2J\x1b]0;pwned\x07"
HOSTILE_AP = "[link=http://evil.example]AP[/link]"
MAC = "02:00:00:00:00:77"


@pytest.fixture
def cli_env(cli: Live, monkeypatch: pytest.MonkeyPatch) -> Live:
    live = cli
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich writes styles and links as it would to a terminal
    raw = _request(9, SECRET.encode(), Acct_Status_Type="Start", Acct_Session_Id="H1", User_Name=HOSTILE_USER,
                   Called_Station_Id=HOSTILE_AP, Calling_Station_Id=MAC, Framed_IP_Address="10.20.1.77",
                   Event_Timestamp=int(time.time()) - 60)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(raw, live.radius)
        assert s.recv(100)[0] == 5  # answered: durable
    live.stored(1)
    return live


def test_search_shows_hostile_values_as_text(cli_env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "search", "--mac", MAC, "--operator", "opj", "--requisition", "PV-1"]) == 0
    out = capsys.readouterr().out
    assert "[/red]visiteur" in out  # shown, not parsed (rich raised MarkupError before)
    assert "\\x1b" in out  # control characters made visible
    assert "[link=http://evil.example]" in out
    assert "\x1b]8;" not in out  # no OSC 8 hyperlink
    assert "\x1b[2J" not in out and "\x1b]0;" not in out and "\x07" not in out


def test_hostile_requisition_reference_in_the_journal(cli_env, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "search", "--mac", MAC, "--operator", "opj\x1b[31m", "--requisition", "[/x]"]) == 0
    capsys.readouterr()
    assert main(["logs", "journal"]) == 0
    out = capsys.readouterr().out
    assert "[/x]" in out and "opj\\x1b[31m" in out
    assert main(["logs", "journal", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert entries[-1]["requisition"] == "[/x]"


def test_nan_and_huge_instants_are_refused_and_the_journal_stays_json(cli_env, capsys) -> None:
    for bad in ("nan", "1e400", "inf"):
        assert main(["logs", "search", "--private-ip", "10.20.1.77", "--at", bad, "--operator", "o",
                     "--requisition", "r"]) == 2
        assert "not an instant between 2000 and 2100" in capsys.readouterr().err
    assert main(["logs", "journal", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing was journaled, and it parses


def test_journal_json_stays_json_with_a_nan_left_by_an_older_version(cli_env, capsys) -> None:
    from connlog import journal

    journal.write(cli_env.store, action="search", criteria={"at": float("nan"), "until": float("inf")},
                  result_count=0, operator="old", requisition="PV-0")
    assert main(["logs", "journal", "--json"]) == 0

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    entries = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert entries[-1]["criteria"] == {"at": "nan", "until": "inf"}
