"""`thdmon logs` store commands end to end: seal, verify, search, export, verify-export, purge, journal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from connlog.store import Store
from thdmon.cli import main

from .scenario import DAY0, generate


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("THDMON_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("THDMON_DB_URL", db_url)
    monkeypatch.delenv("THDMON_CONFIG", raising=False)
    batch, truth = generate(days=2, visits_per_day=20, seed=3)
    with Store.open(db_url) as store:
        store.append(batch)
    return db_url, truth, tmp_path


def _json(capsys: pytest.CaptureFixture[str], argv: list[str], rc: int = 0):
    assert main(argv) == rc, capsys.readouterr()
    return json.loads(capsys.readouterr().out)


def test_logs_commands_end_to_end(env, capsys: pytest.CaptureFixture[str]) -> None:
    db_url, truth, tmp = env
    sealed = _json(capsys, ["logs", "seal", "--day", "2026-11-21", "--json"])
    assert [(s["stream"], s["day"], s["count"]) for s in sealed] == [("records", "2026-11-20", 100),
                                                                     ("records", "2026-11-21", 100)]
    assert (tmp / "state" / "connlog-seal.key").stat().st_mode & 0o777 == 0o600
    assert _json(capsys, ["logs", "verify", "--json"])["ok"] is True

    ip, block, since, _, mac, user, private = truth.holders[25]
    found = _json(capsys, ["logs", "search", "--public-ip", ip, "--port", str(block + 9), "--at", repr(since + 90),
                           "--operator", "opj-martin", "--requisition", "PV-77", "--json"])
    assert [(a["client_mac"], a["user_name"], a["private_ip"]) for a in found["attributions"]] == [
        (mac, user, private)]

    # Human output: times in Europe/Paris with UTC beside them.
    assert main(["logs", "search", "--mac", mac, "--operator", "opj-martin", "--requisition", "PV-78"]) == 0
    out = capsys.readouterr().out
    assert "CET" in out and "Z)" in out and mac in out

    out_dir = tmp / "export"
    manifest = _json(capsys, ["logs", "export", "--requisition", "PV-77", "--operator", "opj-martin", "--public-ip",
                              ip, "--port",
                              str(block + 9), "--at", repr(since + 90), "-o", str(out_dir), "--json"])
    assert manifest["record_count"] == 4
    pub = tmp / "seal.pub"
    assert main(["logs", "public-key", "-o", str(pub)]) == 0
    capsys.readouterr()
    assert _json(capsys, ["logs", "verify-export", str(out_dir), "--key", str(pub), "--json"])["ok"] is True
    proofs = json.loads((out_dir / "proofs.json").read_text())
    proofs["records"][0]["leaf_index"] += 1
    (out_dir / "proofs.json").write_text(json.dumps(proofs, indent=1, sort_keys=True))
    bad = _json(capsys, ["logs", "verify-export", str(out_dir / "manifest.json"), "--key", str(pub), "--json"], 1)
    assert "proofs.json: missing or altered (SHA-256 differs from the signed manifest)" in bad["problems"]

    entries = _json(capsys, ["logs", "journal", "--json"])
    assert [(e["action"], e["operator"], e["requisition"]) for e in entries][:2] == [
        ("search", "opj-martin", "PV-77"), ("search", "opj-martin", "PV-78")]
    assert entries[2]["action"] == "export" and entries[2]["result_count"] == 1

    with Store.open(db_url) as store, store.write() as conn:
        conn.execute(text("UPDATE connlog_record SET site = 'X' WHERE seq = 33"))
    verdict = _json(capsys, ["logs", "verify", "--json"], 1)
    assert verdict["problems"] == [{"stream": "records", "day": "2026-11-20", "seq": 33,
                                    "what": "record modified: its content no longer matches its chain hash"}]
    assert main(["logs", "verify"]) == 1
    assert "records day 2026-11-20 seq 33: record modified" in capsys.readouterr().out

    # Issue 10, defect 5: the forged row is marked in search and export refuses to sign it.
    ask = ["--operator", "opj-martin", "--requisition", "PV-79"]
    crit = ["--site", "X"]  # the forged value: found, and shown marked
    found = _json(capsys, ["logs", "search", *crit, *ask, "--json"])
    assert found["chain_faults"] == {"33": "record modified: its content no longer matches its chain hash"}
    assert [r["chain_ok"] for r in found["records"] if r["seq"] == 33] == [False]
    assert main(["logs", "search", *crit, *ask]) == 0
    assert "FORGED? seq 33: record modified" in capsys.readouterr().out
    assert main(["logs", "export", *crit, *ask, "-o", str(tmp / "forged")]) == 2
    err = capsys.readouterr().err
    assert "refusing to sign 1 record(s)" in err and "seq 33" in err and "Traceback" not in err
    disputed = _json(capsys, ["logs", "export", *crit, *ask, "-o", str(tmp / "forged"), "--disputed", "--json"])
    assert disputed["disputed"] == {"33": "record modified: its content no longer matches its chain hash"}


def test_purge_cli_and_errors(env, capsys: pytest.CaptureFixture[str]) -> None:
    dry = _json(capsys, ["logs", "purge", "--now", "2027-11-21T01:00:00+00:00", "--dry-run", "--json"])
    assert (dry["technical_rows"], dry["technical_before"], dry["dry_run"]) == (100, "2026-11-21", True)
    done = _json(capsys, ["logs", "purge", "--now", "2027-11-21T01:00:00+00:00", "--operator", "cron", "--json"])
    assert done["technical_rows"] == 100 and done["identity_before"] == "2022-11-22"
    assert _json(capsys, ["logs", "verify", "--json"])["ok"] is True
    # A day not over yet cannot be sealed; a domain error is printed without a traceback, exit 2.
    assert main(["logs", "seal", "--day", "2999-01-01"]) == 2
    assert "is not over yet" in capsys.readouterr().err
    assert main(["logs", "search", "--public-ip", "203.0.113.5", "--operator", "o", "--requisition", "r"]) == 2
    assert "needs --port and --at" in capsys.readouterr().err


def test_sqlite_is_the_default_in_the_state_dir(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("THDMON_STATE_DIR", str(tmp_path / "st"))
    monkeypatch.delenv("THDMON_DB_URL", raising=False)
    monkeypatch.delenv("THDMON_CONFIG", raising=False)
    assert _json(capsys, ["logs", "verify", "--json"])["ok"] is True
    assert (tmp_path / "st" / "connlog.sqlite").is_file()
    assert DAY0 > 0
