"""Issue 10, defects 5, 7 and 11 on the store side: a forged row is marked in search and refused by
export (unless exported as disputed); CSV cells a spreadsheet would run are neutralised yet the export
still verifies; export directories never overwrite anything unrelated and fail with clear errors."""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from connlog import export, integrity, journal, keys, seal
from connlog.errors import ConnlogError
from connlog.search import Criteria, run
from connlog.store import Store

from .scenario import DAY0, generate, session

NOW = DAY0 + 4 * 86400


@pytest.fixture
def sealed(store: Store, key):
    batch, truth = generate(days=2, visits_per_day=20, seed=4)
    store.append(batch)
    seal.seal(store, key, now=NOW)
    return store, truth


def _holder(truth):
    ip, block, since, *_ = truth.holders[12]
    return Criteria(public_ip=ip, port=block + 1, at=since + 60)


def test_edited_row_is_marked_in_search_and_refused_by_export(sealed, key, tmp_path: Path) -> None:
    store, truth = sealed
    c = _holder(truth)
    result = run(store, c)
    assert result.faults == {} and len(result.records) == 4
    victim = result.records[1].seq
    with store.write() as conn:
        conn.execute(text("UPDATE connlog_record SET client_mac = '02:66:66:66:66:66' WHERE seq = :s"), {"s": victim})
    forged = run(store, c)
    assert forged.faults == {victim: integrity.MODIFIED}
    with pytest.raises(ConnlogError, match=rf"refusing to sign 1 record\(s\).*seq {victim}: record modified"):
        export.export(store, c, requisition="PV-1", out_dir=tmp_path / "out", key=key, now=NOW)
    assert not (tmp_path / "out" / export.MANIFEST_NAME).exists()
    assert journal.entries(store)[-1].action == "export_refused"  # the consultation is journaled, as refused
    manifest = export.export(store, c, requisition="PV-1", out_dir=tmp_path / "out", key=key, now=NOW, disputed=True)
    assert manifest["disputed"] == {str(victim): integrity.MODIFIED}
    problems, _ = export.verify_export(tmp_path / "out", key.public_key())
    assert len(problems) == 1 and f"seq {victim}" in problems[0]


def test_row_whose_hash_was_recomputed_breaks_the_next_link(sealed) -> None:
    store, truth = sealed
    c = _holder(truth)
    victim = run(store, c).records[0]
    record = dataclasses.replace(victim.record, private_ip="10.66.66.66")
    from connlog.chain import chain_hash
    from connlog.store import canonical_json

    digest = chain_hash(victim.prev_hash, canonical_json(record), victim.seq)
    with store.write() as conn:
        conn.execute(text("UPDATE connlog_record SET private_ip = '10.66.66.66', chain_hash = :h WHERE seq = :s"),
                     {"h": digest, "s": victim.seq})
    faults = integrity.faults_of(store, [victim.seq])
    assert faults == {victim.seq: integrity.RELINKED}


def test_formula_cells_are_neutralised_and_the_export_still_verifies(store: Store, key, tmp_path: Path) -> None:
    evil_ap, evil_user = '=HYPERLINK("http://evil.example","AP")', "@SUM(1+1)*cmd|' /C calc'!A0"
    events = session(1, DAY0 + 3600, 30, "02:00:00:00:00:01", "10.1.0.5", 2048, evil_user, ap=evil_ap) + \
        session(2, DAY0 + 7200, 30, "02:00:00:00:00:02", "10.1.0.6", 2112, "'quoted", ap="-1+1")
    store.append(list(enumerate(sorted(events, key=lambda r: r.received_at), start=1)))
    seal.seal(store, key, now=NOW)
    out = tmp_path / "PV-2"
    export.export(store, Criteria(site="PARC-SAUSSET"), requisition="PV-2", out_dir=out, key=key, now=NOW)
    with (out / export.CSV_NAME).open(newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@") or (c.startswith("-") and not _number(c))]
    assert f"'{evil_ap}" in cells and f"'{evil_user}" in cells and "''quoted" in cells and "'-1+1" in cells
    public = tmp_path / "k.pub"
    public.write_bytes(keys.public_pem(key.public_key()))
    assert export.verify_export(out, key.public_key())[0] == []


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("setup, message", [
    ("dangling_symlink", "is a symbolic link"),
    ("file", "exists and is not a directory"),
    ("unrelated_files", r"holds other files \(proofs.json\)"),
    ("other_requisition", "holds an export of requisition 'PV-OTHER'"),
    ("unwritable_parent", "cannot create it"),
])
def test_export_directories_are_refused_with_a_clear_error(sealed, key, tmp_path: Path, setup, message) -> None:
    store, truth = sealed
    out = tmp_path / "out"
    if setup == "dangling_symlink":
        out.symlink_to(tmp_path / "nowhere")
    elif setup == "file":
        out.write_text("x")
    elif setup == "unrelated_files":
        out.mkdir()
        (out / "proofs.json").write_text("someone else's")
    elif setup == "other_requisition":
        export.export(store, _holder(truth), requisition="PV-OTHER", out_dir=out, key=key, now=NOW)
    else:
        parent = tmp_path / "ro"
        parent.mkdir(mode=0o500)
        out = parent / "sub" / "out"
        if os.geteuid() == 0:  # root writes anywhere: a path under a regular file cannot be created by anyone
            (tmp_path / "plain").write_text("")
            out = tmp_path / "plain" / "out"
    before = sorted(p.name for p in out.iterdir()) if out.is_dir() and not out.is_symlink() else None
    with pytest.raises(ConnlogError, match=message):
        export.export(store, _holder(truth), requisition="PV-1", out_dir=out, key=key, now=NOW)
    if before is not None:
        assert sorted(p.name for p in out.iterdir()) == before  # nothing overwritten


def test_export_into_a_missing_parent_and_again_for_the_same_requisition(sealed, key, tmp_path: Path) -> None:
    store, truth = sealed
    out = tmp_path / "a" / "b" / "PV-1"
    first = export.export(store, _holder(truth), requisition="PV-1", out_dir=out, key=key, now=NOW)
    again = export.export(store, _holder(truth), requisition="PV-1", out_dir=out, key=key, now=NOW + 60)
    assert first["record_count"] == again["record_count"] == 4
    assert export.verify_export(out, key.public_key())[0] == []
