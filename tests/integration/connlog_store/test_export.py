"""Exports carry signed day roots and inclusion proofs that the public key alone verifies."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from connlog import export, journal, keys, seal
from connlog.errors import ConnlogError
from connlog.search import Criteria
from connlog.store import Store

from .scenario import DAY0, generate

NOW = DAY0 + 4 * 86400


@pytest.fixture
def exported(store: Store, key, tmp_path: Path):
    batch, truth = generate(days=3, visits_per_day=30, seed=5)
    store.append(batch)
    seal.seal(store, key, now=NOW)
    ip, block, since, _, mac, user, private = truth.holders[37]
    out = tmp_path / "PV-118"
    manifest = export.export(store, Criteria(public_ip=ip, port=block + 1, at=since + 60), requisition="PV-118",
                             out_dir=out, key=key, operator="opj-dupont", now=NOW)
    public = tmp_path / "seal.pub"
    public.write_bytes(keys.public_pem(key.public_key()))
    return out, public, manifest, (mac, user, private), store


def test_export_is_proven_with_the_public_key_alone(exported) -> None:
    out, public, manifest, (mac, user, private), store = exported
    assert manifest["record_count"] == 4 and manifest["requisition"] == "PV-118"
    assert manifest["operator"] == "opj-dupont" and manifest["unsealed_seqs"] == []
    assert [(a["client_mac"], a["user_name"], a["private_ip"]) for a in manifest["attributions"]] == [
        (mac, user, private)]
    store.close()  # verification needs no database
    problems, checked = export.verify_export(out, keys.load_public(public))
    assert problems == [] and checked["record_count"] == 4
    rows = list(csv.DictReader((out / "records.csv").open()))
    assert {r["client_mac"] for r in rows if r["kind"] != "nat"} == {mac}
    assert rows[0]["event_time_europe_paris"].endswith("+01:00")  # November: CET


def test_export_is_journaled(exported) -> None:
    *_, store = exported
    (entry,) = journal.entries(store)
    assert (entry.action, entry.requisition, entry.operator, entry.result_count) == ("export", "PV-118",
                                                                                      "opj-dupont", 1)


def test_tampered_csv_fails(exported) -> None:
    out, public, *_ = exported
    text = (out / "records.csv").read_text()
    (out / "records.csv").write_text(text.replace("02:00:00", "02:00:01", 1))
    problems, _ = export.verify_export(out, keys.load_public(public))
    assert problems[0] == "records.csv: missing or altered (SHA-256 differs from the signed manifest)"
    assert len(problems) == 2 and problems[1].endswith("not included in the signed root of its day (record altered)")


def test_csv_and_manifest_rewritten_together_fail(exported) -> None:
    out, public, *_ = exported
    text = (out / "records.csv").read_text().replace("02:00:00", "02:00:01", 1)
    (out / "records.csv").write_text(text)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["records.csv"] = export._sha256(out / "records.csv")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    problems, _ = export.verify_export(out, keys.load_public(public))
    assert problems[0] == "manifest.json: signature invalid (altered, or signed by another key)"
    assert len(problems) == 2 and "not included in the signed root" in problems[1]


def test_record_altered_and_resigned_with_another_key_fails(exported, tmp_path: Path) -> None:
    # Even a forger who re-signs the manifest cannot make an altered record fit the signed day root.
    out, public, *_ = exported
    rows = list(csv.DictReader((out / "records.csv").open()))
    rows[1]["private_ip"] = "10.99.99.99"
    with (out / "records.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=export.CSV_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    forger = keys.load_or_create(tmp_path / "forger.key")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["records.csv"] = export._sha256(out / "records.csv")
    manifest["key_fingerprint"] = keys.fingerprint(public_key := keys.load_public(public))
    body = json.dumps(manifest, indent=1, sort_keys=True).encode()
    (out / "manifest.json").write_bytes(body)
    import base64

    (out / "manifest.sig").write_text(base64.b64encode(forger.sign(body)).decode())
    problems, _ = export.verify_export(out, public_key)
    seq = rows[1]["seq"]
    assert problems == [
        "manifest.json: signature invalid (altered, or signed by another key)",
        f"records.csv line 3 (seq {seq}, day {rows[1]['day']}): not included in the signed root of its day "
        "(record altered)"]


def test_wrong_key_fails(exported, tmp_path: Path) -> None:
    out, *_ = exported
    other = keys.load_or_create(tmp_path / "other.key").public_key()
    problems, _ = export.verify_export(out, other)
    assert problems[0] == "manifest.json: signature invalid (altered, or signed by another key)"
    assert problems[1].startswith("manifest.json: made with key sha256:")
    assert sum("seal of day" in p for p in problems) == 1  # the one day involved


def test_unsealed_day_is_proven_by_an_interim_checkpoint(store: Store, key, tmp_path: Path) -> None:
    # Issue 10, defect 10: today's records are handed over today, with proofs that verify at once.
    batch, truth = generate(days=1, visits_per_day=10, seed=2)
    store.append(batch)
    _, block, since, *_ = truth.holders[3]
    out = tmp_path / "x"
    manifest = export.export(store, Criteria(public_ip=truth.holders[3][0], port=block, at=since + 30),
                             requisition="PV-9", out_dir=out, key=key, now=DAY0 + 3600 * 20)
    assert manifest["record_count"] == 4 and manifest["proven_by"] == {"2026-11-20": "checkpoint"}
    assert export.verify_export(out, key.public_key())[0] == []
    with pytest.raises(ConnlogError, match="holds an export of requisition 'PV-9'"):
        export.export(store, Criteria(mac="02:00:00:00:00:01"), requisition="PV-10", out_dir=out, key=key)
