"""Issue 10, defect 10: signed interim checkpoints of a day not sealed yet, and the day's seal that
supersedes them: consistent with every checkpoint, and refused when the records no longer agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from connlog import checkpoint, export, seal
from connlog.chain import CheckpointMessage, MerkleTree
from connlog.errors import ConnlogError
from connlog.search import Criteria
from connlog.store import Store, utc_day

from .scenario import DAY0, generate

TODAY_NOON = DAY0 + 12 * 3600


def _checkpoints(store: Store) -> list[CheckpointMessage]:
    with store.read() as conn:
        rows = conn.execute(text("SELECT message FROM connlog_checkpoint ORDER BY count")).scalars()
        return [CheckpointMessage.from_json(m) for m in rows]


def test_checkpoints_then_seal_agree_and_exports_of_both_verify(store: Store, key, tmp_path: Path) -> None:
    batch, truth = generate(days=1, visits_per_day=30, seed=8)
    half = len(batch) // 2
    store.append(batch[:half])
    ip, block, since, *_ = truth.holders[2]
    c = Criteria(public_ip=ip, port=block, at=since + 30)
    first = export.export(store, c, requisition="PV-1", out_dir=tmp_path / "a", key=key, now=TODAY_NOON)
    store.append(batch[half:])  # the day goes on
    export.export(store, Criteria(site="PARC-SAUSSET"), requisition="PV-2", out_dir=tmp_path / "b", key=key,
                  now=TODAY_NOON + 3600)
    cps = _checkpoints(store)
    assert [cp.count for cp in cps] == [half, len(batch)] and first["proven_by"] == {"2026-11-20": "checkpoint"}
    for out in ("a", "b"):  # verified at once, without the seal
        assert export.verify_export(tmp_path / out, key.public_key())[0] == []
    done = seal.seal(store, key, now=DAY0 + 86400 + 60)  # the day is over: its seal supersedes them
    (records_day,) = [s for s in done if s.stream == "records"]
    with store.read() as conn:
        leaves = seal.walk_day(store, conn, "records", records_day.day, store.link_before(conn, "records",
                                                                                            records_day.day)).leaves
    assert records_day.root == MerkleTree(leaves).root.hex()
    assert all(MerkleTree(leaves[:cp.count]).root == cp.root for cp in cps)  # each checkpoint, a prefix
    assert seal.verify(store, key.public_key()).ok
    assert export.verify_export(tmp_path / "a", key.public_key())[0] == []  # still valid after the seal
    again = export.export(store, c, requisition="PV-3", out_dir=tmp_path / "c", key=key, now=DAY0 + 86400 + 120)
    assert again["proven_by"] == {"2026-11-20": "seal"}


def test_seal_refuses_a_day_whose_records_no_longer_match_a_checkpoint(store: Store, key, tmp_path: Path) -> None:
    batch, _ = generate(days=1, visits_per_day=10, seed=9)
    store.append(batch)
    export.export(store, Criteria(site="PARC-SAUSSET"), requisition="PV-1", out_dir=tmp_path / "a", key=key,
                  now=TODAY_NOON)
    # A forger rewrites a row and recomputes the whole chain from there: links hold, the checkpoint does not.
    from connlog.chain import chain_hash
    from connlog.store import canonical_json

    with store.write() as conn:
        conn.execute(text("UPDATE connlog_record SET client_mac = '02:66:66:66:66:66' WHERE seq = 3"))
        rows = store.records(conn, text("1 = 1"))
        prev = rows[0].prev_hash
        for r in rows:
            digest = chain_hash(prev, canonical_json(r.record), r.seq)
            conn.execute(text("UPDATE connlog_record SET prev_hash = :p, chain_hash = :h WHERE seq = :s"),
                         {"p": prev, "h": digest, "s": r.seq})
            prev = digest
        conn.execute(text("UPDATE connlog_state SET last_hash = :h WHERE stream = 'records'"), {"h": prev})
    with pytest.raises(ConnlogError, match="do not match the signed checkpoint"):
        seal.seal(store, key, now=DAY0 + 86400 + 60)
    report = seal.verify(store, key.public_key())
    assert any("signed checkpoint" in p.what for p in report.problems)


def test_a_sealed_day_gets_no_checkpoint(store: Store, key) -> None:
    batch, _ = generate(days=1, visits_per_day=5, seed=1)
    store.append(batch)
    seal.seal(store, key, now=DAY0 + 86400 + 60)
    with store.write() as conn, pytest.raises(ConnlogError, match="is sealed"):
        checkpoint.make(store, conn, key, utc_day(DAY0))
