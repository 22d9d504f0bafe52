"""Tampering done directly in the database with SQL is caught by verify, which names the record."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from connlog import seal
from connlog.chain import chain_hash
from connlog.errors import ConnlogError
from connlog.store import Store

from .scenario import DAY0, generate

NOW = DAY0 + 5 * 86400  # the three generated days are closed


@pytest.fixture
def sealed(store: Store, key) -> Store:
    # The spool's seq is monotonic, not necessarily contiguous: gaps of 10 leave room for forgeries.
    store.append([(seq * 10, record) for seq, record in generate(days=3, visits_per_day=20)[0]])
    done = seal.seal(store, key, now=NOW)
    assert [(s.stream, s.day.isoformat()) for s in done if s.stream == "records"] == [
        ("records", "2026-11-20"), ("records", "2026-11-21"), ("records", "2026-11-22"), ("records", "2026-11-23"),
        ("records", "2026-11-24")]
    assert seal.seal(store, key, now=NOW) == []  # idempotent
    assert seal.verify(store, key.public_key()).ok
    return store


def _sql(store: Store, statement: str, **params: object) -> None:
    with store.write() as conn:
        conn.execute(text(statement), params)


def _faults(store: Store, key) -> list[str]:
    report = seal.verify(store, key.public_key())
    assert not report.ok
    return [str(p) for p in report.problems]


def test_clean_store_verifies(sealed: Store, key) -> None:
    report = seal.verify(sealed, key.public_key())
    assert report.ok and report.rows_checked == 300 and report.seals_checked == 5


def test_modified_record_is_named(sealed: Store, key) -> None:
    _sql(sealed, "UPDATE connlog_record SET client_mac = '02:de:ad:be:ef:00' WHERE seq = 420")
    assert _faults(sealed, key) == [
        "records day 2026-11-20 seq 420: record modified: its content no longer matches its chain hash"]


def test_modified_identity_is_named(sealed: Store, key) -> None:
    seq = _sql_scalar(sealed, "SELECT min(seq) FROM connlog_identity WHERE day = '2026-11-21'")
    _sql(sealed, "UPDATE connlog_identity SET user_name = 'someone-else' WHERE seq = :seq", seq=seq)
    faults = _faults(sealed, key)
    assert f"records day 2026-11-21 seq {seq}: record modified: its content no longer matches its chain hash" \
        in faults
    assert any(f.startswith("records day 2026-11-21: identity data altered") for f in faults)


def test_deleted_record_is_named(sealed: Store, key) -> None:
    _sql(sealed, "DELETE FROM connlog_record WHERE seq = 1300")
    faults = _faults(sealed, key)
    assert "records day 2026-11-21 seq 1310: record(s) deleted just before this one (after seq 1290): its " \
           "predecessor is missing from the chain" in faults
    assert "records day 2026-11-21: 99 records present, the seal signed 100" in faults


def test_inserted_record_is_named(sealed: Store, key) -> None:
    # A forged row with a valid hash, chained after seq A, squeezed into the gap before seq B.
    with sealed.read() as conn:
        a, b = conn.execute(text("SELECT seq FROM connlog_record WHERE day = '2026-11-22' ORDER BY seq "
                                 "LIMIT 2 OFFSET 10")).scalars()
    prev = bytes(_sql_scalar(sealed, "SELECT chain_hash FROM connlog_record WHERE seq = :a", a=a))
    forged_json = ('{"client_mac":"02:ba:dd:00:00:01","event_time":1764000000.0,"kind":"dhcp",'
                   '"private_ip":"10.9.9.9","received_at":1764000000.0,"source":"dhcp-sausset"}')
    _sql(sealed, "INSERT INTO connlog_record (seq, day, kind, source, received_at, event_time, client_mac, private_ip,"
                 " prev_hash, chain_hash) VALUES (:seq, '2026-11-22', 'dhcp', 'dhcp-sausset', 1764000000.0, "
                 "1764000000.0, '02:ba:dd:00:00:01', '10.9.9.9', :prev, :digest)",
         seq=a + 5, prev=prev, digest=chain_hash(prev, forged_json, a + 5))
    faults = _faults(sealed, key)
    assert f"records day 2026-11-22 seq {a + 5}: record inserted: seq {b} is chained after seq {a}, not after it" \
        in faults
    assert "records day 2026-11-22: 101 records present, the seal signed 100" in faults


def test_reordered_records_are_named(sealed: Store, key) -> None:
    _sql(sealed, "UPDATE connlog_record SET seq = -1 WHERE seq = 2500")
    _sql(sealed, "UPDATE connlog_record SET seq = 2500 WHERE seq = 2510")
    _sql(sealed, "UPDATE connlog_record SET seq = 2510 WHERE seq = -1")
    assert _faults(sealed, key) == [
        "records day 2026-11-22 seq 2500: records reordered: this row holds the record chained as seq 2510",
        "records day 2026-11-22 seq 2510: records reordered: this row holds the record chained as seq 2500"]


def test_inserted_garbage_row_is_named(sealed: Store, key) -> None:
    _sql(sealed, "INSERT INTO connlog_record (seq, day, kind, source, received_at, event_time, prev_hash, chain_hash)"
                 " VALUES (2705, '2026-11-22', 'dhcp', 'x', 1.0, 1.0, :a, :b)", a=b"1" * 32, b=b"2" * 32)
    assert _faults(sealed, key) == [
        "records day 2026-11-22 seq 2705: record inserted: it is not part of the chain (seq 2710 is chained "
        "directly after what precedes it)",
        "records day 2026-11-22: 101 records present, the seal signed 100"]


def test_recomputed_chain_still_fails_the_signed_root(sealed: Store, key) -> None:
    # The forger rewrites a record AND every following hash of the day: only the signed root can tell.
    with sealed.write() as conn:
        rows = conn.execute(text("SELECT seq FROM connlog_record WHERE day = '2026-11-22' ORDER BY seq")).scalars()
        seqs = list(rows)
        conn.execute(text("UPDATE connlog_record SET private_ip = '10.66.66.66' WHERE seq = :s"), {"s": seqs[5]})
        links = list(sealed.chain(conn, "records", __import__("datetime").date(2026, 11, 22)))
        prev = links[0].prev_hash
        for link in links:
            digest = chain_hash(prev, link.payload, link.seq)
            conn.execute(text("UPDATE connlog_record SET prev_hash = :p, chain_hash = :h WHERE seq = :s"),
                         {"p": prev, "h": digest, "s": link.seq})
            prev = digest
    faults = _faults(sealed, key)
    assert "records day 2026-11-22: the records do not match the signed Merkle root (chain recomputed after " \
           "sealing)" in faults


def test_tampered_seal_and_signature(sealed: Store, key) -> None:
    _sql(sealed, "UPDATE connlog_seal SET message = replace(message, :was, :now) "
                 "WHERE day = '2026-11-21' AND stream = 'records'", was='"count":100', now='"count":99')
    assert "records day 2026-11-21: seal signature invalid: the seal was altered or signed by another key" \
        in _faults(sealed, key)


def test_deleted_seal_is_named(sealed: Store, key) -> None:
    _sql(sealed, "DELETE FROM connlog_seal WHERE day = '2026-11-21' AND stream = 'records'")
    assert "records day 2026-11-22: seal(s) missing for the 1 day(s) after 2026-11-20" in _faults(sealed, key)


def test_seal_refuses_a_broken_chain(store: Store, key) -> None:
    store.append(generate(days=1, visits_per_day=10)[0])
    _sql(store, "UPDATE connlog_record SET source = 'evil' WHERE seq = 7")
    with pytest.raises(ConnlogError, match="seq 7: record modified"):
        seal.seal(store, key, now=NOW)


def test_verify_one_day_only(sealed: Store, key) -> None:
    _sql(sealed, "UPDATE connlog_record SET client_mac = '02:de:ad:be:ef:00' WHERE seq = 420")
    import datetime as dt

    assert seal.verify(sealed, key.public_key(), day=dt.date(2026, 11, 21)).ok
    assert not seal.verify(sealed, key.public_key(), day=dt.date(2026, 11, 20)).ok


def _sql_scalar(store: Store, statement: str, **params: object):
    with store.read() as conn:
        return conn.execute(text(statement), params).scalar()
